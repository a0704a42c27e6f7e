package dev.sluice.node.http;

import dev.sluice.api.ErrorBody;
import dev.sluice.api.Headers;
import dev.sluice.api.MediaTypes;
import dev.sluice.format.BatchLimit;
import dev.sluice.log.FetchResult;
import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.RecordLocation;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

/**
 * Consume: serves records below the high watermark from any local replica, streaming values from
 * the segment files (a value in a compressed batch is decompressed on the way, in bounded memory).
 * Offsets at or above the high watermark are not readable yet (416 with the readable range); a node
 * without a replica sends the client to one that has it.
 *
 * <p>The batch endpoint answers raw batches exactly as stored (Kafka's RecordBatch v2, {@code
 * dev.sluice.format.BatchLayout}; compressed batches stay compressed), whole batches only and at
 * least one when one is readable (KIP-74), with {@link Headers#NEXT_OFFSET} telling where to
 * continue, or the same batches decoded into {@link MediaTypes#NDJSON} lines ({@link
 * NdjsonRecordSource}). Parameters are {@link FetchRequest}'s. A long poll waits on the replica's
 * high watermark ({@link PartitionLog#awaitHighWatermarkAbove}), whether it leads or follows, until
 * {@code minBytes} are committed or {@code maxWait} passed; a follow-mode fetch streams for as long
 * as {@link FollowSource} says.
 *
 * <p>Thread-safety: stateless between requests; file reads, and everything a high watermark move
 * wakes, run on the blocking-IO executor, never on the thread that moved the high watermark.
 */
public final class ConsumeHandler {
  /** {@link MediaTypes#OCTET_STREAM} as Pekko's content type. */
  static final ContentType OCTETS = ContentTypes.parse(MediaTypes.OCTET_STREAM);

  /** {@link MediaTypes#NDJSON} as Pekko's content type: UTF-8 text, no charset parameter. */
  static final ContentType NDJSON =
      org.apache.pekko.http.javadsl.model.MediaTypes.applicationWithFixedCharset(
              "x-ndjson", HttpCharsets.UTF_8)
          .toContentType();

  /** Chunks a decompressed value is streamed in. */
  private static final int VALUE_CHUNK_BYTES = 64 * 1024;

  private final LocalReplicas replicas;
  private final Redirects redirects;
  private final Executor blocking;
  private final Duration maxFetchWait;

  /**
   * @param maxFetchWait {@code sluice.api.max-fetch-wait}: the cap of a fetch's {@code maxWaitMs}
   *     and the idle bound of a follow-mode fetch
   */
  public ConsumeHandler(
      LocalReplicas replicas, TopicService topics, Executor blocking, Duration maxFetchWait) {
    this.replicas = replicas;
    this.redirects = new Redirects(topics, replicas.localNode());
    this.blocking = blocking;
    this.maxFetchWait = maxFetchWait;
  }

  public CompletionStage<HttpResponse> record(
      String topic, int partition, long offset, HttpRequest req) {
    PartitionId tp = TopicService.partitionId(topic, partition);
    Optional<PartitionReplica> replica = replicas.get(tp);
    if (replica.isEmpty()) {
      return redirects.toReplica(tp, req);
    }
    PartitionLog log = replica.get().log();
    Optional<CompletionStage<HttpResponse>> elsewhere = notServedHere(replica.get(), offset, req);
    if (elsewhere.isPresent()) {
      return elsewhere.get();
    }
    return CompletableFuture.supplyAsync(
        () -> {
          long hw = checkReadable(tp, log, offset);
          RecordLocation loc = locate(log, offset, hw);
          List<org.apache.pekko.http.javadsl.model.HttpHeader> headers = new ArrayList<>();
          headers.add(RawHeader.create(Headers.OFFSET, Long.toString(offset)));
          headers.add(RawHeader.create(Headers.HIGH_WATERMARK, Long.toString(hw)));
          if (loc.key() != null) {
            headers.add(
                RawHeader.create(Headers.KEY, new String(loc.key(), StandardCharsets.UTF_8)));
          }
          long length = Math.max(0, loc.valueLength());
          Source<ByteString, NotUsed> body;
          if (length == 0) {
            body = Source.empty();
          } else if (loc.valueInFile()) {
            body = FileRegionSource.create(loc.valueFile(), loc.valuePosition(), length);
          } else {
            // A record of a compressed batch: decompressed from the batch's start up to the value,
            // then streamed in chunks; memory is the codec's window, whatever the value's size.
            body =
                StreamConverters.fromInputStream(loc::openValue, VALUE_CHUNK_BYTES)
                    .mapMaterializedValue(done -> NotUsed.getInstance());
          }
          return HttpResponse.create().withHeaders(headers).withEntity(octets(length, body));
        },
        blocking);
  }

