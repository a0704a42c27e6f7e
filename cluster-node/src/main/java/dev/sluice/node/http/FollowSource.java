package dev.sluice.node.http;

import dev.sluice.log.LogSlice;
import dev.sluice.log.PartitionLog;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The body of a follow-mode fetch ({@code follow=true}): committed batches from the fetch's offset,
 * one {@code maxBytes} window at a time, then each window that later commits bring, for as long as
 * the client reads.
 *
 * <p>Back-pressure: the next window is read from the log only when downstream (the client's TCP
 * connection) has taken the previous one; while caught up, the stream waits on the log's high
 * watermark ({@link PartitionLog#awaitHighWatermarkAbove}), not on a timer that polls.
 *
 * <p>The stream ends (the response completes) when no record was committed for the fetch's {@code
 * maxWait} (the idle bound), when the log is truncated below the next offset or closed (the replica
 * stopped or moved), or when the client goes away. The server notices a client that closed its
 * connection when it next writes to it, so an idle stream of a gone client lasts at most the idle
 * bound. In NDJSON mode its last line is {@code {"nextOffset":N,"highWatermark":H}}, where the
 * client continues; in batch mode the client knows the next offset from the last batch it read. A
 * read error (a segment deleted by retention under the reader) fails the stream, which cuts the
 * response short; the client fetches again.
 *
 * <p>Thread-safety: each {@link #source()} materialization has its own position; log reads run on
 * {@code blocking}.
 */
final class FollowSource {
  private final PartitionLog log;
  private final FetchRequest fetch;
  private final Executor blocking;

  /** Follow streams of this JVM not yet ended (diagnostics and tests). */
  private static final AtomicInteger OPEN = new AtomicInteger();

  /** The high watermark wait in progress, cancelled when the client goes away. */
  private final AtomicReference<CompletableFuture<Long>> waiting = new AtomicReference<>();

  /** Where the stream stands: the next offset to send, or done after the end line. */
  private record Position(long next, boolean done) {}

  FollowSource(PartitionLog log, FetchRequest fetch, Executor blocking) {
    this.log = log;
    this.fetch = fetch;
    this.blocking = blocking;
  }

  /** How many follow streams are open in this JVM. */
  static int openStreams() {
    return OPEN.get();
  }

  Source<ByteString, NotUsed> source() {
    return Source.unfoldAsync(new Position(fetch.offset(), false), this::step)
        .flatMapConcat(window -> window)
        .watchTermination(
            (notUsed, done) -> {
              OPEN.incrementAndGet();
              done.whenComplete(
                  (d, failure) -> {
                    OPEN.decrementAndGet();
                    CompletableFuture<Long> w = waiting.get();
                    if (w != null) {
                      w.cancel(false);
                    }
                  });
              return NotUsed.getInstance();
            });
  }

  private CompletionStage<Optional<Pair<Position, Source<ByteString, NotUsed>>>> step(Position at) {
    if (at.done()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return CompletableFuture.supplyAsync(() -> window(at.next()), blocking)
        .thenCompose(
            window -> {
              if (window.isPresent()) {
                return CompletableFuture.completedFuture(window);
              }
              long hw = log.highWatermark();
              if (hw < at.next()) {
                return end(at.next(), hw); // truncated below what was sent
              }
              CompletableFuture<Long> moved =
                  log.awaitHighWatermarkAbove(hw)
                      .orTimeout(fetch.maxWait().toNanos(), TimeUnit.NANOSECONDS);
              waiting.set(moved);
              return moved
                  .handleAsync(
                      (now, idle) ->
                          idle != null || now <= hw
                              ? end(at.next(), log.highWatermark())
                              : step(at),
                      blocking)
                  .thenCompose(next -> next);
            });
  }

  /** Committed batches at {@code next} as one window, or empty when caught up. */
  private Optional<Pair<Position, Source<ByteString, NotUsed>>> window(long next) {
    long hw = log.highWatermark();
    if (next >= hw) {
      return Optional.empty();
    }
    List<LogSlice> slices = ConsumeHandler.committedSlices(log, next, fetch.maxBytes(), hw);
    if (slices.isEmpty()) {
      return Optional.empty();
    }
    long after = slices.get(slices.size() - 1).lastOffset() + 1;
    Source<ByteString, NotUsed> body;
    if (fetch.ndjson()) {
      body = NdjsonRecordSource.create(slices, next, ConsumeHandler.storedLimit(log));
    } else {
      body = Source.empty();
      for (LogSlice s : slices) {
        body = body.concat(FileRegionSource.create(s.segmentFile(), s.position(), s.length()));
      }
    }
    return Optional.of(Pair.create(new Position(after, false), body));
  }

  private CompletionStage<Optional<Pair<Position, Source<ByteString, NotUsed>>>> end(
      long next, long hw) {
    Optional<Pair<Position, Source<ByteString, NotUsed>>> last =
        fetch.ndjson()
            ? Optional.of(
                Pair.create(
                    new Position(next, true), Source.single(NdjsonRecordSource.endLine(next, hw))))
            : Optional.empty();
    return CompletableFuture.completedFuture(last);
  }
}
