package dev.sluice.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Acks;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Record;
import dev.sluice.format.RecordReader;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The idempotent producer over a leader that keeps producer state like a Sluice leader (the last 5
 * batches per producer id, the next expected sequence, 409 for a gap): retries carry the same bytes
 * and sequence, a duplicate answer completes with the original offsets, a batch that overtook a
 * failed one is resent after it, a refused sequence ends the partition's session and the next batch
 * starts a new producer id at sequence 0.
 */
class IdempotentProducerTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String TOPIC = "orders";

  /** What the leader does with one request, chosen by the test per (sequence, attempt). */
  @FunctionalInterface
  interface Script {
    /**
     * @param write appends the batch (or finds it a duplicate) and returns the answer
     */
    ProduceResponse run(Supplier<ProduceResponse> write);
  }

  /** Writes, then loses the answer: the client sees no answer at all. */
  static final Script LOSE_ANSWER =
      write -> {
        write.get();
        throw new SluiceClientException("connection reset before the answer", null);
      };

  /** Refuses without writing, as a leader without enough in-sync replicas does. */
  static final Script UNAVAILABLE =
      write -> {
        throw new SluiceClientException(503, "not enough replicas in sync", null);
      };

  /**
   * A partition leader's producer state, one partition per number: per producer id the next
   * expected sequence and the last 5 batches' sequences and offsets. Requests first show up in
   * {@link #started} and wait at the gate while it is held.
   */
  static final class FakeLeader implements BatchSender {
    record Call(
        int partition,
        long producerId,
        short epoch,
        int baseSequence,
        List<Record> records,
        byte[] bytes) {}

    private record Remembered(int firstSeq, int lastSeq, long base, long last) {}

    private static final class ProducerEntry {
      int nextSequence;
      final ArrayDeque<Remembered> last = new ArrayDeque<>();
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final Map<Integer, List<Record>> logs = new ConcurrentHashMap<>();
    final Map<String, ArrayDeque<Script>> scripts = new ConcurrentHashMap<>();
    final Semaphore started = new Semaphore(0);
    private final Map<Integer, Map<Long, ProducerEntry>> state = new HashMap<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);

    void hold() {
      gate = new CountDownLatch(1);
    }

    void open() {
      gate.countDown();
    }

    /** What the next request for {@code sequence} of {@code producerId} meets. */
    void script(long producerId, int sequence, Script script) {
      scripts.computeIfAbsent(producerId + "/" + sequence, k -> new ArrayDeque<>()).addLast(script);
    }

    @Override
    public ProduceResponse send(
        String topic, int partition, ByteBuffer batch, int recordCount, Acks acks) {
      BatchValidator.validate(batch, BatchLimit.maxBatchBytes(Integer.MAX_VALUE), "fake leader");
      BatchHeader header = BatchHeader.decode(batch.duplicate());
      List<Record> records;
      try (RecordReader reader = RecordReader.of(batch.duplicate(), "fake leader", 0)) {
        records = reader.readAll();
      }
      byte[] bytes = new byte[batch.remaining()];
      batch.duplicate().get(bytes);
      calls.add(
          new Call(
              partition,
              header.producerId(),
              header.producerEpoch(),
              header.baseSequence(),
              records,
              bytes));
      started.release();
      try {
        if (!gate.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      ArrayDeque<Script> queue = scripts.get(header.producerId() + "/" + header.baseSequence());
      Script script = queue == null ? null : queue.pollFirst();
      Supplier<ProduceResponse> write = () -> append(partition, header, records);
      return script == null ? write.get() : script.run(write);
    }

    private synchronized ProduceResponse append(
        int partition, BatchHeader header, List<Record> records) {
      List<Record> log = logs.computeIfAbsent(partition, p -> new ArrayList<>());
      if (header.producerId() < 0) {
        long base = log.size();
        log.addAll(records);
        return new ProduceResponse(base, base + records.size() - 1, records.size());
      }
      Map<Long, ProducerEntry> producers = state.computeIfAbsent(partition, p -> new HashMap<>());
      int first = header.baseSequence();
      int last = header.lastSequence();
      ProducerEntry entry = producers.get(header.producerId());
      if (entry == null) {
        if (first != 0) {
          throw refusal("UNKNOWN_PRODUCER_ID", header.producerId(), -1);
        }
        entry = new ProducerEntry();
        producers.put(header.producerId(), entry);
      }
      for (Remembered r : entry.last) {
        if (r.firstSeq() == first && r.lastSeq() == last) {
          return new ProduceResponse(r.base(), r.last(), records.size(), true);
        }
      }
      if (first != entry.nextSequence) {
        throw refusal("OUT_OF_ORDER_SEQUENCE", header.producerId(), entry.nextSequence);
      }
      long base = log.size();
      log.addAll(records);
      entry.nextSequence = BatchHeader.incrementSequence(last, 1);
      entry.last.addLast(new Remembered(first, last, base, base + records.size() - 1));
      if (entry.last.size() > 5) {
        entry.last.removeFirst();
      }
      return new ProduceResponse(base, base + records.size() - 1, records.size());
    }
  }

  static SluiceClientException refusal(String code, long producerId, long expected) {
    Map<String, Object> details = new HashMap<>();
    details.put(ErrorBody.CODE, code);
    details.put(ErrorBody.PRODUCER_ID, producerId);
    if (expected >= 0) {
      details.put(ErrorBody.EXPECTED_SEQUENCE, expected);
    }
    String message =
        "producer "
            + producerId
            + ": "
            + code
            + (expected >= 0 ? ", expected sequence " + expected : "");
    return new SluiceClientException(409, message, new ErrorBody(message, details));
  }

  private final FakeLeader leader = new FakeLeader();
  private final AtomicLong nextProducerId = new AtomicLong(100);
  private final List<ProducerIdResponse> producerIdsGiven = new CopyOnWriteArrayList<>();
  private final List<SluiceProducer.BatchReport> reports = new CopyOnWriteArrayList<>();
  private final List<SluiceProducer> producers = new ArrayList<>();

  @AfterEach
  void closeProducers() {
    leader.open();
    producers.forEach(SluiceProducer::close);
  }

  /** One record per batch: each send is its own batch, with its own sequence. */
  private SluiceProducer start(int maxInFlight) {
    SluiceProducer producer =
        SluiceProducer.builder(leader, topic -> 1)
            .producerIds(
                () -> {
                  ProducerIdResponse id =
                      new ProducerIdResponse(nextProducerId.getAndIncrement(), (short) 0);
                  producerIdsGiven.add(id);
                  return id;
                })
            .batchBytes(1)
            .linger(Duration.ZERO)
            .maxInFlight(maxInFlight)
            .deliveryTimeout(Duration.ofHours(1))
            .retryBackoff(Duration.ZERO, Duration.ZERO)
            .batchListener(reports::add)
            .build();
    producers.add(producer);
    return producer;
  }

  private static ProduceRecord value(String text) {
    return new ProduceRecord(null, text.getBytes(UTF_8));
  }

  private static String text(Record r) {
    return new String(r.value(), UTF_8);
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

  private void awaitRequests(int n) throws InterruptedException {
    assertTrue(
        leader.started.tryAcquire(n, WAIT.toSeconds(), TimeUnit.SECONDS),
        n + " requests at the leader");
  }

  @Test
  void aLostAnswerIsResentWithTheSameBytesAndTheDuplicateCompletesWithTheOriginalOffsets()
      throws Exception {
    SluiceProducer producer = start(1);
    leader.script(100, 1, LOSE_ANSWER);

    CompletableFuture<RecordMetadata> a = producer.send(TOPIC, 0, value("a"));
    CompletableFuture<RecordMetadata> b = producer.send(TOPIC, 0, value("b"));
    CompletableFuture<RecordMetadata> c = producer.send(TOPIC, 0, value("c"));
    producer.flush();

    assertEquals(new RecordMetadata(TOPIC, 0, 0), await(a));
    assertEquals(new RecordMetadata(TOPIC, 0, 1), await(b));
    assertEquals(new RecordMetadata(TOPIC, 0, 2), await(c));
    assertEquals(
        List.of("a", "b", "c"),
        leader.logs.get(0).stream().map(IdempotentProducerTest::text).toList(),
        "b is written once although it was sent twice");
    List<FakeLeader.Call> calls = leader.calls;
    assertEquals(List.of(0, 1, 1, 2), calls.stream().map(FakeLeader.Call::baseSequence).toList());
    for (FakeLeader.Call call : calls) {
      assertEquals(100, call.producerId());
      assertEquals(0, call.epoch());
    }
    assertArrayEquals(calls.get(1).bytes(), calls.get(2).bytes(), "the retry is the same bytes");
    List<Boolean> duplicates = reports.stream().map(SluiceProducer.BatchReport::duplicate).toList();
    assertEquals(List.of(false, false, true, false), duplicates);
    assertEquals(List.of(new ProducerIdResponse(100, (short) 0)), producerIdsGiven);
  }

  /**
   * a fails without being written while b is in flight: the leader refuses b as out of order
   * (expecting a's sequence), or as an unknown producer id when a was the producer's first batch
   * there; b is resent after a.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aBatchThatOvertookAFailedOneIsResentAfterItAndBothAreWrittenInOrder(boolean known)
      throws Exception {
    SluiceProducer producer = start(2);
    List<String> expected = new ArrayList<>();
    if (known) {
      await(producer.send(TOPIC, 0, value("z")));
      expected.add("z");
      awaitRequests(1);
    }
    int first = expected.size();
    leader.hold();
    leader.script(100, first, UNAVAILABLE);

    CompletableFuture<RecordMetadata> a = producer.send(TOPIC, 0, value("a"));
    CompletableFuture<RecordMetadata> b = producer.send(TOPIC, 0, value("b"));
    awaitRequests(2);
    leader.open();

    assertEquals(new RecordMetadata(TOPIC, 0, first), await(a));
    assertEquals(new RecordMetadata(TOPIC, 0, first + 1), await(b));
    expected.addAll(List.of("a", "b"));
    assertEquals(expected, leader.logs.get(0).stream().map(IdempotentProducerTest::text).toList());
    List<Integer> sequences =
        leader.calls.stream().skip(first).map(FakeLeader.Call::baseSequence).toList();
    assertEquals(4, sequences.size(), "a and b once each, then a and b again: " + sequences);
    assertEquals(List.of(first, first + 1), sequences.subList(2, 4), "resent in first order");
    SluiceProducer.BatchReport overtaken =
        reports.stream()
            .filter(r -> r.failure() instanceof SluiceClientException e && e.status() == 409)
            .findFirst()
            .orElseThrow(() -> new AssertionError("b was refused as out of order: " + reports));
    assertEquals(1, overtaken.attempt());
    String code =
        ((SluiceClientException) overtaken.failure())
            .error()
            .orElseThrow()
            .details()
            .get(ErrorBody.CODE)
            .toString();
    assertEquals(known ? "OUT_OF_ORDER_SEQUENCE" : "UNKNOWN_PRODUCER_ID", code);
    assertEquals(List.of(new ProducerIdResponse(100, (short) 0)), producerIdsGiven);
  }

  @Test
  void aSequenceTheLeaderCannotAcceptFailsTheOutstandingBatchesAndTheNextStartsANewProducerId()
      throws Exception {
    SluiceProducer producer = start(2);
    leader.hold();
    leader.script(100, 0, UNAVAILABLE);
    // b is answered only once a waits to be resent, and is refused with a gap no resend fills.
    leader.script(
        100,
        1,
        write -> {
          awaitCondition("a waiting to be resent", () -> producer.resendsWaiting() == 1);
          throw refusal("OUT_OF_ORDER_SEQUENCE", 100, 42);
        });

    CompletableFuture<RecordMetadata> a = producer.send(TOPIC, 0, value("a"));
    CompletableFuture<RecordMetadata> b = producer.send(TOPIC, 0, value("b"));
    awaitRequests(2);
    leader.open();

    SluiceClientException refused = assertInstanceOf(SluiceClientException.class, failureOf(b));
    assertEquals(409, refused.status());
    String message = refused.getMessage();
    assertTrue(
        message.contains(
            "the leader refused producer id 100 sequence 1 on orders partition 0 with 409"
                + " OUT_OF_ORDER_SEQUENCE, expecting sequence 42"),
        message);
    SluiceClientException abandoned = assertInstanceOf(SluiceClientException.class, failureOf(a));
    assertTrue(
        abandoned
            .getMessage()
            .contains("refused another batch of producer id 100 on orders partition 0"),
        abandoned.getMessage());
    assertTrue(
        abandoned.getMessage().contains("producer id 100 sequence 0"), abandoned.getMessage());
    assertEquals(0, producer.bufferedBytes(), "the failed batches' memory is free again");

    CompletableFuture<RecordMetadata> c = producer.send(TOPIC, 0, value("c"));
    assertEquals(new RecordMetadata(TOPIC, 0, 0), await(c));
    FakeLeader.Call last = leader.calls.get(leader.calls.size() - 1);
    assertEquals(101, last.producerId(), "a new producer id");
    assertEquals(0, last.baseSequence(), "from sequence 0");
    assertEquals(2, producerIdsGiven.size());
  }

  @Test
  void sequencesAdvanceByTheRecordCountAndWrapAfterIntegerMaxValue() {
    assertEquals(3, RecordAccumulator.nextSequence(0, 3));
    assertEquals(Integer.MAX_VALUE, RecordAccumulator.nextSequence(Integer.MAX_VALUE - 1, 1));
    assertEquals(0, RecordAccumulator.nextSequence(Integer.MAX_VALUE, 1));
    assertEquals(1, RecordAccumulator.nextSequence(Integer.MAX_VALUE - 1, 3));
    assertEquals(4, RecordAccumulator.nextSequence(Integer.MAX_VALUE - 5, 10));
  }

  @Test
  void eachBatchGetsItsPartitionsNextSequenceWhenFirstSentAndKeepsItOnRetry() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, 0, 5, Long.MAX_VALUE / 4, true);
    ProducerIdResponse id = new ProducerIdResponse(7, (short) 0);
    ProducerBatch first = add(acc, 0, 3);
    first.close();
    ProducerBatch other = add(acc, 1, 1);
    other.close();
    ProducerBatch second = add(acc, 0, 2);
    assertTrue(acc.needsSession());
    assertEquals(List.of(), acc.drain(0, 10, false, null).ready(), "no producer id yet");
    List<ProducerBatch> ready = acc.drain(0, 10, false, id).ready();
    assertEquals(3, ready.size());
    assertTrue(ready.containsAll(List.of(first, second, other)), ready.toString());
    assertTrue(ready.indexOf(first) < ready.indexOf(second), "a partition's in its order");
    assertEquals(0, first.baseSequence());
    assertEquals(3, second.baseSequence(), "after first's 3 records");
    assertEquals(0, other.baseSequence(), "partition 1 counts on its own");
    assertEquals(7, second.producerId());
    assertFalse(acc.needsSession());

    ProducerBatch third = add(acc, 0, 1);
    first.startAttempt();
    second.startAttempt();
    acc.retry(second, 0, new SluiceClientException("no answer", null));
    acc.retry(first, 0, new SluiceClientException("no answer", null));
    // Nothing of partition 0 is in flight now: the first resend goes, alone.
    List<ProducerBatch> resent = acc.drain(0, 10, true, id).ready();
    assertEquals(List.of(first), resent, "the earliest first, and alone");
    assertEquals(0, first.baseSequence(), "a retry keeps its sequence");
    acc.completed(first, true);
    // The last resend goes with what follows it: nothing sent before it is outstanding any more.
    assertEquals(List.of(second, third), acc.drain(0, 10, true, id).ready());
    assertEquals(3, second.baseSequence());
    assertEquals(5, third.baseSequence(), "a new batch continues after the resent ones");
  }

  @Test
  void aBatchTheLeaderReadBeforeItsAcknowledgedPredecessorIsResentNotTakenForAGap() {
    RecordAccumulator acc = new RecordAccumulator(1 << 20, 0, 5, Long.MAX_VALUE / 4, true);
    ProducerIdResponse id = new ProducerIdResponse(7, (short) 0);
    ProducerBatch first = add(acc, 0, 3);
    first.close();
    ProducerBatch second = add(acc, 0, 2);
    second.close();
    assertEquals(List.of(first, second), acc.drain(0, 10, false, id).ready());
    // The leader read second first (409, expecting 0) and first's answer came back before it.
    acc.completed(first, true);
    assertTrue(acc.earlierOutstandingStartsAt(second, 0), "first holds 0 and was acknowledged");
    assertFalse(acc.earlierOutstandingStartsAt(second, 1), "no batch of the session starts at 1");
    assertFalse(
        acc.earlierOutstandingStartsAt(second, 3), "second's own sequence is no predecessor");

    // A predecessor that failed is no reason to wait: its sequence is not held by the leader.
    ProducerBatch third = add(acc, 0, 1);
    third.close();
    ProducerBatch fourth = add(acc, 0, 1);
    fourth.close();
    acc.completed(second, true);
    assertEquals(List.of(third, fourth), acc.drain(0, 10, false, id).ready());
    acc.completed(third, false);
    assertFalse(acc.earlierOutstandingStartsAt(fourth, third.baseSequence()));

    // A new session forgets the old one's acknowledgements.
    acc.resetSession(fourth);
    ProducerBatch fresh = add(acc, 0, 1);
    fresh.close();
    assertEquals(
        List.of(fresh), acc.drain(0, 10, false, new ProducerIdResponse(8, (short) 0)).ready());
    assertEquals(0, fresh.baseSequence());
    assertFalse(acc.earlierOutstandingStartsAt(fresh, 0));
  }

  @Test
  void moreThanFiveInFlightIsRefusedWithIdempotenceOnly() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SluiceProducer.builder(leader, topic -> 1).maxInFlight(6).build());
    assertTrue(
        e.getMessage().contains("maxInFlight = 6: must be at most 5 with idempotence"),
        e.getMessage());
    SluiceProducer plain =
        SluiceProducer.builder(leader, topic -> 1).maxInFlight(6).idempotence(false).build();
    producers.add(plain);
    assertFalse(plain.settings().idempotence());
  }

  @Test
  void withoutIdempotenceBatchesCarryNoProducerIdAndNoneIsAskedFor() throws Exception {
    SluiceProducer producer =
        SluiceProducer.builder(leader, topic -> 1)
            .producerIds(
                () -> {
                  throw new AssertionError("no producer id without idempotence");
                })
            .idempotence(false)
            .linger(Duration.ZERO)
            .build();
    producers.add(producer);
    assertEquals(0, await(producer.send(TOPIC, 0, value("a"))).offset());
    assertEquals(-1, leader.calls.get(0).producerId());
    assertEquals(-1, leader.calls.get(0).baseSequence());
  }

  @Test
  void aProducerIdRequestThatFailsRetriablyIsRetriedAndOneThatCannotSucceedFailsTheBatches()
      throws Exception {
    ConcurrentLinkedDeque<RuntimeException> idFailures =
        new ConcurrentLinkedDeque<>(
            List.of(new SluiceClientException(503, "no controller yet", null)));
    SluiceProducer retried =
        SluiceProducer.builder(leader, topic -> 1)
            .producerIds(
                () -> {
                  RuntimeException f = idFailures.poll();
                  if (f != null) {
                    throw f;
                  }
                  return new ProducerIdResponse(9, (short) 0);
                })
            .linger(Duration.ZERO)
            .retryBackoff(Duration.ZERO, Duration.ZERO)
            .build();
    producers.add(retried);
    assertEquals(0, await(retried.send(TOPIC, 0, value("a"))).offset());
    assertEquals(9, leader.calls.get(0).producerId());

    SluiceProducer refused =
        SluiceProducer.builder(leader, topic -> 1)
            .producerIds(
                () -> {
                  throw new SluiceClientException(404, "no route POST /producers", null);
                })
            .linger(Duration.ZERO)
            .build();
    producers.add(refused);
    SluiceClientException e =
        assertInstanceOf(
            SluiceClientException.class, failureOf(refused.send(TOPIC, 0, value("b"))));
    assertEquals(404, e.status());
    assertTrue(
        e.getMessage()
            .contains(
                "failed: the producer could not get a producer id for idempotence (POST"
                    + " /producers): no route POST /producers"),
        e.getMessage());
    assertEquals(1, leader.calls.size(), "b was never sent");
    assertEquals(0, refused.bufferedBytes());
  }

  private static final AtomicLong NOW = new AtomicLong();

  private static ProducerBatch add(RecordAccumulator acc, int partition, int records) {
    ProducerBatch batch = null;
    for (int i = 0; i < records; i++) {
      batch =
          acc.append(
              TOPIC,
              partition,
              Record.of(null, new byte[] {(byte) i}, 1_000L),
              10,
              new CompletableFuture<>(),
              NOW.get());
    }
    return batch;
  }
}
