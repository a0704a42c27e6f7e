package dev.sluice.client;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.Acks;
import dev.sluice.api.AddPartitionsRequest;
import dev.sluice.api.AlterTopicConfigRequest;
import dev.sluice.api.ApiJson;
import dev.sluice.api.ClusterStatus;
import dev.sluice.api.CreateTopicRequest;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.Headers;
import dev.sluice.api.LeaderMoves;
import dev.sluice.api.MediaTypes;
import dev.sluice.api.NdjsonCodec;
import dev.sluice.api.NdjsonLineException;
import dev.sluice.api.Paths;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.api.TopicDeleted;
import dev.sluice.api.TopicDescription;
import dev.sluice.api.TopicList;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * A small client for a node's HTTP API: JSON for metadata, raw bytes for record values. Bodies are
 * streamed both ways so a record of any size passes in constant memory. Paths, headers, media types
 * and bodies come from the {@code api} module, which the server uses too.
 *
 * <p>Redirects (307/308) are followed here rather than by {@link HttpClient}: a node that does not
 * lead a partition redirects to the one that does, and the request must be repeated with the same
 * method and a fresh copy of the body, which is why bodies are passed as suppliers. Every non-2xx
 * answer becomes a {@link SluiceClientException} carrying the server's {@link ErrorBody}.
 *
 * <p>Bootstrap list ({@link #builder(List)}): any node answers any request, serving it or
 * redirecting to the node that can. A request goes to the server of the list that answered last;
 * when a server cannot be connected to (connection refused, connect timeout, unknown host: it never
 * saw the request), the request goes to the next one, each server at most once, and fails only when
 * none could be connected to, with a message naming each server tried and why. Any other failure is
 * not sent elsewhere: a request that got no answer within its timeout, or whose connection broke,
 * may have been taken, and stays a {@link SluiceClientException} of status {@link
 * SluiceClientException#NO_STATUS} (which {@link SluiceProducer} retries).
 *
 * <p>Partition nodes: when a request about a partition ({@code topics/<t>/partitions/<n>/...}) is
 * redirected, the target node (the {@code Location}'s origin and API path prefix) is remembered for
 * that partition, and later requests about it, produce and fetch alike, go there directly. The
 * entry is replaced by a later redirect and dropped when that node cannot be reached (the request
 * then goes through the bootstrap list at once), gives no answer in time, or answers 404 or 5xx (a
 * node that stops leading refuses a produce with 503: the error reaches the caller, and its retry
 * goes through the bootstrap list).
 *
 * <p>Security ({@link #builder(URI)}): an {@code https} server is verified against the JDK's
 * default authorities, or against a cluster's own CA ({@link Builder#caFile}); a bearer token goes
 * as {@code Authorization: Bearer <token>} on every request, the repeated ones after a redirect
 * included. While a token is set, a redirect from {@code https} to {@code http} is refused rather
 * than followed, since following it would send the token in clear text.
 *
 * <p>Thread-safety: safe to share. Calls share only the server that answered last and the
 * partitions' nodes (a concurrent map); a call that races another's update at worst takes one
 * redirect more.
 */
public final class SluiceClient {

  /** A leader hands out at most one redirect; a few spare hops absorb a leadership change. */
  public static final int MAX_REDIRECTS = 5;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** {@link Builder#requestTimeout}'s default. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

  /** Error bodies are small JSON; never buffer a runaway one whole. */
  private static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

  /** Longest part of a body that is not a Sluice error quoted in a message. */
  private static final int QUOTED_BODY_CHARS = 200;

  private static final ObjectMapper JSON = ApiJson.mapper();

  private static final String CONTENT_TYPE = "Content-Type";
  private static final String ACCEPT = "Accept";
  private static final String AUTHORIZATION = "Authorization";
  private static final String BEARER = "Bearer ";

  /**
   * A fetched record; {@code value} is open until the reader returns.
   *
   * @param key the record's key, or null when it has none
   * @param length the value's length, -1 when the server did not say
   */
  public record FetchedRecord(long offset, String key, long length, InputStream value) {}

  /** Consumes a fetched record's value stream; called only for a 2xx answer. */
  @FunctionalInterface
  public interface RecordReader<T> {
    T read(FetchedRecord record) throws IOException;
  }

  private final HttpClient http;

  /** The bootstrap list: each server's API root, ending in {@code /}; never empty. */
  private final List<URI> servers;

  /** The index in {@link #servers} of the server that answered last: the first one tried. */
  private volatile int preferred;

  /**
   * Where each partition's requests go straight to: the API root of the node that a redirect named
   * for it last, keyed by the partition's path ({@code topics/<t>/partitions/<n>}).
   */
  private final ConcurrentHashMap<String, URI> partitionNodes = new ConcurrentHashMap<>();

  /** {@code "Bearer <token>"}, or null without a token. Never logged nor put in a message. */
  private final String authorization;

  /** Whether TLS trust was configured ({@link Builder#caFile}, {@link Builder#sslContext}). */
  private final boolean customTrust;

  /** How long a request waits for its answer's status line and headers. */
  private final Duration requestTimeout;

  private SluiceClient(
      HttpClient http,
      List<URI> servers,
      String authorization,
      boolean customTrust,
      Duration requestTimeout) {
    this.http = http;
    this.requestTimeout = requestTimeout;
    this.servers = servers;
    this.authorization = authorization;
    this.customTrust = customTrust;
  }

  /**
   * A client of the node whose API is at {@code server} (e.g. {@code http://127.0.0.1:7700}),
   * without a token, trusting the JDK's default authorities for {@code https}: a bootstrap list of
   * one.
   */
  public static SluiceClient create(URI server) {
    return builder(server).build();
  }

  /** A builder of a client of the node whose API is at {@code server}. */
  public static Builder builder(URI server) {
    return new Builder(List.of(Objects.requireNonNull(server, "server")));
  }

  /**
   * A builder of a client of the cluster whose nodes' APIs are at {@code servers}, its bootstrap
   * list: a request goes to the first of them that accepts a connection, starting with the one that
   * answered last.
   *
   * @throws IllegalArgumentException when {@code servers} is empty
   */
  public static Builder builder(List<URI> servers) {
    return new Builder(servers);
  }

  /**
   * Configures a {@link SluiceClient}: whom to trust for {@code https}, and the bearer token.
   *
   * <p>Thread-safety: not thread-safe; build the client on one thread, then share it.
   */
  public static final class Builder {
    private final List<URI> servers;
    private SSLContext sslContext;
    private String trustSource;
    private String token;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

    private Builder(List<URI> servers) {
      Objects.requireNonNull(servers, "servers");
      if (servers.isEmpty()) {
        throw new IllegalArgumentException("the list of servers is empty: give at least one");
      }
      List<URI> roots = new ArrayList<>();
      for (URI server : servers) {
        Objects.requireNonNull(server, "a server of " + servers);
        // A trailing slash makes relative paths resolve under a path prefix (a node behind a
        // proxy).
        String s = server.toString();
        URI root = URI.create(s.endsWith("/") ? s : s + "/");
        if (!roots.contains(root)) {
          roots.add(root);
        }
      }
      this.servers = List.copyOf(roots);
    }

    /**
     * Trusts exactly the CA certificates of a PEM bundle (not the JDK's default authorities). The
     * file is read here.
     *
     * @throws UncheckedIOException naming the file when it cannot be read
     * @throws IllegalArgumentException naming the file when it holds no certificate
     * @throws IllegalStateException when {@link #sslContext} was given too
     */
    public Builder caFile(Path caPem) {
      Objects.requireNonNull(caPem, "caPem");
      trust(CaTrust.sslContext(caPem), "caFile(" + caPem + ")");
      return this;
    }

    /**
     * Uses a TLS context of the caller's (trust and, for mutual TLS, a client certificate).
     *
     * @throws IllegalStateException when {@link #caFile} was given too
     */
    public Builder sslContext(SSLContext context) {
      trust(Objects.requireNonNull(context, "context"), "sslContext");
      return this;
    }

    /**
     * Sends {@code Authorization: Bearer <token>} on every request.
     *
     * @throws IllegalArgumentException when the token is empty or has a character a bearer token
     *     cannot have (RFC 6750: letters, digits, {@code -._~+/}, then {@code =} padding); the
     *     message names the position, never the token
     */
    public Builder token(String token) {
      Objects.requireNonNull(token, "token");
      checkBearerToken(token);
      this.token = token;
      return this;
    }

    /**
     * How long a request waits for the start of its answer (status and headers) before it fails
     * with a {@link SluiceClientException} of status {@link SluiceClientException#NO_STATUS}, which
     * the producer retries; default {@link #DEFAULT_REQUEST_TIMEOUT} (60 s). Without it a stalled
     * connection would block the caller (a producer's sender thread, a consumer's poll) for ever. A
     * {@link SluiceClient#fetchRecords} long poll waits its {@code maxWait} plus this timeout. The
     * time to stream a body after the headers is not limited.
     *
     * @throws IllegalArgumentException when {@code timeout} is not positive
     */
    public Builder requestTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout = " + timeout + ": must be positive");
      }
      this.requestTimeout = timeout;
      return this;
    }

    public SluiceClient build() {
      HttpClient.Builder http =
          HttpClient.newBuilder()
              // HTTP/1.1: no h2c upgrade dance on plain http, and 100-continue behaves
              // predictably.
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(CONNECT_TIMEOUT)
              .followRedirects(HttpClient.Redirect.NEVER);
      if (sslContext != null) {
        http.sslContext(sslContext);
      }
      return new SluiceClient(
          http.build(),
          servers,
          token == null ? null : BEARER + token,
          sslContext != null,
          requestTimeout);
    }

    private void trust(SSLContext context, String source) {
      if (trustSource != null) {
        throw new IllegalStateException(
            "TLS trust is set twice: " + trustSource + ", then " + source + "; give one of them");
      }
      sslContext = context;
      trustSource = source;
    }
  }

  /** RFC 6750's b64token: {@code 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}. */
  static void checkBearerToken(String token) {
    if (token.isEmpty()) {
      throw new IllegalArgumentException("the bearer token is empty");
    }
    int i = 0;
    while (i < token.length() && isTokenChar(token.charAt(i))) {
      i++;
    }
    if (i == 0) {
      throw invalidTokenChar(token, 0);
    }
    while (i < token.length() && token.charAt(i) == '=') {
      i++;
    }
    if (i < token.length()) {
      throw invalidTokenChar(token, i);
    }
  }

  private static boolean isTokenChar(char c) {
    return c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || c >= '0' && c <= '9'
        || "-._~+/".indexOf(c) >= 0;
  }

  private static IllegalArgumentException invalidTokenChar(String token, int index) {
    // The character's code only: a message must not carry the secret it is about.
    return new IllegalArgumentException(
        String.format(
            "the bearer token (%d characters) has U+%04X at index %d; a bearer token has only"
                + " letters, digits and -._~+/, then '=' padding",
            token.length(), (int) token.charAt(index), index));
  }

  /** Creates a topic and returns it as the server describes it. */
  public TopicDescription createTopic(String name, int partitions, int replicationFactor) {
    byte[] bytes =
        writeJson(new CreateTopicRequest(name, partitions, replicationFactor)).getBytes(UTF_8);
    JsonNode created =
        exchange(
            "POST",
            Paths.topics(),
            Map.of(CONTENT_TYPE, MediaTypes.JSON, ACCEPT, MediaTypes.JSON),
            () -> BodyPublishers.ofByteArray(bytes),
            false,
            SluiceClient::readJson);
    return convert(created, TopicDescription.class, "topic description");
  }

  /**
   * Creates a topic with its own settings ({@code retention.bytes}, {@code retention.time}, {@code
   * max-batch-bytes}, {@code flush}, {@code min-in-sync-replicas}), values as in the config file.
   */
  public TopicDescription createTopic(
      String name, int partitions, int replicationFactor, Map<String, String> config) {
    return sendJson(
        "POST",
        Paths.topics(),
        new CreateTopicRequest(name, partitions, replicationFactor, config),
        TopicDescription.class,
        "topic description");
  }

  /**
   * Deletes a topic: once this returns, the topic is gone from the metadata and every replica
   * removes its data (a node that is down does so when it returns). Needs the admin permission.
   */
  public TopicDeleted deleteTopic(String name) {
    JsonNode deleted =
        exchange(
            "DELETE",
            Paths.topic(name),
            Map.of(ACCEPT, MediaTypes.JSON),
            null,
            false,
            SluiceClient::readJson);
    return convert(deleted, TopicDeleted.class, "topic deletion");
  }

  /** Grows a topic to {@code partitions} partitions (never fewer); needs the admin permission. */
  public TopicDescription addPartitions(String name, int partitions) {
    return sendJson(
        "POST",
        Paths.partitions(name),
        new AddPartitionsRequest(partitions),
        TopicDescription.class,
        "topic description");
  }

  /**
   * Changes some of a topic's settings: a key to a value sets it, a key to null gives it back to
   * the node's value. Needs the admin permission.
   */
  public TopicDescription alterTopicConfig(String name, Map<String, String> changes) {
    return sendJson(
        "PATCH",
        Paths.topicConfig(name),
        new AlterTopicConfigRequest(changes),
        TopicDescription.class,
        "topic description");
  }

  /** Gives leadership back to every preferred replica that is live and in sync. */
  public LeaderMoves rebalanceLeaders() {
    JsonNode moved =
        exchange(
            "POST",
            Paths.leadersRebalance(),
            Map.of(ACCEPT, MediaTypes.JSON),
            null,
            false,
            SluiceClient::readJson);
    return convert(moved, LeaderMoves.class, "leader moves");
  }

  private <T> T sendJson(String method, String path, Object body, Class<T> type, String what) {
    byte[] bytes = writeJson(body).getBytes(UTF_8);
    JsonNode answer =
        exchange(
            method,
            path,
            Map.of(CONTENT_TYPE, MediaTypes.JSON, ACCEPT, MediaTypes.JSON),
            () -> BodyPublishers.ofByteArray(bytes),
            false,
            SluiceClient::readJson);
    return convert(answer, type, what);
  }

  /**
   * Asks for a new idempotent producer id ({@code POST /producers}): one no other producer of the
   * cluster was or will be given, with epoch 0. Needs a {@code produce:*} permission or admin.
   * {@link SluiceProducer} calls it on first use and after the server refused its sequences.
   */
  public ProducerIdResponse newProducerId() {
    JsonNode answer =
        exchange(
            "POST",
            Paths.producers(),
            Map.of(ACCEPT, MediaTypes.JSON),
            null,
            false,
            SluiceClient::readJson);
    ProducerIdResponse id = convert(answer, ProducerIdResponse.class, "producer id");
    if (!answer.has("producerId") || id.producerId() < 0 || id.producerEpoch() < 0) {
      throw new SluiceClientException(
          SluiceClientException.BAD_ANSWER,
          "server answered " + answer + " to POST /" + Paths.producers() + ": not a producer id",
          null);
    }
    return id;
  }

  /** Every topic with its assignment (replica status is only in {@link #describeTopic}). */
  public TopicList listTopics() {
    return convert(getJson(Paths.topics()), TopicList.class, "topic list");
  }

  /** The topic with the live status of every replica. */
  public TopicDescription describeTopic(String name) {
    return convert(describeTopicJson(name), TopicDescription.class, "topic description");
  }

  /** The topic exactly as the server sent it, fields this client does not know included. */
  public JsonNode describeTopicJson(String name) {
    return getJson(Paths.topic(name));
  }

  /**
   * The cluster at a glance as the server sees it: members, controller, partition health, leaders
   * per node, stalled replicas.
   */
  public ClusterStatus clusterStatus() {
    return convert(clusterStatusJson(), ClusterStatus.class, "cluster status");
  }

  /**
   * The cluster status exactly as the server sent it, fields this client does not know included.
   */
  public JsonNode clusterStatusJson() {
    return getJson(Paths.clusterStatus());
  }

  /**
   * Appends one record and returns its offset.
   *
   * @param key the record key, or null
   * @param acks the acknowledgement condition, or null for the server's default
   * @param value a fresh body per call (a redirect sends it again)
   * @param expectContinue ask before sending the body, so that a redirect or a size rejection
   *     arrives before a large body is uploaded to the wrong node
   */
  public long append(
      String topic,
      int partition,
      String key,
      Acks acks,
      Supplier<BodyPublisher> value,
      boolean expectContinue) {
    String path =
        acks == null ? Paths.records(topic, partition) : Paths.produce(topic, partition, acks);
    Map<String, String> headers =
        key == null
            ? Map.of(CONTENT_TYPE, MediaTypes.OCTET_STREAM, ACCEPT, MediaTypes.JSON)
            : Map.of(
                CONTENT_TYPE, MediaTypes.OCTET_STREAM, ACCEPT, MediaTypes.JSON, Headers.KEY, key);
    JsonNode answer =
        exchange("POST", path, headers, value, expectContinue, SluiceClient::readJson);
    JsonNode offset = answer.get("offset");
    if (offset == null || !offset.canConvertToLong()) {
      throw new SluiceClientException(
          SluiceClientException.NO_STATUS, "server answered without an offset: " + answer, null);
    }
    return convert(answer, ProduceResponse.class, "produce answer").offset();
  }

  /**
   * Appends {@code records} to one partition as one batch, all or nothing, and returns the offsets
   * written ({@link MediaTypes#NDJSON} body; records without a timestamp get the time the request
   * arrives). {@link SluiceProducer} sends the binary form instead ({@link #appendBatch(String,
   * int, ByteBuffer, int, Acks)}). The body is built in memory once and sent again as is if the
   * server redirects to the partition's leader; the server refuses a body over its {@code
   * sluice.api.inline-batch-bytes} (413) and a batch over the partition's {@code max-batch-bytes}
   * (413), and a malformed one with 400 naming the record's index.
   *
   * @param records at least one
   * @param acks the acknowledgement condition, or null for the server's default
   * @throws IllegalArgumentException when {@code records} is empty
   */
  public ProduceResponse appendBatch(
      String topic, int partition, List<ProduceRecord> records, Acks acks) {
    if (records.isEmpty()) {
      throw new IllegalArgumentException(
          "appendBatch to " + topic + "-" + partition + " needs at least one record");
    }
    String path =
        acks == null ? Paths.records(topic, partition) : Paths.produce(topic, partition, acks);
    byte[] body = NdjsonCodec.produceBody(records);
    JsonNode answer =
        exchange(
            "POST",
            path,
            Map.of(CONTENT_TYPE, MediaTypes.NDJSON, ACCEPT, MediaTypes.JSON),
            () -> BodyPublishers.ofByteArray(body),
            false,
            SluiceClient::readJson);
    return checkBatchAnswer(answer, records.size());
  }

  /**
   * Appends {@code batch}, one RecordBatch v2 of {@code recordCount} records built by the caller
   * (uncompressed; {@code dev.sluice.format.MemoryBatchBuilder} builds one), to one partition, all
   * or nothing, and returns the offsets written ({@link MediaTypes#RECORD_BATCH_V2} body). A batch
   * with a producer id ({@link #newProducerId}) and sequence that the leader already holds is not
   * written again: the answer has {@code duplicate} set and the original offsets; a sequence the
   * leader cannot accept is refused with 409 and an error body naming the {@code code}, the {@code
   * producerId} and the {@code expectedSequence}. The server stores it as sent, setting only its
   * base offset and leader epoch, with the records' own timestamps. The batch's bytes are sent
   * again as they are if the server redirects to the partition's leader; the server refuses a batch
   * over its {@code sluice.api.inline-batch-bytes} or the partition's {@code max-batch-bytes}
   * (413), and a corrupt one with 400 naming the record's index and byte position. The buffer is
   * not moved.
   *
   * @param recordCount the batch's record count, checked against the server's answer
   * @param acks the acknowledgement condition, or null for the server's default
   */
  public ProduceResponse appendBatch(
      String topic, int partition, ByteBuffer batch, int recordCount, Acks acks) {
    String path =
        acks == null ? Paths.records(topic, partition) : Paths.produce(topic, partition, acks);
    ByteBuffer body = batch.duplicate();
    JsonNode answer =
        exchange(
            "POST",
            path,
            Map.of(CONTENT_TYPE, MediaTypes.RECORD_BATCH_V2, ACCEPT, MediaTypes.JSON),
            () -> BufferBody.of(body),
            false,
            SluiceClient::readJson);
    return checkBatchAnswer(answer, recordCount);
  }

  private static ProduceResponse checkBatchAnswer(JsonNode answer, int recordCount) {
    ProduceResponse written = convert(answer, ProduceResponse.class, "produce answer");
    if (!answer.has("lastOffset") || written.count() != recordCount) {
      // The batch was probably written: a retry would write it again.
      throw new SluiceClientException(
          SluiceClientException.BAD_ANSWER,
          "server answered "
              + answer
              + " to a batch of "
              + recordCount
              + " records: not a batched produce answer",
          null);
    }
    return written;
  }

  /** Fetches the record at {@code offset} and hands its streamed value to {@code reader}. */
  public <T> T fetch(String topic, int partition, long offset, RecordReader<T> reader) {
    return exchange(
        "GET",
        Paths.record(topic, partition, offset),
        Map.of(ACCEPT, MediaTypes.OCTET_STREAM),
        null,
        false,
        response -> {
          long actual = response.headers().firstValueAsLong(Headers.OFFSET).orElse(offset);
          String key =
              response
                  .headers()
                  .firstValue(Headers.KEY)
                  .map(SluiceClient::fromHeaderValue)
                  .orElse(null);
          long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
          return reader.read(new FetchedRecord(actual, key, length, response.body()));
        });
  }

  // ---- batched consume ----

  /**
   * Fetches the committed records of a partition from {@code offset}: whole batches up to {@code
   * maxBytes} (at least one batch when one is readable), decoded by the server into NDJSON. When
   * none is committed at {@code offset} yet, the server waits up to {@code maxWait} (capped by its
   * {@code sluice.api.max-fetch-wait}) for one, then answers what there is, possibly nothing.
   *
   * <p>Values come whole into memory; a value too large for that is read with {@link #fetch}, which
   * streams it.
   *
   * @throws SluiceClientException with status 416 and the readable range when {@code offset} is
   *     outside the log
   */
  public FetchedRecords fetchRecords(
      String topic, int partition, long offset, int maxBytes, Duration maxWait) {
    return longPoll(
        topic,
        partition,
        offset,
        maxBytes,
        maxWait,
        MediaTypes.NDJSON,
        (body, path) -> readRecords(body));
  }

  /** Decodes the records of a fetch's body; {@code path} names the request in errors. */
  @FunctionalInterface
  private interface RecordsBody {
    List<ConsumedRecord> read(InputStream body, String path) throws IOException;
  }

  /**
   * A long-poll fetch of whole batches from {@code offset} in the media type {@code accept}, its
   * body decoded by {@code records}, with the next offset and high watermark of its headers.
   */
  private FetchedRecords longPoll(
      String topic,
      int partition,
      long offset,
      int maxBytes,
      Duration maxWait,
      String accept,
      RecordsBody records) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes = " + maxBytes + ": must be positive");
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait = " + maxWait + ": must not be negative");
    }
    String path = Paths.batches(topic, partition, offset, maxBytes, maxWait.toMillis());
    return exchange(
        new Call<>(
            "GET",
            path,
            Map.of(ACCEPT, accept),
            null,
            false,
            // The server holds a long poll for maxWait before it answers.
            maxWait.plus(requestTimeout),
            response -> {
              long next = response.headers().firstValueAsLong(Headers.NEXT_OFFSET).orElse(offset);
              long hw = response.headers().firstValueAsLong(Headers.HIGH_WATERMARK).orElse(-1);
              try (InputStream body = response.body()) {
                return new FetchedRecords(records.read(body, path), next, hw);
              }
            }));
  }

  private static List<ConsumedRecord> readRecords(InputStream in) throws IOException {
    try {
      List<ConsumedRecord> records = new ArrayList<>();
      for (NdjsonCodec.FetchLine line : NdjsonCodec.readFetchLines(in)) {
        records.add(
            new ConsumedRecord(
                line.offset(), line.timestamp(), line.key(), line.value(), line.headers()));
      }
      return records;
    } catch (NdjsonLineException e) {
      throw SluiceClientException.badAnswer(
          "unexpected NDJSON from the server: " + e.getMessage(), e);
    }
  }

  /**
   * Fetches like {@link #fetchRecords}, but asks for the batches as the server stores them (Kafka's
   * RecordBatch v2, compressed batches still compressed: fewer bytes on the wire, and no decoding
   * on the server) and decodes them here: each batch's CRC-32C is checked and its records are
   * decompressed with its codec. Records below {@code offset} in the first batch are left out.
   *
   * @throws SluiceClientException with status 416 and the readable range when {@code offset} is
   *     outside the log, or {@link SluiceClientException#BAD_ANSWER} for a damaged batch
   */
  public FetchedRecords fetchBatches(
      String topic, int partition, long offset, int maxBytes, Duration maxWait) {
    return longPoll(
        topic,
        partition,
        offset,
        maxBytes,
        maxWait,
        MediaTypes.OCTET_STREAM,
        (body, path) -> FetchedBatches.decode(body, offset, "GET " + path));
  }

  /**
   * Response header bytes reach a {@link HttpClient} one char per byte (ISO-8859-1); a key the
   * server sent as UTF-8 is decoded back here. (Requests cannot do the same: java.net.http sends
   * header values as US-ASCII, which is why a produce key must be ASCII.)
   */
  public static String fromHeaderValue(String header) {
    return new String(header.getBytes(ISO_8859_1), UTF_8);
  }

  private JsonNode getJson(String path) {
    return exchange(
        "GET", path, Map.of(ACCEPT, MediaTypes.JSON), null, false, SluiceClient::readJson);
  }

  @FunctionalInterface
  private interface ResponseReader<T> {
    T read(HttpResponse<InputStream> response) throws IOException;
  }

  private <T> T exchange(
      String method,
      String path,
      Map<String, String> headers,
      Supplier<BodyPublisher> body,
      boolean expectContinue,
      ResponseReader<T> reader) {
    return exchange(
        new Call<>(method, path, headers, body, expectContinue, requestTimeout, reader));
  }

  private <T> T exchange(Call<T> call) {
    String partition = partitionKey(call.path());
    List<NotConnected> unreachable = new ArrayList<>();
    URI cached = partition == null ? null : partitionNodes.get(partition);
    if (cached != null) {
      try {
        return attempt(cached, partition, call);
      } catch (NotConnected e) {
        // The node is down (attempt forgot it): the bootstrap list finds the partition's node
        // again.
        unreachable.add(e);
      }
    }
    int first = preferred;
    for (int i = 0; i < servers.size(); i++) {
      int index = (first + i) % servers.size();
      URI server = servers.get(index);
      if (server.equals(cached)) {
        // Each server at most once per request.
        continue;
      }
      try {
        T result = attempt(server, partition, call);
        preferred = index;
        return result;
      } catch (NotConnected e) {
        unreachable.add(e);
      } catch (RuntimeException e) {
        // It was reached (it answered an error, or too late): the next request starts there.
        preferred = index;
        throw e;
      }
    }
    throw noServer(unreachable);
  }

  /** One request as the API methods describe it, sent to a node and again after redirects. */
  private record Call<T>(
      String method,
      String path,
      Map<String, String> headers,
      Supplier<BodyPublisher> body,
      boolean expectContinue,
      Duration timeout,
      ResponseReader<T> reader) {}

  /**
   * Sends {@code call} to the node whose API root is {@code node}, following redirects, and
   * remembers or forgets where the partition's requests go (when {@code partition} is not null).
   *
   * @throws NotConnected when {@code node} itself cannot be connected to: it never saw the request,
   *     which another node may serve. A redirect target that cannot be connected to is a {@link
   *     SluiceClientException}: the cluster named it, so asking around would lead there again.
   */
  private <T> T attempt(URI node, String partition, Call<T> call) throws NotConnected {
    URI uri = node.resolve(call.path());
    // The API root of the node uri is on, when known: the one the partition's cache may name.
    URI uriNode = node;
    for (int redirects = 0; ; redirects++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .method(
                  call.method(), call.body() == null ? BodyPublishers.noBody() : call.body().get())
              .expectContinue(call.expectContinue())
              .timeout(call.timeout());
      call.headers().forEach(request::header);
      if (authorization != null) {
        request.header(AUTHORIZATION, authorization);
      }
      HttpResponse<InputStream> response;
      try {
        response = send(request.build());
      } catch (NotConnected e) {
        forget(partition, uriNode);
        if (redirects == 0) {
          throw e;
        }
        throw new SluiceClientException(e.getMessage(), e.getCause());
      } catch (SluiceClientException e) {
        // No answer in time, or a connection that broke: the node may be gone.
        forget(partition, uriNode);
        throw e;
      }
      int status = response.statusCode();
      try (InputStream in = response.body()) {
        if (status == 307 || status == 308) {
          if (redirects == MAX_REDIRECTS) {
            throw new SluiceClientException(
                status,
                "too many redirects (more than " + MAX_REDIRECTS + "), last to " + uri,
                null);
          }
          uri = redirectTarget(uri, response);
          URI next = partition == null ? null : nodeRoot(uri, partition);
          if (next != null) {
            partitionNodes.put(partition, next);
          } else {
            forget(partition, uriNode);
          }
          uriNode = next;
          continue;
        }
        if (status / 100 != 2) {
          if (status == 404 || status / 100 == 5) {
            // 503 is how a node that no longer leads (or leads only just) refuses a produce; a 404
            // may be a node whose metadata lost the partition. Either way ask the cluster next
            // time.
            forget(partition, uriNode);
          }
          throw errorFrom(status, in.readNBytes(MAX_ERROR_BODY_BYTES));
        }
        try {
          return call.reader().read(response);
        } catch (IOException e) {
          // The reader also writes local files; its failures speak for themselves.
          throw new UncheckedIOException(e);
        }
      } catch (IOException e) {
        throw new SluiceClientException(
            "reading the answer from " + uri + " failed: " + describe(e), e);
      }
    }
  }

  /**
   * The partition a path is about, {@code topics/<t>/partitions/<n>}, or null for a path about no
   * partition (a topic, the cluster, producer ids).
   */
  static String partitionKey(String path) {
    int query = path.indexOf('?');
    String[] segments = (query < 0 ? path : path.substring(0, query)).split("/", -1);
    if (segments.length < 4
        || !segments[0].equals(Paths.TOPICS)
        || segments[1].isEmpty()
        || !segments[2].equals(Paths.PARTITIONS)
        || segments[3].isEmpty()
        || !segments[3].chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    return String.join("/", segments[0], segments[1], segments[2], segments[3]);
  }

  /**
   * The API root of the node a redirect for {@code partition} sends to: {@code target} up to the
   * partition's path (its origin, plus any path prefix it serves the API under), or null when the
   * target does not name the partition's path.
   */
  static URI nodeRoot(URI target, String partition) {
    String path = target.getRawPath();
    if (target.getScheme() == null || target.getRawAuthority() == null || path == null) {
      return null;
    }
    String inPath = "/" + partition;
    int at = path.indexOf(inPath + "/");
    if (at < 0) {
      at = path.endsWith(inPath) ? path.length() - inPath.length() : -1;
    }
    if (at < 0) {
      return null;
    }
    return URI.create(
        target.getScheme() + "://" + target.getRawAuthority() + path.substring(0, at + 1));
  }

  /** Stops sending the partition's requests to {@code node}, if they went there. */
  private void forget(String partition, URI node) {
    if (partition != null && node != null) {
      partitionNodes.remove(partition, node);
    }
  }

  /** The failure of a request that no server of the bootstrap list (nor a cached node) took. */
  private static SluiceClientException noServer(List<NotConnected> unreachable) {
    if (unreachable.size() == 1) {
      NotConnected only = unreachable.get(0);
      return new SluiceClientException(only.getMessage(), only.getCause());
    }
    StringBuilder message =
        new StringBuilder("cannot reach any of the ")
            .append(unreachable.size())
            .append(" servers tried: ");
    for (int i = 0; i < unreachable.size(); i++) {
      NotConnected e = unreachable.get(i);
      message.append(i == 0 ? "" : "; ").append(e.server).append(": ").append(e.reason);
    }
    SluiceClientException failure =
        new SluiceClientException(message.toString(), unreachable.get(0).getCause());
    for (NotConnected e : unreachable.subList(1, unreachable.size())) {
      failure.addSuppressed(e.getCause());
    }
    return failure;
  }

  /**
   * A request that never reached its server: the connection was refused, timed out, or the host
   * name did not resolve. No byte of the request was sent, so another node may take it.
   */
  private static final class NotConnected extends Exception {
    private static final long serialVersionUID = 1L;

    private final URI server;
    private final String reason;

    NotConnected(URI server, String reason, String message, IOException cause) {
      super(message, cause, false, false);
      this.server = server;
      this.reason = reason;
    }
  }

  /**
   * Sends a request once.
   *
   * @throws NotConnected when no connection to its server could be made
   * @throws SluiceClientException when it got no answer otherwise (status {@link
   *     SluiceClientException#NO_STATUS}): no answer within its timeout, a broken connection, a
   *     failed TLS handshake
   */
  private HttpResponse<InputStream> send(HttpRequest request) throws NotConnected {
    try {
      return http.send(request, BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException | ConnectException e) {
      URI server = request.uri().resolve("/");
      String reason = connectFailure(server, e);
      throw new NotConnected(server, reason, "cannot reach " + server + ": " + reason, e);
    } catch (HttpTimeoutException e) {
      // Before IOException: a timeout is no answer (NO_STATUS, retriable), and says so. The
      // server may have taken the request: it is not sent to another one.
      throw new SluiceClientException(
          "no answer within "
              + request.timeout().map(Duration::toString).orElse("the request timeout")
              + " to "
              + request.method()
              + " "
              + request.uri()
              + " (requestTimeout)",
          e);
    } catch (IOException e) {
      throw new SluiceClientException(unreachable(request.uri().resolve("/"), e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceClientException("interrupted while talking to " + request.uri(), e);
    }
  }

  /**
   * Why no connection to {@code server} could be made. java.net.http reports a refused connection
   * and an unresolved host name alike, as a {@link ConnectException} without a message.
   */
  private static String connectFailure(URI server, IOException e) {
    if (find(e, UnresolvedAddressException.class) != null
        || find(e, UnknownHostException.class) != null) {
      return "unknown host " + server.getHost();
    }
    if (e instanceof HttpConnectTimeoutException) {
      return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return "connection refused";
  }

  /** Why a request got no answer; a TLS failure says what to trust. */
  private String unreachable(URI server, IOException e) {
    SSLException tls = find(e, SSLException.class);
    if (tls == null) {
      return "cannot reach " + server + ": " + describe(e);
    }
    if (!(tls instanceof SSLHandshakeException)) {
      return "TLS with "
          + server
          + " failed: "
          + describe(tls)
          + " (does the node serve https on this port?)";
    }
    return "TLS handshake with "
        + server
        + " failed: "
        + describe(tls)
        + (customTrust
            ? "; check that the CA file is the CA that issued the node's certificate and that the"
                + " certificate names the host "
                + server.getHost()
            : "; the node's certificate is not from an authority the JDK trusts: pass the CA"
                + " file of the cluster (its ca.pem) to trust it");
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private URI redirectTarget(URI from, HttpResponse<?> response) {
    String location =
        response
            .headers()
            .firstValue("Location")
            .orElseThrow(
                () ->
                    new SluiceClientException(
                        response.statusCode(), "redirect without a Location from " + from, null));
    URI to = from.resolve(location);
    if (authorization != null
        && "https".equalsIgnoreCase(from.getScheme())
        && !"https".equalsIgnoreCase(to.getScheme())) {
      throw new SluiceClientException(
          response.statusCode(),
          "refusing the redirect from "
              + from
              + " to "
              + to
              + ": following it would send the bearer token without TLS",
          null);
    }
    return to;
  }

  /** The server's message when the body is a Sluice error body, else the status and raw text. */
  static SluiceClientException errorFrom(int status, byte[] body) {
    Optional<ErrorBody> error = parseError(body);
    if (error.isPresent()) {
      return new SluiceClientException(status, error.get().error(), error.get());
    }
    String text = new String(body, UTF_8).strip();
    if (text.length() > QUOTED_BODY_CHARS) {
      text = text.substring(0, QUOTED_BODY_CHARS) + "...";
    }
    return new SluiceClientException(
        status, "HTTP " + status + (text.isEmpty() ? "" : ": " + text), null);
  }

  private static Optional<ErrorBody> parseError(byte[] body) {
    try {
      return Optional.of(JSON.readValue(body, ErrorBody.class));
    } catch (IOException | IllegalArgumentException notAnErrorBody) {
      // Not from a Sluice node (a proxy's page, say): the caller quotes the raw text.
      return Optional.empty();
    }
  }

  private static JsonNode readJson(HttpResponse<InputStream> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static <T> T convert(JsonNode json, Class<T> type, String what) {
    try {
      return JSON.treeToValue(json, type);
    } catch (JsonProcessingException e) {
      throw SluiceClientException.badAnswer(
          "unexpected " + what + " from the server: " + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException e) {
      throw SluiceClientException.badAnswer(
          "unexpected " + what + " from the server: " + firstLine(e.getMessage()), e);
    }
  }

  private static String writeJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value + " as JSON", e);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no detail)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static String describe(Throwable e) {
    // HttpClient's ConnectException has no message of its own; its cause says "Connection refused".
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }
}
