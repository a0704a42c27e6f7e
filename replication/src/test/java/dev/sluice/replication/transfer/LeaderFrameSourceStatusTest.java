package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.StorageSettings;
import dev.sluice.log.PartitionLog;
import dev.sluice.log.testing.LogTestSupport;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the leader sends a follower at the tail of its log. When it tells the follower its log end:
 * before a window whose batches do not reach it, not before a window whose batches do (the follower
 * takes the leader's end to be at least its own), and whenever the high watermark moved. Where the
 * batches come from: the leader's memory while they are above the high watermark (no task on the
 * blocking-IO executor), the segment files below it; the same bytes either way. The partition's
 * change wake-ups are in the test's hands, so every step sees exactly the log the test wrote.
 */
class LeaderFrameSourceStatusTest {
  private static final int PEER_MAX_BYTES = 4096; // read windows of 16 KiB
  private static final int VALUE_BYTES = 3000; // one batch per frame, five per window
  private static final int EPOCH = 1;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final TransferSettings SETTINGS =
      new TransferSettings(
          PEER_MAX_BYTES,
          Duration.ofMinutes(10),
          Duration.ofMinutes(10),
          Duration.ofSeconds(5),
          new BackoffSettings(Duration.ofMillis(50), Duration.ofMillis(500), 0.1),
          0);

  static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path dir;
  private Path values;
  private PartitionLog log;
  private ExecutorService blockingPool;
  private final AtomicInteger blockingTasks = new AtomicInteger();
  private final Executor blocking =
      task -> {
        blockingTasks.incrementAndGet();
        blockingPool.execute(task);
      };
  private final LinkedBlockingQueue<CompletableFuture<Done>> changes = new LinkedBlockingQueue<>();
  private TestSubscriber.Probe<Frame> frames;

