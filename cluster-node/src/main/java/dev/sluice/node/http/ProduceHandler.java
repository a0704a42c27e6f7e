package dev.sluice.node.http;

import dev.sluice.api.Acks;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.Headers;
import dev.sluice.api.MediaTypes;
import dev.sluice.api.ProduceResponse;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.Record;
import dev.sluice.format.ValidatedBatch;
import dev.sluice.log.AppendInfo;
import dev.sluice.log.PartitionLog;
import dev.sluice.node.LogMdc;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.leader.AppendOp;
import dev.sluice.replication.leader.PartitionLeader;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produce, in two body formats, each request becoming one batch appended by the partition's leader
 * and answered once the acknowledgement condition holds ({@code acks=all}: the high watermark
 * passed the batch; {@code acks=leader}: written locally) with its first and last offsets and its
 * count:
 *
 * <ul>
 *   <li>{@code application/octet-stream} (or no type): one record whose value is the body, streamed
 *       to a staging file beside the partition's log; the body is never held in memory.
 *   <li>{@code application/x-ndjson}: many records, one JSON object per line ({@link
 *       NdjsonBatchReader}), parsed as the body streams in and held only as decoded records,
 *       bounded by {@code sluice.api.inline-batch-bytes} (the body) and the partition's {@code
 *       max-batch-bytes} (the batch).
 *   <li>{@code application/vnd.sluice.record-batch.v2}: one RecordBatch v2 built by the producer
 *       ({@link RecordBatchBodyReader}), checked as it streams in, under the same two limits, and
 *       stored as sent but for its base offset and leader epoch.
 * </ul>
 *
 * <p>A record batch may carry an idempotent producer's id, epoch and sequence ({@code POST
 * /producers}). The log checks them when it appends: a retry of a batch it already holds is
 * answered with the original offsets and {@code "duplicate": true} (after {@code acks=all} waited
 * for those offsets like for any batch); a batch that breaks the producer's sequence is answered
 * with 409, the rule's name as {@code code}, the producer id and the expected sequence when known.
 *
 * <p>Nothing reaches the log before the whole body has arrived and, for NDJSON, every line was
 * valid: a client that disconnects mid-upload fails the stream (a staging file is deleted), a
 * malformed line answers 400 naming its index and byte position, and the log is untouched either
 * way. A body over a limit is refused with 413 as soon as its declared length, the bytes counted so
 * far or the records decoded so far exceed it. A node whose replica does not lead sends the client
 * to the leader ({@link Redirects#toLeader}).
 *
 * <p>Thread-safety: stateless between requests; every request runs on its own stages.
 */
public final class ProduceHandler {
  private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

  /** Error detail of a 413 for an NDJSON body: {@code sluice.api.inline-batch-bytes}. */
  static final String INLINE_BATCH_BYTES = "inlineBatchBytes";

  private static final ByteString NEWLINE = ByteString.fromString("\n");

  /** How long a batch that overtook an earlier one of its producer waits for it. */
  static final Duration REORDER_WAIT = Duration.ofMillis(250);

  private final ActorSystem<?> system;
  private final LocalReplicas replicas;
  private final Redirects redirects;

  /** The node's batch limit; a topic may set its own ({@code max-batch-bytes}). */
  private final long nodeMaxBatchBytes;

  /** {@code sluice.api.inline-batch-bytes}: the largest NDJSON or record-batch body. */
  private final long inlineBatchBytes;

  private final Duration ackTimeout;
  private final Executor blocking;
  private final ApiMetrics metrics;

  /**
   * Runs the stage after each future the actor system completes (a stream's end, an ask's reply).
   * Those futures run a plain continuation on the JDK's default async pool, which on a machine with
   * one or two cores starts a new thread per continuation; the system's dispatcher does not.
   */
  private final Executor stages;

  public ProduceHandler(
      ActorSystem<?> system,
      LocalReplicas replicas,
      TopicService topics,
      long maxBatchBytes,
      long inlineBatchBytes,
      Duration ackTimeout,
      Executor blocking,
      ApiMetrics metrics) {
    this.system = system;
    this.replicas = replicas;
    this.redirects = new Redirects(topics, replicas.localNode());
    this.nodeMaxBatchBytes = maxBatchBytes;
    this.inlineBatchBytes = inlineBatchBytes;
    this.ackTimeout = ackTimeout;
    this.blocking = blocking;
    this.metrics = metrics;
    this.stages = system.executionContext();
  }

  /**
   * Appends the body of {@code req} to the partition: one record (octet-stream, {@code key} from
   * the key header), or the records of an NDJSON body or of a producer-built batch, which carry
   * their own keys.
   */
  public CompletionStage<HttpResponse> produce(
      String topic, int partition, Optional<String> key, Optional<String> acks, HttpRequest req) {
    boolean ndjson = isNdjson(req);
    boolean recordBatch = isRecordBatch(req);
    PartitionId tp;
    try {
      tp = TopicService.partitionId(topic, partition);
    } catch (ApiException e) {
      return refuseBody(req).thenCompose(drained -> CompletableFuture.failedFuture(e));
    }
    Optional<PartitionReplica> leader = replicas.get(tp).filter(PartitionReplica::isLeader);
    if (leader.isEmpty()) {
      return refuseBody(req).thenCompose(drained -> redirectToLeader(tp, req));
    }
    boolean all;
    byte[] keyBytes;
    long maxValue;
    long maxBatch;
    try {
      all = parseAcks(acks) == Acks.ALL;
      // The partition's own limit: its topic may override the node's.
      maxBatch = leader.get().log().settings().maxBatchBytes();
      OptionalLong declared = req.entity().getContentLengthOption();
      if (recordBatch || ndjson) {
        requireBatchBody(
            recordBatch ? "a " + MediaTypes.RECORD_BATCH_V2 : "an " + MediaTypes.NDJSON,
            key,
            declared);
      }
      if (recordBatch) {
        if (declared.isPresent() && declared.getAsLong() > maxBatch) {
          throw new ApiException(
              413,
              "record batch of "
                  + declared.getAsLong()
                  + " bytes is larger than "
                  + maxBatchName(maxBatch)
                  + " = "
                  + maxBatch
                  + "; nothing was written: send fewer or smaller records per batch",
              Map.of(ErrorBody.MAX_BATCH_BYTES, maxBatch));
        }
        return validateAndAppend(leader.get(), maxBatch, all, req);
      }
      if (ndjson) {
        return decodeAndAppend(leader.get(), maxBatch, all, req);
      }
      keyBytes = key.map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
      maxValue = maxBatch - PartitionLog.batchSizeFor(keyBytes, List.of(), 0);
      if (declared.isPresent() && declared.getAsLong() > maxValue) {
        throw tooLarge(declared.getAsLong(), maxValue, maxBatch);
      }
    } catch (RuntimeException e) {
      return refuseBody(req).thenCompose(drained -> CompletableFuture.failedFuture(e));
    }
    return stageAndAppend(leader.get(), keyBytes, maxValue, maxBatch, all, req);
  }

  /** Whether the body is records as JSON lines rather than one record's value. */
  static boolean isNdjson(HttpRequest req) {
    MediaType type = req.entity().getContentType().mediaType();
    return (type.mainType() + "/" + type.subType()).equalsIgnoreCase(MediaTypes.NDJSON);
  }

  /** Whether the body is one producer-built RecordBatch v2. */
  static boolean isRecordBatch(HttpRequest req) {
    MediaType type = req.entity().getContentType().mediaType();
    return (type.mainType() + "/" + type.subType()).equalsIgnoreCase(MediaTypes.RECORD_BATCH_V2);
  }

  /**
   * Checks the producer-built batch as it streams in ({@link RecordBatchBodyReader}), then has the
   * leader append it as sent, stamping only its base offset and leader epoch.
   */
  private CompletionStage<HttpResponse> validateAndAppend(
      PartitionReplica replica, long maxBatch, boolean all, HttpRequest req) {
    RecordBatchBodyReader reader =
        new RecordBatchBodyReader(
            "record batch sent to " + replica.partitionId(),
            inlineBatchBytes,
            maxBatch,
            maxBatchName(maxBatch));
    CompletionStage<Answer> appended =
        req.entity()
            .withoutSizeLimit()
            .getDataBytes()
            .runForeach(reader::accept, system)
            .thenComposeAsync(
                done -> {
                  ValidatedBatch batch = reader.finish();
                  metrics.bytesIn(replica.partitionId().topic(), reader.bytes());
                  AppendOp op = (log, epoch) -> log.appendValidatedBatch(batch, epoch);
                  return appendInOrder(replica, op, batch.header(), all);
                },
                stages);
    return appended
        .thenCompose(reply -> acknowledged(replica, reply, all, req))
        .thenApply(
            info -> {
              if (info.duplicate()) {
                metrics.duplicate(replica.partitionId().topic());
              }
              return answer(info);
            });
  }

  /**
   * Parses the NDJSON body line by line as it streams in, then appends its records as one batch.
   * The body is counted before it is framed, so no line buffer ever holds more than {@code
   * inline-batch-bytes}.
   */
  private CompletionStage<HttpResponse> decodeAndAppend(
      PartitionReplica replica, long maxBatch, boolean all, HttpRequest req) {
    NdjsonBatchReader reader =
        new NdjsonBatchReader(maxBatch, maxBatchName(maxBatch), System.currentTimeMillis());
    int maxLine = (int) Math.min(inlineBatchBytes, Integer.MAX_VALUE - 1);
    CompletionStage<Answer> appended =
        req.entity()
            .withoutSizeLimit()
            .getDataBytes()
            .via(countBody())
            .via(Framing.delimiter(NEWLINE, maxLine, FramingTruncation.ALLOW))
            .runForeach(line -> reader.accept(line.toArrayUnsafe()), system)
            .thenComposeAsync(
                done -> {
                  List<Record> records = reader.finish();
                  metrics.bytesIn(replica.partitionId().topic(), reader.valueBytes());
                  AppendOp op = (log, epoch) -> log.appendRecords(records, epoch);
                  return append(replica, op, all);
                },
                stages);
    return appended
        .thenCompose(reply -> acknowledged(replica, reply, all, req))
        .thenApply(ProduceHandler::answer);
  }

  private CompletionStage<HttpResponse> stageAndAppend(
      PartitionReplica replica,
      byte[] key,
      long maxValue,
      long maxBatch,
      boolean all,
      HttpRequest req) {
    Path staged;
    try {
      staged = replica.log().staging().newTempFile("produce");
    } catch (IOException e) {
      return refuseBody(req)
          .thenCompose(drained -> CompletableFuture.failedFuture(new UncheckedIOException(e)));
    }
    long timestamp = System.currentTimeMillis(); // the record's CreateTime: when it arrived
    AppendOp op = (log, epoch) -> log.appendValueFile(key, List.of(), staged, timestamp, epoch);
    CompletionStage<Answer> appended =
        req.entity()
            .withoutSizeLimit()
            .getDataBytes()
            .via(limit(maxValue, maxBatch))
            .runWith(FileIO.toPath(staged), system)
            .thenComposeAsync(
                io -> {
                  metrics.bytesIn(replica.partitionId().topic(), io.count());
                  return append(replica, op, all);
                },
                stages);
    return appended
        .whenComplete((reply, failure) -> deleteQuietly(replica, staged))
        .thenCompose(reply -> acknowledged(replica, reply, all, req))
        .thenApply(ProduceHandler::answer);
  }

  /** The answer to an acknowledged append; a duplicate says so, with its original's offsets. */
  private static HttpResponse answer(AppendInfo info) {
    return HttpJson.ok(
        new ProduceResponse(
            info.baseOffset(),
            info.lastOffset(),
            Math.toIntExact(info.lastOffset() - info.baseOffset() + 1),
            info.duplicate()));
  }

  /**
   * The leader's answer to an append, and the deadline of the whole request: the acks=all commit
   * wait gets what the append left of {@code request-timeout}, not a second one.
   */
  private record Answer(PartitionLeader.AppendReply reply, long deadlineNanos) {}

  private CompletionStage<Answer> append(PartitionReplica replica, AppendOp op, boolean all) {
    return append(replica, op, all, Optional.empty());
  }

  private CompletionStage<Answer> append(
      PartitionReplica replica,
      AppendOp op,
      boolean all,
      Optional<PartitionLeader.InOrder> inOrder) {
    long deadline = System.nanoTime() + ackTimeout.toNanos();
    return replica
        .append(op, all, inOrder, ackTimeout)
        .handleAsync(
            (reply, failure) -> {
              if (failure != null) {
                throw appendAskFailed(replica.partitionId(), failure, ackTimeout);
              }
              return new Answer(reply, deadline);
            },
            stages);
  }

  /**
   * Appends an idempotent producer's batch that may have overtaken an earlier one of the same
   * producer (a producer with several batches in flight sends them on separate connections): the
   * leader holds it until the batches before it are appended, for up to {@link #REORDER_WAIT}
   * ({@link PartitionLeader.InOrder}), then answers as it would have at once. Answering 409 at once
   * would have the client resend the whole batch after its retry backoff.
   */
  private CompletionStage<Answer> appendInOrder(
      PartitionReplica replica, AppendOp op, BatchHeader header, boolean all) {
    if (header.producerId() < 0 || header.baseSequence() < 0) {
      return append(replica, op, all);
    }
    return append(
        replica,
        op,
        all,
        Optional.of(
            new PartitionLeader.InOrder(
                header.producerId(), header.baseSequence(), REORDER_WAIT, header.totalSize())));
  }

  /**
   * What a client is told when the leader did not answer an append in time. With group commit the
   * answer waits for the flush that covers the append, so on a slow disk the records may well be in
   * the log: the client must not read this as "nothing written".
   */
  static RuntimeException appendAskFailed(PartitionId tp, Throwable failure, Duration timeout) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof TimeoutException) {
      return new ApiException(
          503,
          "no answer from the leader of "
              + tp
              + " within sluice.api.request-timeout = "
              + timeout.toMillis()
              + "ms (its disk may be slow to flush): the records may have been written at an"
              + " unknown offset and may be kept; a retry may write them twice");
    }
    return cause instanceof RuntimeException r ? r : new CompletionException(cause);
  }

  /**
   * The time left of a request whose deadline is {@code deadlineNanos}: at least a millisecond, so
   * that a commit that already happened is still seen when the append used the whole timeout.
   */
  static Duration remaining(long deadlineNanos, long nowNanos) {
    return Duration.ofNanos(Math.max(deadlineNanos - nowNanos, 1_000_000L));
  }

  private CompletionStage<AppendInfo> acknowledged(
      PartitionReplica replica, Answer answer, boolean all, HttpRequest req) {
    PartitionLeader.AppendReply reply = answer.reply();
    if (reply instanceof PartitionLeader.AppendRefused refused) {
      return refused(replica, refused, req);
    }
    AppendInfo info = ((PartitionLeader.Appended) reply).info();
    if (!all) {
      return CompletableFuture.completedFuture(info);
    }
    long offset = info.baseOffset();
    return replica
        // Batches replicate whole, but wait for the last record: that is what the answer promises.
        .awaitCommitted(info.lastOffset(), remaining(answer.deadlineNanos(), System.nanoTime()))
        .handleAsync(
            (commit, failure) -> {
              if (commit instanceof PartitionLeader.Committed) {
                return info;
              }
              String why =
                  commit instanceof PartitionLeader.NotCommitted nc
                      ? nc.reason()
                      : "not replicated to the in-sync replicas within sluice.api.request-timeout = "
                          + ackTimeout.toMillis()
                          + "ms";
              String written =
                  info.lastOffset() == offset
                      ? "record written at offset " + offset
                      : (info.lastOffset() - offset + 1)
                          + " records written at offsets "
                          + offset
                          + " to "
                          + info.lastOffset();
              throw new ApiException(
                  503,
                  written + " of " + replica.partitionId() + " but not acknowledged: " + why,
                  Map.of(ErrorBody.OFFSET, offset));
            },
            stages);
  }

  private CompletionStage<AppendInfo> refused(
      PartitionReplica replica, PartitionLeader.AppendRefused refused, HttpRequest req) {
    PartitionId tp = replica.partitionId();
    ApiException error =
        switch (refused.reason()) {
          case NOT_ENOUGH_REPLICAS -> new ApiException(503, refused.message());
          case TOO_LARGE -> new ApiException(413, refused.message());
          case INVALID -> new ApiException(400, refused.message());
          case STORAGE_ERROR -> new ApiException(500, refused.message());
          case PRODUCER_STATE -> producerConflict(refused);
          // Written but never acknowledged: the client may retry, knowing it can write twice.
          case NOT_ACKNOWLEDGED -> new ApiException(503, refused.message());
          case NOT_LEADER ->
              new ApiException(
                  503,
                  "leadership of "
                      + tp
                      + " moved while the record was being received; nothing was written: retry");
        };
    return CompletableFuture.failedFuture(error);
  }

  /**
   * 409 for an idempotent batch that broke a sequence rule: the rule's name as {@link
   * ErrorBody#CODE}, so a client tells a fenced producer from a gap, the producer id, and the
   * sequence the partition expects next when it knows one.
   */
  static ApiException producerConflict(PartitionLeader.AppendRefused refused) {
    PartitionLeader.ProducerRejection rejection = refused.producer().orElseThrow();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(ErrorBody.CODE, rejection.error().name());
    details.put(ErrorBody.PRODUCER_ID, rejection.producerId());
    rejection
        .expectedSequence()
        .ifPresent(sequence -> details.put(ErrorBody.EXPECTED_SEQUENCE, sequence));
    return new ApiException(409, refused.message() + "; nothing was written", details);
  }

  private CompletionStage<HttpResponse> redirectToLeader(PartitionId tp, HttpRequest req) {
    return redirects.toLeader(
        tp,
        req,
        () -> new ApiException(503, tp + " has no leader at the moment; retry"),
        () ->
            new ApiException(
                503, "leadership of " + tp + " is moving to or from this node; retry"));
  }

  /**
   * Prepares to answer without using the body. A client that asked {@code Expect: 100-continue} has
   * not sent it and never will (no 100 is sent unless the body is read). Any other client is
   * sending it already: the body is drained first, so the client reads the answer instead of a
   * connection closed under its upload.
   */
  private CompletionStage<?> refuseBody(HttpRequest req) {
    boolean expectsContinue =
        req.getHeader("Expect").map(h -> h.value().equalsIgnoreCase("100-continue")).orElse(false);
    if (expectsContinue) {
      return CompletableFuture.completedFuture(null);
    }
    return req.entity().discardBytes(system).completionStage();
  }

  private static Acks parseAcks(Optional<String> acks) {
    if (acks.isEmpty()) {
      return Acks.DEFAULT;
    }
    try {
      return Acks.parse(acks.get());
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, e.getMessage());
    }
  }

  private ApiException tooLarge(long valueBytes, long maxValue, long maxBatchBytes) {
    return new ApiException(
        413,
        "record value of "
            + valueBytes
            + " bytes makes a batch larger than "
            + maxBatchName(maxBatchBytes)
            + " = "
            + maxBatchBytes
            + " (largest value with this key: "
            + maxValue
            + " bytes)",
        limits(maxValue, maxBatchBytes));
  }

  private String maxBatchName(long maxBatchBytes) {
    return maxBatchBytes == nodeMaxBatchBytes
        ? "sluice.storage.max-batch-bytes"
        : "the topic's max-batch-bytes";
  }

  /** An NDJSON body over {@code inline-batch-bytes}; {@code size} says what is known of it. */
  /**
   * The checks every batch body shares before it is read: no single-record key header (the records
   * carry their own keys), and a declared length within {@code sluice.api.inline-batch-bytes}.
   */
  private void requireBatchBody(String body, Optional<String> key, OptionalLong declared) {
    if (key.isPresent()) {
      throw new ApiException(
          400,
          Headers.KEY
              + " applies to a single-record produce ("
              + MediaTypes.OCTET_STREAM
              + "); the records of "
              + body
              + " body carry their own keys");
    }
    if (declared.isPresent() && declared.getAsLong() > inlineBatchBytes) {
      throw bodyTooLarge("of " + declared.getAsLong() + " bytes");
    }
  }

  private ApiException bodyTooLarge(String size) {
    return RecordBatchBodyReader.bodyTooLarge(inlineBatchBytes, size);
  }

  /** Fails an NDJSON upload as soon as more than {@code inline-batch-bytes} arrived. */
  private Flow<ByteString, ByteString, ?> countBody() {
    return Flow.of(ByteString.class)
        .statefulMap(
            () -> 0L,
            (seen, bytes) -> {
              long total = seen + bytes.size();
              if (total > inlineBatchBytes) {
                throw bodyTooLarge(
                    "of more than " + inlineBatchBytes + " bytes (" + total + " received so far)");
              }
              return Pair.create(total, bytes);
            },
            seen -> Optional.empty());
  }

  private static Map<String, Object> limits(long maxValue, long maxBatchBytes) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(ErrorBody.MAX_BATCH_BYTES, maxBatchBytes);
    details.put(ErrorBody.MAX_VALUE_BYTES, maxValue);
    return details;
  }

  /** Fails the upload as soon as more than {@code maxValue} bytes arrived (chunked bodies). */
  private Flow<ByteString, ByteString, ?> limit(long maxValue, long maxBatchBytes) {
    return Flow.of(ByteString.class)
        .statefulMap(
            () -> 0L,
            (seen, bytes) -> {
              long total = seen + bytes.size();
              if (total > maxValue) {
                throw tooLarge(total, maxValue, maxBatchBytes);
              }
              return Pair.create(total, bytes);
            },
            seen -> Optional.empty());
  }

  private static void deleteQuietly(PartitionReplica replica, Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LogMdc.run(
          replica.localNode(),
          replica.partitionId(),
          () -> log.warn("could not delete staging file {}: {}", file, e.toString()));
    }
  }
}
