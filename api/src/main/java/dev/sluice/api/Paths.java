package dev.sluice.api;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The client API's resource paths and query parameter names.
 *
 * <pre>
 * POST   /topics                                        create a topic ({@link CreateTopicRequest})
 * GET    /topics                                        list topics ({@link TopicList})
 * GET    /topics/{t}                                    describe a topic ({@link TopicDescription})
 * DELETE /topics/{t}                                    delete a topic ({@link TopicDeleted})
 * POST   /topics/{t}/partitions                         add partitions ({@link AddPartitionsRequest})
 * PATCH  /topics/{t}/config                             change settings ({@link AlterTopicConfigRequest})
 * POST   /leaders/rebalance                             preferred leaders back ({@link LeaderMoves})
 * POST /topics/{t}/partitions/{p}/records[?acks=]       produce one record ({@link ProduceResponse})
 * GET  /topics/{t}/partitions/{p}/records/{offset}      one record's value
 * GET  /topics/{t}/partitions/{p}/records?offset=&amp;maxBytes=[&amp;maxWaitMs=&amp;minBytes=&amp;follow=]
 *                                                      whole batches (or NDJSON) from an offset
 * GET  /cluster/status                                  the cluster at a glance ({@link ClusterStatus})
 * POST /producers                                       a new idempotent producer id ({@link ProducerIdResponse})
 * </pre>
 *
 * <p>The builders return paths <em>relative</em> to a node's API root, without a leading slash,
 * with the topic name percent-encoded: resolved against a base URI that ends in {@code /}, they
 * keep any path prefix the base has (a node behind a proxy).
 *
 * <p>Thread-safety: stateless.
 */
public final class Paths {
  /** First path segment of every client API resource. */
  public static final String TOPICS = "topics";

  /** Path segment of the producer-id resource. */
  public static final String PRODUCERS = "producers";

  /** Segment before a partition number. */
  public static final String PARTITIONS = "partitions";

  /** Segment of a topic's settings. */
  public static final String CONFIG = "config";

  /** First path segment of the cluster-wide leader operations. */
  public static final String LEADERS = "leaders";

  /** Segment of the preferred-leader rebalance, after {@link #LEADERS}. */
  public static final String REBALANCE = "rebalance";

  /** Segment of a partition's records. */
  public static final String RECORDS = "records";

  /** First path segment of the cluster-wide resources. */
  public static final String CLUSTER = "cluster";

  /** Segment of the cluster's status. */
  public static final String STATUS = "status";

  /** Query parameter of a produce: an {@link Acks#queryValue()}; absent means {@link Acks#ALL}. */
  public static final String ACKS = "acks";

  /** Query parameter of a batch fetch: the first offset wanted (required). */
  public static final String OFFSET = "offset";

  /** Query parameter of a batch fetch: the answer's byte limit (positive; 1 MiB when absent). */
  public static final String MAX_BYTES = "maxBytes";

  /**
   * Query parameter of a batch fetch: how long to wait, in milliseconds, for {@link #MIN_BYTES} of
   * committed records when fewer are there (0 when absent: answer at once; capped by the server's
   * {@code sluice.api.max-fetch-wait}). With {@link #FOLLOW}, how long the stream stays open
   * without a new record.
   */
  public static final String MAX_WAIT_MS = "maxWaitMs";

  /** Query parameter of a batch fetch: the committed bytes worth answering for (1 when absent). */
  public static final String MIN_BYTES = "minBytes";

  /**
   * Query parameter of a batch fetch: {@code true} keeps the answer open and streams records as
   * they are committed.
   */
  public static final String FOLLOW = "follow";

  private Paths() {}

  /** {@code topics}: create (POST) or list (GET). */
  public static String topics() {
    return TOPICS;
  }

  /** {@code topics/{topic}}: describe. */
  public static String topic(String topic) {
    return TOPICS + "/" + segment(topic);
  }

  /** {@code topics/{topic}/partitions}: add partitions (POST). */
  public static String partitions(String topic) {
    return topic(topic) + "/" + PARTITIONS;
  }

  /** {@code topics/{topic}/config}: change the topic's settings (PATCH). */
  public static String topicConfig(String topic) {
    return topic(topic) + "/" + CONFIG;
  }

  /** {@code producers}: a new idempotent producer id (POST, {@link ProducerIdResponse}). */
  public static String producers() {
    return PRODUCERS;
  }

  /** {@code leaders/rebalance}: give leadership back to preferred replicas (POST). */
  public static String leadersRebalance() {
    return LEADERS + "/" + REBALANCE;
  }

  /** {@code topics/{topic}/partitions/{partition}/records}: produce (POST). */
  public static String records(String topic, int partition) {
    return topic(topic) + "/" + PARTITIONS + "/" + partition + "/" + RECORDS;
  }

  /** {@code topics/{topic}/partitions/{partition}/records/{offset}}: one record's value. */
  public static String record(String topic, int partition, long offset) {
    return records(topic, partition) + "/" + offset;
  }

  /** A produce path asking for {@code acks}. */
  public static String produce(String topic, int partition, Acks acks) {
    return records(topic, partition) + "?" + ACKS + "=" + acks.queryValue();
  }

  /**
   * A batch fetch path: whole batches from {@code offset}, up to {@code maxBytes}, except that the
   * server answers at least one whole batch when one is readable.
   */
  public static String batches(String topic, int partition, long offset, long maxBytes) {
    String query = OFFSET + "=" + offset + "&" + MAX_BYTES + "=" + maxBytes;
    return records(topic, partition) + "?" + query;
  }

  /**
   * A long-poll batch fetch path: as {@link #batches}, waiting up to {@code maxWaitMs} for a
   * committed record when none is there yet.
   */
  public static String batches(
      String topic, int partition, long offset, long maxBytes, long maxWaitMs) {
    return batches(topic, partition, offset, maxBytes) + "&" + MAX_WAIT_MS + "=" + maxWaitMs;
  }

  /** {@code cluster/status}: the cluster at a glance (GET). */
  public static String clusterStatus() {
    return CLUSTER + "/" + STATUS;
  }

  /** One path segment, percent-encoded (a space is {@code %20}, never {@code +}). */
  static String segment(String raw) {
    return URLEncoder.encode(raw, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