  /**
   * {@code GET .../records?offset=&maxBytes=&maxWaitMs=&minBytes=&follow=}: whole committed batches
   * from {@code offset}, as stored or as NDJSON ({@link FetchRequest}), answered at once, after a
   * long poll, or as a stream that follows the high watermark.
   */
  public CompletionStage<HttpResponse> batches(
      String topic, int partition, String offsetParam, HttpRequest req) {
    PartitionId tp = TopicService.partitionId(topic, partition);
    FetchRequest fetch = FetchRequest.of(offsetParam, req, maxFetchWait);
    long offset = fetch.offset();
    Optional<PartitionReplica> replica = replicas.get(tp);
    if (replica.isEmpty()) {
      return redirects.toReplica(tp, req);
    }
    PartitionLog log = replica.get().log();
    if (offset != log.highWatermark()) {
      Optional<CompletionStage<HttpResponse>> elsewhere = notServedHere(replica.get(), offset, req);
      if (elsewhere.isPresent()) {
        return elsewhere.get();
      }
    }
    if (fetch.follow()) {
      return CompletableFuture.supplyAsync(
          () -> {
            Committed start = committed(tp, log, fetch.offset(), fetch.maxBytes());
            return withPositionHeaders(HttpResponse.create(), start, false)
                .withEntity(
                    HttpEntities.createChunked(
                        fetch.ndjson() ? NDJSON : OCTETS,
                        new FollowSource(log, fetch, blocking).source()));
          },
          blocking);
    }
    long deadline = System.nanoTime() + fetch.maxWait().toNanos();
    return longPoll(tp, log, fetch, deadline).thenApply(answer -> respond(log, fetch, answer));
  }

  /**
   * Reads until {@code minBytes} of committed batches are there or the deadline passed. Each wait
   * is on the log's high watermark, so the answer goes out as soon as a commit makes it big enough,
   * and nothing polls the log meanwhile.
   */
  private CompletionStage<Committed> longPoll(
      PartitionId tp, PartitionLog log, FetchRequest fetch, long deadline) {
    return CompletableFuture.supplyAsync(
            () -> committed(tp, log, fetch.offset(), fetch.maxBytes()), blocking)
        .thenCompose(
            answer -> {
              long remaining = deadline - System.nanoTime();
              if (answer.bytes() >= fetch.minBytes() || remaining <= 0) {
                return CompletableFuture.completedFuture(answer);
              }
              long seen = answer.highWatermark();
              return log.awaitHighWatermarkAbove(seen)
                  .orTimeout(remaining, TimeUnit.NANOSECONDS)
                  .handleAsync(
                      (hw, timedOut) ->
                          // A timeout, or a truncation or close (no move above what was seen):
                          // answer what is there now instead of waiting on.
                          timedOut != null || hw <= seen
                              ? longPoll(tp, log, fetch, System.nanoTime())
                              : longPoll(tp, log, fetch, deadline),
                      blocking)
                  .thenCompose(next -> next);
            });
  }

  /** Committed batches from an offset, and the positions the answer's headers report. */
  record Committed(List<LogSlice> slices, long nextOffset, long highWatermark, long logStart) {
    long bytes() {
      long total = 0;
      for (LogSlice s : slices) {
        total += s.length();
      }
      return total;
    }
  }

  private Committed committed(PartitionId tp, PartitionLog log, long offset, long maxBytes) {
    long hw = log.highWatermark();
    if (offset != hw) {
      checkReadable(tp, log, offset);
    }
    List<LogSlice> slices = committedSlices(log, offset, maxBytes, hw);
    long next = slices.isEmpty() ? offset : slices.get(slices.size() - 1).lastOffset() + 1;
    return new Committed(slices, next, hw, log.logStartOffset());
  }

  private HttpResponse respond(PartitionLog log, FetchRequest fetch, Committed answer) {
    HttpResponse response = withPositionHeaders(HttpResponse.create(), answer, true);
    if (fetch.ndjson()) {
      Source<ByteString, NotUsed> lines =
          answer.slices().isEmpty()
              ? Source.empty()
              : NdjsonRecordSource.create(answer.slices(), fetch.offset(), storedLimit(log));
      return response.withEntity(HttpEntities.createChunked(NDJSON, lines));
    }
    Source<ByteString, NotUsed> body = Source.empty();
    for (LogSlice s : answer.slices()) {
      body = body.concat(FileRegionSource.create(s.segmentFile(), s.position(), s.length()));
    }
    return response.withEntity(octets(answer.bytes(), body));
  }

