package dev.sluice.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Acks;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Header;
import dev.sluice.format.KafkaPartitioner;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.format.RecordReader;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The producer over a scripted leader: batching by size and by linger on a clock that moves only
 * when the test says so, offsets per record, order per partition across retries, which failures are
 * retried, the bounded buffer, partitioning, flush and close.
 */
class SluiceProducerTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String TOPIC = "orders";

  private static final long TIMESTAMP = 1_764_460_800_000L;

  /**
   * A record of 100 value bytes, no key and {@link #TIMESTAMP} ({@link #hundred}): {@link #SIZE}
   * bytes in a batch, and as much buffer memory.
   */
  private static final int SIZE =
      MemoryBatchBuilder.sizeOfRecord(Record.of(null, new byte[100], TIMESTAMP), TIMESTAMP, 0);

  /** The encoded size of a batch of {@code n} {@link #hundred}s. */
  private static int batchOf(int n) {
    return BatchLayout.HEADER_BYTES + n * SIZE;
  }

  private final ManualClock clock = new ManualClock();
  private final FakeLeader leader = new FakeLeader();
  private final AtomicInteger describes = new AtomicInteger();
  private volatile int partitions = 1;
  private final List<SluiceProducer> producers = new ArrayList<>();

  @AfterEach
  void closeProducers() {
    leader.open();
    producers.forEach(SluiceProducer::close);
  }

  /** Time that moves only when the test advances it. */
  static final class ManualClock implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long getAsLong() {
      return nanos.get();
    }

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }

  /**
   * Appends like a partition leader, offsets from 0 per partition; throws the scripted failures
   * first, one per request; holds requests while closed.
   */
  static final class FakeLeader implements BatchSender {
    /** One request: the batch's bytes, and its records decoded from them. */
    record Call(String topic, int partition, List<Record> records, int batchBytes, Acks acks) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final Map<Integer, List<Record>> logs = new ConcurrentHashMap<>();
    final ConcurrentLinkedDeque<RuntimeException> failures = new ConcurrentLinkedDeque<>();
    final Semaphore started = new Semaphore(0);

    /** The next request is written, then answered with one record too many. */
    volatile boolean miscountNext;

    private volatile CountDownLatch gate = new CountDownLatch(0);

    void hold() {
      gate = new CountDownLatch(1);
    }

    void open() {
      gate.countDown();
    }

    @Override
    public ProduceResponse send(
        String topic, int partition, ByteBuffer batch, int recordCount, Acks acks) {
      // Like the server: the batch must be a valid RecordBatch v2 of recordCount records.
      BatchValidator.validate(batch, BatchLimit.maxBatchBytes(Integer.MAX_VALUE), "fake leader");
      List<Record> records;
      try (RecordReader reader = RecordReader.of(batch.duplicate(), "fake leader", 0)) {
        records = reader.readAll();
      }
      if (records.size() != recordCount) {
        throw new IllegalStateException(
            "a batch of " + records.size() + " records sent as " + recordCount);
      }
      calls.add(new Call(topic, partition, records, batch.remaining(), acks));
      started.release();
      try {
        if (!gate.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      RuntimeException failure = failures.poll();
      if (failure != null) {
        throw failure;
      }
      synchronized (this) {
        List<Record> log = logs.computeIfAbsent(partition, p -> new ArrayList<>());
        long base = log.size();
        log.addAll(records);
        if (miscountNext) {
          miscountNext = false;
          return new ProduceResponse(base, base + records.size(), records.size() + 1);
        }
        return new ProduceResponse(base, base + records.size() - 1, records.size());
      }
    }

    List<Call> callsTo(int partition) {
      return calls.stream().filter(c -> c.partition() == partition).toList();
    }
  }

  private SluiceProducer.Builder builder() {
    return SluiceProducer.builder(
            leader,
            topic -> {
              describes.incrementAndGet();
              return partitions;
            })
        .clock(clock)
        .linger(Duration.ofHours(1))
        .deliveryTimeout(Duration.ofHours(2))
        .retryBackoff(Duration.ZERO, Duration.ZERO);
  }

  private SluiceProducer start(SluiceProducer.Builder builder) {
    SluiceProducer producer = builder.build();
    producers.add(producer);
    return producer;
  }

  private static ProduceRecord value(String text) {
    return new ProduceRecord(null, text.getBytes(UTF_8));
  }

  /** A {@link #hundred} whose value starts with {@code n}. */
  private static ProduceRecord numbered(int n) {
    byte[] value = new byte[100];
    ByteBuffer.wrap(value).putInt(n);
    return new ProduceRecord(null, value, List.of(), OptionalLong.of(TIMESTAMP));
  }

  private static ProduceRecord hundred() {
    return new ProduceRecord(null, new byte[100], List.of(), OptionalLong.of(TIMESTAMP));
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    ExecutionException e =
        assertThrows(
            ExecutionException.class, () -> future.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    return e.getCause();
  }

  private static void awaitCondition(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void anUnreachableNodeIsWaitedForUpToMaxBlockBeforeSendGivesUp() throws Exception {
    AtomicInteger asks = new AtomicInteger();
    SluiceProducer producer =
        start(
            SluiceProducer.builder(
                    leader,
                    topic -> {
                      if (asks.incrementAndGet() <= 2) {
                        throw new SluiceClientException(
                            SluiceClientException.NO_STATUS, "connection refused", null);
                      }
                      return 2;
                    })
                .clock(clock)
                .linger(Duration.ofHours(1))
                .deliveryTimeout(Duration.ofHours(2))
                .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(2)));
    CompletableFuture<RecordMetadata> sent = producer.send(TOPIC, 1, value("a"));
    producer.flush();
    assertEquals(new RecordMetadata(TOPIC, 1, 0), sent.getNow(null), "sent once the node answered");
    assertEquals(3, asks.get());

    // A node that stays away: the time each ask takes counts against maxBlock.
    AtomicInteger downAsks = new AtomicInteger();
    SluiceProducer down =
        start(
            SluiceProducer.builder(
                    leader,
                    topic -> {
                      downAsks.incrementAndGet();
                      clock.advance(Duration.ofSeconds(1));
                      throw new SluiceClientException(
                          SluiceClientException.NO_STATUS, "connection refused", null);
                    })
                .clock(clock)
                .maxBlock(Duration.ofMillis(3500))
                .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(2)));
    CompletableFuture<RecordMetadata> given = down.send(TOPIC, 0, value("b"));
    ExecutionException e = assertThrows(ExecutionException.class, given::get);
    assertTrue(e.getCause().getMessage().contains("connection refused"), e.getCause().getMessage());
    assertEquals(4, downAsks.get(), "asked while maxBlock lasted");

    // A refusal no wait can change fails at once.
    AtomicInteger missingAsks = new AtomicInteger();
    SluiceProducer missing =
        start(
            SluiceProducer.builder(
                    leader,
                    topic -> {
                      missingAsks.incrementAndGet();
                      throw new SluiceClientException(404, "no topic " + topic, null);
                    })
                .clock(clock));
    assertThrows(ExecutionException.class, () -> missing.send(TOPIC, 0, value("c")).get());
    assertEquals(1, missingAsks.get());
  }

  @Test
  void theRecordsOfABatchCompleteWithItsBaseOffsetPlusTheirIndex() throws Exception {
    SluiceProducer producer = start(builder());
    List<CompletableFuture<RecordMetadata>> first = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      first.add(producer.send(TOPIC, 0, value("a" + i)));
    }
    producer.flush();
    CompletableFuture<RecordMetadata> fourth = producer.send(TOPIC, 0, value("b"));
    CompletableFuture<RecordMetadata> fifth = producer.send(TOPIC, 0, value("c"));
    producer.flush();

    for (int i = 0; i < 3; i++) {
      assertEquals(new RecordMetadata(TOPIC, 0, i), first.get(i).getNow(null));
    }
    assertEquals(new RecordMetadata(TOPIC, 0, 3), fourth.getNow(null));
    assertEquals(new RecordMetadata(TOPIC, 0, 4), fifth.getNow(null));
    assertEquals(List.of(3, 2), leader.calls.stream().map(c -> c.records().size()).toList());
    assertEquals(Acks.ALL, leader.calls.get(0).acks());
  }

  @Test
  void aBatchIsSentWhenItReachesBatchBytesWithoutWaitingForLinger() throws Exception {
    SluiceProducer producer = start(builder().batchBytes(batchOf(3)).acks(Acks.LEADER));
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      sent.add(producer.send(TOPIC, 0, hundred()));
    }

    for (int i = 0; i < 6; i++) {
      assertEquals(i, await(sent.get(i)).offset());
    }
    // The clock does not move: the seventh record's batch can only go by flush.
    assertFalse(sent.get(6).isDone());
    assertEquals(List.of(3, 3), leader.calls.stream().map(c -> c.records().size()).toList());
    assertEquals(Acks.LEADER, leader.calls.get(0).acks());

    producer.flush();
    assertEquals(6, sent.get(6).getNow(null).offset());
    assertEquals(3, leader.calls.size());
  }

  @Test
  void aBatchBelowBatchBytesIsSentOnceLingerHasPassed() throws Exception {
    partitions = 2;
    SluiceProducer producer = start(builder().linger(Duration.ofMillis(10)).batchBytes(batchOf(2)));
    CompletableFuture<RecordMetadata> lingering = producer.send(TOPIC, 0, hundred());
    CompletableFuture<RecordMetadata> full1 = producer.send(TOPIC, 1, hundred());
    CompletableFuture<RecordMetadata> full2 = producer.send(TOPIC, 1, hundred());

    await(full2);
    await(full1);
    assertFalse(lingering.isDone(), "10 ms have not passed on the producer's clock");
    assertEquals(List.of(), leader.callsTo(0));

    clock.advance(Duration.ofMillis(10));
    producer.wakeUp();

    assertEquals(new RecordMetadata(TOPIC, 0, 0), await(lingering));
    assertEquals(1, leader.callsTo(0).size());
  }

  @Test
  void anAcknowledgedBatchsBufferCarriesTheNextOneAndABatchThatFailedForGoodKeepsItsOwn()
      throws Exception {
    SluiceProducer producer = start(builder().batchBytes(batchOf(3)).senderThreads(2));
    BatchBuffers buffers = producer.batchBuffers();
    for (int batch = 0; batch < 5; batch++) {
      for (CompletableFuture<RecordMetadata> f : sendFullBatch(producer, 3 * batch)) {
        await(f);
      }
    }
    assertEquals(1, buffers.allocated(), "one buffer carried all five full batches, one by one");
    assertEquals(4, buffers.reused());

    // Refused for good: the request may still be in the HTTP client's hands, so its buffer is not
    // handed to the next batch, which gets a new one.
    leader.failures.add(new SluiceClientException(400, "record 1 at byte 70: bad varint", null));
    for (CompletableFuture<RecordMetadata> f : sendFullBatch(producer, 1000)) {
      failureOf(f);
    }
    for (CompletableFuture<RecordMetadata> f : sendFullBatch(producer, 15)) {
      await(f);
    }
    assertEquals(5, buffers.reused(), "the refused batch was encoded into the idle buffer");
    assertEquals(2, buffers.allocated(), "which it kept, so the next batch needed a new one");
    assertEquals(1, buffers.idle());

    // Every record arrived as sent: no batch was encoded into a buffer another one still used.
    List<Record> log = leader.logs.get(0);
    assertEquals(18, log.size());
    for (int i = 0; i < 18; i++) {
      assertEquals(i, ByteBuffer.wrap(log.get(i).value()).getInt(), "record " + i);
    }
  }

  /** Sends the three {@link #numbered} records from {@code first} on: one full batch. */
  private static List<CompletableFuture<RecordMetadata>> sendFullBatch(
      SluiceProducer producer, int first) {
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = first; i < first + 3; i++) {
      sent.add(producer.send(TOPIC, 0, numbered(i)));
    }
    return sent;
  }

  @Test
  void aPartitionKeepsTheOrderOfSendsAcrossBatchesAndRetries() throws Exception {
    SluiceProducer producer = start(builder().linger(Duration.ZERO).batchBytes(batchOf(2)));
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      if (i % 15 == 0) {
        leader.failures.add(new SluiceClientException(503, "not enough replicas in sync", null));
      }
      sent.add(producer.send(TOPIC, 0, value(String.valueOf(i))));
    }
    producer.flush();

    List<Record> log = leader.logs.get(0);
    assertEquals(200, log.size());
    for (int i = 0; i < 200; i++) {
      assertEquals(String.valueOf(i), new String(log.get(i).value(), UTF_8));
      assertEquals(i, sent.get(i).getNow(null).offset());
    }
    assertTrue(leader.failures.isEmpty(), "every scripted 503 was answered, and retried");
  }

  @Test
  void retriableFailuresAreRetriedWithTheSameRecordsUntilOneSucceeds() throws Exception {
    List<SluiceProducer.BatchReport> reports = new CopyOnWriteArrayList<>();
    SluiceProducer producer = start(builder().batchListener(reports::add));
    leader.failures.add(new SluiceClientException(503, "leader moved to node 2", null));
    leader.failures.add(
        new SluiceClientException("cannot reach http://127.0.0.1:7701/: Connection refused", null));

    CompletableFuture<RecordMetadata> a = producer.send(TOPIC, 0, value("a"));
    CompletableFuture<RecordMetadata> b = producer.send(TOPIC, 0, value("b"));
    producer.flush();

    assertEquals(0, a.getNow(null).offset());
    assertEquals(1, b.getNow(null).offset());
    assertEquals(3, leader.calls.size());
    for (FakeLeader.Call call : leader.calls) {
      assertEquals(
          List.of("a", "b"),
          call.records().stream().map(r -> new String(r.value(), UTF_8)).toList());
    }
    assertEquals(
        List.of(1, 2, 3), reports.stream().map(SluiceProducer.BatchReport::attempt).toList());
    assertInstanceOf(SluiceClientException.class, reports.get(0).failure());
    assertNull(reports.get(2).failure());
    assertEquals(2, reports.get(2).records());
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 403, 404, 413})
  void aFailureARetryCannotCureFailsEveryRecordOfTheBatchAtOnce(int status) throws Exception {
    SluiceProducer producer = start(builder());
    leader.failures.add(
        new SluiceClientException(
            status,
            "the batch of 20000000 bytes is above sluice.api.inline-batch-bytes = 16777216",
            new ErrorBody("the batch is too large", Map.of("maxBatchBytes", 16777216))));
    CompletableFuture<RecordMetadata> a = producer.send(TOPIC, 0, value("a"));
    CompletableFuture<RecordMetadata> b = producer.send(TOPIC, 0, value("b"));
    producer.flush();

    SluiceClientException failure = assertInstanceOf(SluiceClientException.class, failureOf(a));
    assertEquals(failure, failureOf(b));
    assertEquals(status, failure.status());
    assertTrue(failure.error().isPresent(), "the server's error body is kept");
    String message = failure.getMessage();
    assertTrue(message.startsWith("producing to orders partition 0 (2 records, "), message);
    assertTrue(
        message.endsWith(
            "bytes, producer id 0 sequence 0) failed after 1 attempt: the batch of 20000000"
                + " bytes is above"
                + " sluice.api.inline-batch-bytes = 16777216"),
        message);
    assertEquals(1, leader.calls.size());
    assertEquals(0, producer.bufferedBytes(), "the failed batch's memory is free again");
  }

  @Test
  void retriesStopOnceTheDeliveryTimeoutHasPassed() throws Exception {
    SluiceProducer producer =
        start(
            builder()
                .linger(Duration.ZERO)
                .deliveryTimeout(Duration.ofSeconds(1))
                .retryBackoff(Duration.ofMillis(100), Duration.ofMillis(100)));
    for (int i = 0; i < 100; i++) {
      leader.failures.add(new SluiceClientException(503, "leader moved", null));
    }
    CompletableFuture<RecordMetadata> sent = producer.send(TOPIC, 0, value("a"));
    assertTrue(leader.started.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS));

    clock.advance(Duration.ofSeconds(2));
    producer.wakeUp();

    SluiceClientException failure = assertInstanceOf(SluiceClientException.class, failureOf(sent));
    assertTrue(
        failure.getMessage().startsWith("producing to orders partition 0 (1 record, "),
        failure.getMessage());
    assertTrue(
        failure.getMessage().contains("failed: its delivery timeout of 1000 ms passed after 1"),
        failure.getMessage());
    assertTrue(failure.getMessage().endsWith("; last error: leader moved"), failure.getMessage());
    assertEquals(1, leader.calls.size(), "the clock never reached the backoff's end");
  }

  @Test
  void retriesStopWhenTheyAreUsedUp() throws Exception {
    SluiceProducer producer = start(builder().retries(2));
    for (int i = 0; i < 5; i++) {
      leader.failures.add(new SluiceClientException(503, "not enough replicas", null));
    }
    CompletableFuture<RecordMetadata> sent = producer.send(TOPIC, 0, value("a"));
    producer.flush();

    assertTrue(
        failureOf(sent)
            .getMessage()
            .endsWith("failed after 3 attempts (retries = 2): not enough replicas"),
        failureOf(sent).getMessage());
    assertEquals(3, leader.calls.size());
  }

  @Test
  void sendBlocksWhileTheBufferIsFullAndGoesOnOnceABatchIsAcknowledged() throws Exception {
    SluiceProducer producer =
        start(builder().linger(Duration.ZERO).batchBytes(2 * SIZE).bufferMemory(2 * SIZE));
    leader.hold();
    CompletableFuture<RecordMetadata> first = producer.send(TOPIC, 0, hundred());
    CompletableFuture<RecordMetadata> second = producer.send(TOPIC, 0, hundred());
    assertTrue(leader.started.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(2L * SIZE, producer.bufferedBytes());

    AtomicReference<CompletableFuture<RecordMetadata>> third = new AtomicReference<>();
    Thread sender = new Thread(() -> third.set(producer.send(TOPIC, 0, hundred())));
    sender.start();
    awaitCondition("the third send to block", () -> producer.blockedSends() == 1);
    assertNull(third.get(), "send has not returned");

    leader.open();
    sender.join(WAIT.toMillis());
    assertFalse(sender.isAlive());
    producer.flush();

    assertEquals(0, first.getNow(null).offset());
    assertEquals(1, second.getNow(null).offset());
    assertEquals(2, third.get().getNow(null).offset());
    assertEquals(0, producer.bufferedBytes());
  }

  @Test
  void memoryFreedByABatchGoesToTheBlockedSendsItCoversInTheirOrder() throws Exception {
    SluiceProducer producer =
        start(builder().linger(Duration.ZERO).batchBytes(2 * SIZE).bufferMemory(2 * SIZE));
    leader.hold();
    producer.send(TOPIC, 0, hundred());
    producer.send(TOPIC, 0, hundred());
    assertTrue(leader.started.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS));

    List<AtomicReference<CompletableFuture<RecordMetadata>>> blocked = new ArrayList<>();
    List<Thread> senders = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      AtomicReference<CompletableFuture<RecordMetadata>> sent = new AtomicReference<>();
      Thread sender = new Thread(() -> sent.set(producer.send(TOPIC, 0, hundred())));
      sender.start();
      int waiting = i + 1;
      awaitCondition("send " + waiting + " to block", () -> producer.blockedSends() == waiting);
      blocked.add(sent);
      senders.add(sender);
    }

    // The first batch's acknowledgement frees room for two records: the first two blocked sends
    // get it, the third waits for the next acknowledgement.
    leader.open();
    for (Thread sender : senders) {
      sender.join(WAIT.toMillis());
      assertFalse(sender.isAlive());
    }
    producer.flush();
    for (int i = 0; i < 3; i++) {
      assertEquals(2 + i, blocked.get(i).get().getNow(null).offset(), "in the order they blocked");
    }
    assertEquals(0, producer.blockedSends());
    assertEquals(0, producer.bufferedBytes());
  }

  @Test
  void aSendThatFindsTheBufferFullForMaxBlockFailsItsRecord() throws Exception {
    SluiceProducer producer =
        start(
            builder()
                .linger(Duration.ZERO)
                .batchBytes(SIZE)
                .bufferMemory(SIZE)
                .maxBlock(Duration.ZERO));
    leader.hold();
    CompletableFuture<RecordMetadata> first = producer.send(TOPIC, 0, hundred());

    Throwable refused = failureOf(producer.send(TOPIC, 0, hundred()));

    assertTrue(
        refused.getMessage().startsWith("the producer's buffer stayed full for 0 ms (maxBlock): "),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("(bufferMemory)"), refused.getMessage());
    leader.open();
    assertEquals(0, await(first).offset());
  }

  @Test
  void aRecordLargerThanTheWholeBufferFailsAtOnce() {
    SluiceProducer producer = start(builder().batchBytes(1024).bufferMemory(1024));

    Throwable refused = failureOf(producer.send(TOPIC, 0, new ProduceRecord(null, new byte[2000])));

    assertInstanceOf(SluiceClientException.class, refused, "what send's javadoc promises");
    assertTrue(refused.getMessage().contains("larger than the producer's bufferMemory of 1024"));
    assertEquals(List.of(), leader.calls);
  }

  @Test
  void keyedRecordsGoToKafkasPartitionForTheirKey() throws Exception {
    partitions = 7;
    SluiceProducer producer = start(builder());
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      sent.add(producer.send(TOPIC, new ProduceRecord(("customer-" + i).getBytes(UTF_8), null)));
    }
    producer.flush();

    for (int i = 0; i < 300; i++) {
      int expected = KafkaPartitioner.partitionForKey(("customer-" + i).getBytes(UTF_8), 7);
      assertEquals(expected, sent.get(i).getNow(null).partition(), "key customer-" + i);
    }
    for (FakeLeader.Call call : leader.calls) {
      for (Record r : call.records()) {
        assertEquals(KafkaPartitioner.partitionForKey(r.key(), 7), call.partition());
      }
    }
    assertEquals(1, describes.get(), "the partition count is cached");
  }

  @Test
  void recordsWithoutAKeyFillABatchOnOnePartitionThenMoveToAnother() throws Exception {
    partitions = 3;
    SluiceProducer producer = start(builder().batchBytes(batchOf(2)));
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sent.add(producer.send(TOPIC, hundred()));
    }
    producer.flush();

    int first = sent.get(0).getNow(null).partition();
    int second = sent.get(2).getNow(null).partition();
    assertEquals(first, sent.get(1).getNow(null).partition());
    assertEquals(second, sent.get(3).getNow(null).partition());
    assertNotEquals(first, second);
  }

  @Test
  void thePartitionCountIsAskedAgainAfterAFailedBatch() throws Exception {
    SluiceProducer producer = start(builder());
    await(sendAndFlush(producer, "a"));
    await(sendAndFlush(producer, "b"));
    assertEquals(1, describes.get(), "cached");

    leader.failures.add(new SluiceClientException(503, "leader moved", null));
    await(sendAndFlush(producer, "c"));
    partitions = 2;
    await(sendAndFlush(producer, "d"));

    assertEquals(2, describes.get());
  }

  private static CompletableFuture<RecordMetadata> sendAndFlush(SluiceProducer producer, String v) {
    CompletableFuture<RecordMetadata> f = producer.send(TOPIC, value(v));
    producer.flush();
    return f;
  }

  @Test
  void aPartitionTheTopicDoesNotHaveFailsNamingTheCount() {
    partitions = 2;
    SluiceProducer producer = start(builder());

    Throwable refused = failureOf(producer.send(TOPIC, 5, value("x")));

    assertEquals(
        "cannot send to orders partition 5: the topic has 2 partitions", refused.getMessage());
    assertThrows(IllegalArgumentException.class, () -> producer.send(TOPIC, -1, value("x")));
  }

  @Test
  void closeSendsWhatIsBufferedThenStopsItsThreads() throws Exception {
    SluiceProducer producer = start(builder());
    CompletableFuture<RecordMetadata> a = producer.send(TOPIC, 0, value("a"));
    CompletableFuture<RecordMetadata> b = producer.send(TOPIC, 0, value("b"));
    assertTrue(threadsOf(producer) > 0);

    producer.close();

    assertEquals(0, a.getNow(null).offset());
    assertEquals(1, b.getNow(null).offset());
    assertEquals(0, threadsOf(producer));
    IllegalStateException closed =
        assertThrows(IllegalStateException.class, () -> producer.send(TOPIC, 0, value("c")));
    assertEquals("the producer " + producer + " is closed", closed.getMessage());
    producer.close();
  }

  private static long threadsOf(SluiceProducer producer) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(producer + "-") && t.isAlive())
        .count();
  }

  @Test
  void settingsOutOfRangeAreListedTogether() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> builder().batchBytes(0).maxInFlight(0).senderThreads(0).build());

    assertTrue(
        e.getMessage().contains("batchBytes = 0: must be from 1 to 16777216"), e.getMessage());
    assertTrue(e.getMessage().contains("maxInFlight = 0: must be at least 1"), e.getMessage());
    assertTrue(e.getMessage().contains("senderThreads = 0: must be at least 1"), e.getMessage());
  }

  @Test
  void batchBytesAboveTheServersDefaultBodyLimitIsRefusedNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> builder().batchBytes(SluiceProducer.MAX_BATCH_BYTES + 1).build());

    assertTrue(
        e.getMessage().contains("batchBytes = 16777217: must be from 1 to 16777216"),
        e.getMessage());
    assertTrue(e.getMessage().contains("sluice.api.inline-batch-bytes"), e.getMessage());
  }

  @Test
  void anAnswerThatDoesNotMatchTheBatchFailsItWithoutARetry() throws Exception {
    SluiceProducer producer = start(builder().linger(Duration.ZERO).retries(5));
    leader.miscountNext = true;

    Throwable failure = failureOf(producer.send(TOPIC, 0, value("once")));

    SluiceClientException e = assertInstanceOf(SluiceClientException.class, failure);
    assertEquals(SluiceClientException.BAD_ANSWER, e.status());
    assertTrue(
        e.getMessage().contains("the server answered offsets 0 to 1 (2 records)"), e.getMessage());
    // The server wrote the batch: sending it again would write it twice.
    assertEquals(1, leader.calls.size());
    assertEquals(1, leader.logs.get(0).size());
  }

  @Test
  void batchBytesCountsTheEncodedBatch() throws Exception {
    int threeRecords = batchOf(3);
    SluiceProducer producer = start(builder().batchBytes(threeRecords));
    for (int i = 0; i < 3; i++) {
      producer.send(TOPIC, 0, hundred());
    }

    // Linger is an hour: only a full batch is sent.
    assertTrue(leader.started.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(3, leader.calls.get(0).records().size());
    assertEquals(threeRecords, leader.calls.get(0).batchBytes(), "a full batch is batchBytes long");
  }

  @Test
  void aBatchCarriesKeysHeadersAndTimestampsTheSendTimeWhenARecordHasNone() throws Exception {
    SluiceProducer producer = start(builder());
    long before = System.currentTimeMillis();
    producer.send(
        TOPIC,
        0,
        new ProduceRecord(
            "k".getBytes(UTF_8),
            "v".getBytes(UTF_8),
            List.of(new RecordHeader("trace", new byte[] {1}), new RecordHeader("n", null)),
            OptionalLong.of(TIMESTAMP)));
    producer.send(TOPIC, 0, value("stamped when sent"));
    long after = System.currentTimeMillis();
    producer.flush();

    List<Record> written = leader.logs.get(0);
    assertEquals(
        new Record(
            "k".getBytes(UTF_8),
            "v".getBytes(UTF_8),
            List.of(new Header("trace", new byte[] {1}), new Header("n", null)),
            TIMESTAMP),
        written.get(0));
    long stamped = written.get(1).timestamp();
    assertTrue(before <= stamped && stamped <= after, "stamped " + stamped);
  }
}
