package dev.sluice.node.http;

import dev.sluice.api.Acks;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.ProduceResponse;
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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produce: streams the request body to a staging file beside the partition's log, appends it as one
 * batch, and answers once the acknowledgement condition holds ({@code acks=all}: the high watermark
 * passed the record; {@code acks=leader}: written locally).
 *
 * <p>The body is never held in memory, and nothing reaches the log before the whole body has
 * arrived: a client that disconnects mid-upload fails the staging stream, the staging file is
 * deleted and the log is untouched. A body over the batch limit is refused with 413 as soon as its
 * declared length (or the bytes counted so far) exceed it. A node whose replica does not lead sends
 * the client to the leader ({@link Redirects#toLeader}).
 *
 * <p>Thread-safety: stateless between requests; every request runs on its own stages.
 */
public final class ProduceHandler {
  private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

  private final ActorSystem<?> system;
  private final LocalReplicas replicas;
  private final Redirects redirects;

  /** The node's batch limit; a topic may set its own ({@code max-batch-bytes}). */
  private final long nodeMaxBatchBytes;

  private final Duration ackTimeout;
  private final Executor blocking;
  private final ApiMetrics metrics;

  public ProduceHandler(
      ActorSystem<?> system,
      LocalReplicas replicas,
      TopicService topics,
      long maxBatchBytes,
      Duration ackTimeout,
      Executor blocking,
      ApiMetrics metrics) {
    this.system = system;
    this.replicas = replicas;
    this.redirects = new Redirects(topics, replicas.localNode());
    this.nodeMaxBatchBytes = maxBatchBytes;
    this.ackTimeout = ackTimeout;
    this.blocking = blocking;
    this.metrics = metrics;
  }

  public CompletionStage<HttpResponse> produce(
      String topic, int partition, Optional<String> key, Optional<String> acks, HttpRequest req) {
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
      keyBytes = key.map(k -> k.getBytes(StandardCharsets.UTF_8)).orElse(null);
      // The partition's own limit: its topic may override the node's.
      maxBatch = leader.get().log().settings().maxBatchBytes();
      maxValue = maxBatch - PartitionLog.batchSizeFor(keyBytes, List.of(), 0);
      OptionalLong declared = req.entity().getContentLengthOption();
      if (declared.isPresent() && declared.getAsLong() > maxValue) {
        throw tooLarge(declared.getAsLong(), maxValue, maxBatch);
      }
    } catch (RuntimeException e) {
      return refuseBody(req).thenCompose(drained -> CompletableFuture.failedFuture(e));
    }
    return stageAndAppend(leader.get(), keyBytes, maxValue, maxBatch, all, req);
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
    AppendOp op = (log, epoch) -> log.appendValueFile(key, List.of(), staged, epoch);
    CompletionStage<PartitionLeader.AppendReply> appended =
        req.entity()
            .withoutSizeLimit()
            .getDataBytes()
            .via(limit(maxValue, maxBatch))
            .runWith(FileIO.toPath(staged), system)
            .thenCompose(
                io -> {
                  metrics.bytesIn(replica.partitionId().topic(), io.count());
                  return replica.append(op, all, ackTimeout);
                });
    return appended
        .whenComplete((reply, failure) -> deleteQuietly(replica, staged))
        .thenCompose(reply -> acknowledged(replica, reply, all, req))
        .thenApply(offset -> HttpJson.ok(new ProduceResponse(offset)));
  }

  private CompletionStage<Long> acknowledged(
      PartitionReplica replica, PartitionLeader.AppendReply reply, boolean all, HttpRequest req) {
    if (reply instanceof PartitionLeader.AppendRefused refused) {
      return refused(replica, refused, req);
    }
    long offset = ((PartitionLeader.Appended) reply).info().baseOffset();
    if (!all) {
      return CompletableFuture.completedFuture(offset);
    }
    return replica
        .awaitCommitted(offset, ackTimeout)
        .handle(
            (commit, failure) -> {
              if (commit instanceof PartitionLeader.Committed) {
                return offset;
              }
              String why =
                  commit instanceof PartitionLeader.NotCommitted nc
                      ? nc.reason()
                      : "not replicated to the in-sync replicas within sluice.api.request-timeout = "
                          + ackTimeout.toMillis()
                          + "ms";
              throw new ApiException(
                  503,
                  "record written at offset "
                      + offset
                      + " of "
                      + replica.partitionId()
                      + " but not acknowledged: "
                      + why,
                  Map.of(ErrorBody.OFFSET, offset));
            });
  }

  private CompletionStage<Long> refused(
      PartitionReplica replica, PartitionLeader.AppendRefused refused, HttpRequest req) {
    PartitionId tp = replica.partitionId();
    ApiException error =
        switch (refused.reason()) {
          case NOT_ENOUGH_REPLICAS -> new ApiException(503, refused.message());
          case TOO_LARGE -> new ApiException(413, refused.message());
          case INVALID -> new ApiException(400, refused.message());
          case STORAGE_ERROR -> new ApiException(500, refused.message());
          case NOT_LEADER ->
              new ApiException(
                  503,
                  "leadership of "
                      + tp
                      + " moved while the record was being received; nothing was written: retry");
        };
    return CompletableFuture.failedFuture(error);
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
            + (maxBatchBytes == nodeMaxBatchBytes
                ? "sluice.storage.max-batch-bytes"
                : "the topic's max-batch-bytes")
            + " = "
            + maxBatchBytes
            + " (largest value with this key: "
            + maxValue
            + " bytes)",
        limits(maxValue, maxBatchBytes));
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