  @BeforeEach
  void open() throws IOException {
    log =
        PartitionLog.open(
            dir.resolve("log"), StorageSettings.of(64L << 20, 1L << 20), Clock.systemUTC());
    values = Files.createDirectories(dir.resolve("values"));
    blockingPool = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void close() throws IOException {
    if (frames != null) {
      frames.cancel(); // also when a test failed before it did
    }
    blockingPool.shutdownNow();
    log.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aWindowThatReachesTheLogEndComesWithoutAStatusAndOneThatDoesNotComesAfterOne()
      throws Exception {
    // Batches the leader wrote from files: it holds none of them in memory, every frame is read.
    appendFromFiles(2);
    frames = follow();

    frames.request(3);
    assertEquals(new Frame.LeaderStatus(EPOCH, 2, 0), frames.expectNext(WAIT));
    assertBatch(0, frames.expectNext(WAIT));
    assertBatch(1, frames.expectNext(WAIT));
    frames.request(1);

    // One batch appended at the tail: its frame alone tells the follower the new log end.
    CompletableFuture<Done> parked = parked();
    appendFromFiles(1);
    parked.complete(Done.getInstance());
    assertBatch(2, frames.expectNext(WAIT));

    // Eight batches at once, more than a window holds: the follower hears of the end first.
    parked = parked();
    appendFromFiles(8);
    parked.complete(Done.getInstance());
    frames.request(9);
    assertEquals(new Frame.LeaderStatus(EPOCH, 11, 0), frames.expectNext(WAIT));
    for (long offset = 3; offset < 11; offset++) {
      assertBatch(offset, frames.expectNext(WAIT));
    }

    // The high watermark moved with nothing new to send: a status with it.
    parked = parked();
    log.updateHighWatermark(11);
    parked.complete(Done.getInstance());
    frames.request(1);
    assertEquals(new Frame.LeaderStatus(EPOCH, 11, 11), frames.expectNext(WAIT));

    // Both moved: the status comes first, with both, even though the window reaches the end.
    parked = parked();
    appendFromFiles(1);
    log.updateHighWatermark(12);
    parked.complete(Done.getInstance());
    frames.request(2);
    assertEquals(new Frame.LeaderStatus(EPOCH, 12, 12), frames.expectNext(WAIT));
    assertBatch(11, frames.expectNext(WAIT));
  }

  @Test
  void batchesAboveTheHighWatermarkGoOutFromMemoryInTheFramesTheFilesWouldGive() throws Exception {
    LogTestSupport.appendBatches(log, 3, VALUE_BYTES);
    log.updateHighWatermark(2); // the first two only are on every in-sync replica
    frames = follow();

    // Offset 0 is not in memory: a window planned on the blocking executor and read from the
    // files, which reaches the log end (offset 2 with it).
    frames.request(4);
    assertEquals(new Frame.LeaderStatus(EPOCH, 3, 2), frames.expectNext(WAIT));
    for (long offset = 0; offset < 3; offset++) {
      assertFileBytes(offset, frames.expectNext(WAIT));
    }
    int planned = blockingTasks.get(); // each file window is planned there first
    assertTrue(planned > 0, "offsets 0 to 2 were read from the files");

    // Four batches appended at the tail fit one window: no status, as from the files.
    CompletableFuture<Done> parked = parked();
    LogTestSupport.appendBatches(log, 4, VALUE_BYTES);
    parked.complete(Done.getInstance());
    frames.request(4);
    for (long offset = 3; offset < 7; offset++) {
      assertFileBytes(offset, frames.expectNext(WAIT));
    }

    // Eight, more than a window holds: the follower hears of the end first, as from the files.
    parked = parked();
    LogTestSupport.appendBatches(log, 8, VALUE_BYTES);
    parked.complete(Done.getInstance());
    frames.request(9);
    assertEquals(new Frame.LeaderStatus(EPOCH, 15, 2), frames.expectNext(WAIT));
    for (long offset = 7; offset < 15; offset++) {
      assertFileBytes(offset, frames.expectNext(WAIT));
    }
    assertEquals(planned, blockingTasks.get(), "offsets 3 to 14 went from memory");
  }

  /**
   * Appends {@code count} one-record batches as a leader does a value streamed to a file (so the
   * log keeps none of them in memory), each value {@link #VALUE_BYTES} long.
   */
  private void appendFromFiles(int count) throws IOException {
    for (int i = 0; i < count; i++) {
      long offset = log.logEndOffset();
      Path value =
          Files.write(values.resolve("value-" + offset), LogTestSupport.value(offset, VALUE_BYTES));
      log.appendValueFile(
          LogTestSupport.key(offset), List.of(), value, LogTestSupport.TIMESTAMP, EPOCH);
    }
  }

  /** Asserts a frame of the one batch at {@code baseOffset}, with the bytes its segment holds. */
  private void assertFileBytes(long baseOffset, Frame frame) throws IOException {
    assertBatch(baseOffset, frame);
    ByteBuffer inFile = LogTestSupport.bytesOf(log.readBatches(baseOffset, 1));
    assertEquals(inFile, ((Frame.Batches) frame).payload().asByteBuffer(), "bytes of " + frame);
  }

  /**
   * The change wake-up the caught-up source waits on, once it waits: the test changes the log, then
   * completes it, so the source's next step sees the whole change at once.
   */
  private CompletableFuture<Done> parked() throws InterruptedException {
    CompletableFuture<Done> change = changes.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (change == null) {
      throw new AssertionError("the source did not wait for a change");
    }
    return change;
  }

  private static void assertBatch(long baseOffset, Frame frame) {
    Frame.Batches b = assertInstanceOf(Frame.Batches.class, frame);
    assertEquals(baseOffset, b.baseOffset(), "frame " + frame);
    assertEquals(baseOffset, b.lastOffset(), "one one-record batch per frame: " + frame);
  }

  private TestSubscriber.Probe<Frame> follow() {
    PartitionId partition = new PartitionId("orders", 0);
    Frame.Hello hello =
        new Frame.Hello(
            2,
            partition,
            0,
            -1,
            EPOCH,
            Frame.StagedPosition.NONE,
            Frame.Hello.LEADER_FRAME_LIMIT,
            Frame.Hello.NO_TOPIC_ID);
    LeaderPartition leader =
        new LeaderPartition() {
          @Override
          public PartitionLog log() {
            return log;
          }

          @Override
          public int leaderEpoch() {
            return EPOCH;
          }

          @Override
          public boolean isLeader() {
            return true;
          }

          @Override
          public boolean isFollower(int replicaId) {
            return replicaId == 2;
          }

          @Override
          public CompletionStage<Done> awaitChange(long logEndOffset, long highWatermark) {
            CompletableFuture<Done> change = new CompletableFuture<>();
            changes.add(change);
            return change;
          }

          @Override
          public void onFollowerProgress(int replicaId, long logEndOffset, long stagedBytes) {}
        };
    return LeaderFrameSource.create(leader, hello, SETTINGS, blocking)
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
  }
}