  private static HttpResponse withPositionHeaders(
      HttpResponse response, Committed answer, boolean nextOffset) {
    HttpResponse r =
        response
            .addHeader(
                RawHeader.create(Headers.HIGH_WATERMARK, Long.toString(answer.highWatermark())))
            .addHeader(
                RawHeader.create(Headers.LOG_START_OFFSET, Long.toString(answer.logStart())));
    return nextOffset
        ? r.addHeader(RawHeader.create(Headers.NEXT_OFFSET, Long.toString(answer.nextOffset())))
        : r;
  }

  /** The batch limit the stored batches were checked against: any stored batch passes it. */
  static BatchLimit storedLimit(PartitionLog log) {
    return BatchLimit.segmentBytes(log.settings().segmentBytes());
  }

  /** A streamed binary body; HTTP wants the empty entity for zero bytes. */
  private static ResponseEntity octets(long length, Source<ByteString, NotUsed> body) {
    return length == 0
        ? HttpEntities.create(OCTETS, new byte[0])
        : HttpEntities.create(OCTETS, length, body);
  }

  /** Whole batches below the high watermark, at least one when one is committed. */
  static List<LogSlice> committedSlices(PartitionLog log, long offset, long maxBytes, long hw) {
    if (offset >= hw) {
      return List.of();
    }
    FetchResult fetched;
    try {
      fetched = log.read(offset, maxBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<LogSlice> committed = new ArrayList<>();
    for (LogSlice s : fetched.slices()) {
      if (s.lastOffset() < hw) {
        committed.add(s);
      } else {
        break; // a slice reaching past the watermark is left for a later read
      }
    }
    return committed;
  }

  /**
   * Where an offset at or above this replica's high watermark must be asked instead, so that an
   * acknowledged record is never answered "not written": a follower's high watermark trails the
   * leader's, so it sends the client to the leader; a new leader whose high watermark has not yet
   * reached the start of its epoch may hold committed records above it and answers 503 (retry)
   * until its followers report. Only a leader whose high watermark is confirmed in its epoch
   * answers 416 for offsets above it (see {@link #checkReadable}). Empty when this replica answers.
   */
  private Optional<CompletionStage<HttpResponse>> notServedHere(
      PartitionReplica replica, long offset, HttpRequest req) {
    PartitionLog log = replica.log();
    long hw = log.highWatermark();
    if (offset < hw || offset < log.logStartOffset()) {
      return Optional.empty();
    }
    PartitionId tp = replica.partitionId();
    if (!replica.isLeader()) {
      return Optional.of(redirectToLeader(tp, hw, req));
    }
    long epochStart = replica.epochStartOffset();
    if (epochStart < 0 || hw < epochStart) {
      return Optional.of(
          CompletableFuture.failedFuture(
              new ApiException(
                  503,
                  tp
                      + " has a new leader confirming its high watermark ("
                      + hw
                      + ", epoch starts at "
                      + Math.max(epochStart, hw)
                      + "); offset "
                      + offset
                      + " may be committed: retry",
                  Map.of(ErrorBody.HIGH_WATERMARK, hw))));
    }
    return Optional.empty();
  }

  private CompletionStage<HttpResponse> redirectToLeader(
      PartitionId tp, long localHighWatermark, HttpRequest req) {
    Supplier<ApiException> noLeaderToAsk =
        () ->
            new ApiException(
                503,
                tp
                    + " has no leader here to confirm offsets at or above this replica's high"
                    + " watermark "
                    + localHighWatermark
                    + ": retry",
                Map.of(ErrorBody.HIGH_WATERMARK, localHighWatermark));
    return redirects.toLeader(tp, req, noLeaderToAsk, noLeaderToAsk);
  }

  private static long checkReadable(PartitionId tp, PartitionLog log, long offset) {
    long hw = log.highWatermark();
    long start = log.logStartOffset();
    if (offset < start || offset >= hw) {
      throw new ApiException(
          416,
          "offset "
              + offset
              + " of "
              + tp
              + " is out of range: readable offsets are ["
              + start
              + ", "
              + hw
              + ")",
          readableRange(start, hw));
    }
    return hw;
  }

  private static RecordLocation locate(PartitionLog log, long offset, long hw) {
    try {
      return log.locate(offset)
          .orElseThrow(
              () ->
                  new ApiException(
                      416,
                      "offset " + offset + " is not in the log",
                      readableRange(log.logStartOffset(), hw)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The details of a 416: the offsets a client can read here. */
  private static Map<String, Object> readableRange(long logStart, long hw) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put(ErrorBody.LOG_START_OFFSET, logStart);
    details.put(ErrorBody.HIGH_WATERMARK, hw);
    return details;
  }
}
