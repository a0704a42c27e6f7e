package dev.sluice.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.Acks;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.BatchValidator;
import dev.sluice.format.Compression;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import dev.sluice.format.RecordReader;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The producer's codecs over a leader that keeps every request body: each batch goes out in the
 * chosen codec and decodes back to the records sent, a retry resends the same bytes, {@code
 * batchBytes} counts records uncompressed, and a body above the inline limit is not sent.
 */
class ProducerCompressionTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String TOPIC = "orders";
  private static final long TIMESTAMP = 1_764_460_800_000L;

  /** Keeps each request body; answers like a leader, or throws the scripted failures first. */
  private static final class RecordingLeader implements BatchSender {
    final List<ByteBuffer> bodies = new CopyOnWriteArrayList<>();
    final ConcurrentLinkedDeque<RuntimeException> failures = new ConcurrentLinkedDeque<>();
    private long nextOffset;

    @Override
    public synchronized ProduceResponse send(
        String topic, int partition, ByteBuffer batch, int recordCount, Acks acks) {
      ByteBuffer copy = ByteBuffer.allocate(batch.remaining()).put(batch.duplicate()).flip();
      bodies.add(copy);
      BatchValidator.validate(
          copy.duplicate(), BatchLimit.maxBatchBytes(Integer.MAX_VALUE), "recording leader");
      RuntimeException failure = failures.poll();
      if (failure != null) {
        throw failure;
      }
      long base = nextOffset;
      nextOffset += recordCount;
      return new ProduceResponse(base, nextOffset - 1, recordCount);
    }
  }

  private final RecordingLeader leader = new RecordingLeader();
  private final List<SluiceProducer.BatchReport> reports = new CopyOnWriteArrayList<>();
  private final List<SluiceProducer> producers = new ArrayList<>();

  @AfterEach
  void closeProducers() {
    producers.forEach(SluiceProducer::close);
  }

  private SluiceProducer start(SluiceProducer.Builder builder) {
    SluiceProducer producer = builder.batchListener(reports::add).build();
    producers.add(producer);
    return producer;
  }

  private SluiceProducer.Builder builder(Compression compression) {
    return SluiceProducer.builder(leader, topic -> 1)
        .compression(compression)
        .linger(Duration.ofHours(1))
        .deliveryTimeout(Duration.ofHours(2))
        .retryBackoff(Duration.ZERO, Duration.ZERO);
  }

  /** Repetitive text with a key and a header, as compressible as typical events. */
  private static ProduceRecord event(int i) {
    return new ProduceRecord(
        ("customer-" + (i % 7)).getBytes(UTF_8),
        ("{\"order\":" + i + ",\"status\":\"shipped\",\"items\":[\"book\",\"pen\"]}")
            .getBytes(UTF_8),
        List.of(new RecordHeader("source", "web".getBytes(UTF_8))),
        OptionalLong.of(TIMESTAMP + i));
  }

  private static List<Record> decode(ByteBuffer body) {
    try (RecordReader reader = RecordReader.of(body.duplicate(), "request body", 0)) {
      return reader.readAll();
    }
  }

  private static BatchHeader header(ByteBuffer body) {
    return BatchHeader.decode(body.duplicate());
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void eachBatchTravelsInTheChosenCodecAndDecodesToTheRecordsSent(Compression compression)
      throws Exception {
    SluiceProducer producer = start(builder(compression));
    List<Record> sent = new ArrayList<>();
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(producer.send(TOPIC, 0, event(i)));
      sent.add(SluiceProducer.toBatchRecord(event(i), 0));
    }
    producer.flush();
    for (int i = 0; i < 60; i++) {
      futures.add(producer.send(TOPIC, 0, event(50 + i)));
      sent.add(SluiceProducer.toBatchRecord(event(50 + i), 0));
    }
    producer.flush();

    assertEquals(2, leader.bodies.size());
    List<Record> received = new ArrayList<>();
    for (ByteBuffer body : leader.bodies) {
      BatchHeader header = header(body);
      assertEquals(compression, header.compression());
      assertTrue(header.hasProducerId(), "idempotence is on by default");
      received.addAll(decode(body));
    }
    assertEquals(sent, received);
    for (int i = 0; i < futures.size(); i++) {
      assertEquals(new RecordMetadata(TOPIC, 0, i), await(futures.get(i)));
    }
    // The report carries the size of the body that went out, compressed or not.
    assertEquals(
        leader.bodies.stream().map(ByteBuffer::remaining).map(Long::valueOf).toList(),
        reports.stream().map(SluiceProducer.BatchReport::bytes).toList());
    if (compression != Compression.NONE) {
      long uncompressed = MemoryBatchBuilder.sizeOf(sent.subList(0, 50));
      assertTrue(
          leader.bodies.get(0).remaining() < uncompressed,
          compression + " body of " + leader.bodies.get(0).remaining() + " bytes");
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "LZ4"})
  void aRetryResendsTheSameCompressedBytes(Compression compression) throws Exception {
    leader.failures.add(new SluiceClientException(503, "leader moved", null));
    SluiceProducer producer = start(builder(compression));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(producer.send(TOPIC, 0, event(i)));
    }
    producer.flush();

    assertEquals(2, leader.bodies.size());
    assertArrayEquals(leader.bodies.get(0).array(), leader.bodies.get(1).array());
    assertEquals(compression, header(leader.bodies.get(1)).compression());
    assertEquals(new RecordMetadata(TOPIC, 0, 19), await(futures.get(19)));
    assertEquals(List.of(1, 2), reports.stream().map(SluiceProducer.BatchReport::attempt).toList());
  }

  @Test
  void batchBytesCountsTheRecordsUncompressed() throws Exception {
    List<Record> three = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      three.add(SluiceProducer.toBatchRecord(event(i), 0));
    }
    int batchBytes = (int) MemoryBatchBuilder.sizeOf(three);
    SluiceProducer producer = start(builder(Compression.ZSTD).batchBytes(batchBytes));
    CompletableFuture<RecordMetadata> third = null;
    for (int i = 0; i < 3; i++) {
      third = producer.send(TOPIC, 0, event(i));
    }

    // Full at three records counted uncompressed: sent without flush, linger being an hour.
    assertEquals(new RecordMetadata(TOPIC, 0, 2), await(third));
    assertEquals(1, leader.bodies.size());
    assertEquals(three, decode(leader.bodies.get(0)));
  }

  @Test
  void aCompressedBodyAboveTheInlineLimitFailsWithoutBeingSent() throws Exception {
    // Random bytes do not compress: gzip's framing makes a batch that is just under the limit
    // uncompressed go over it once compressed.
    int overhead =
        MemoryBatchBuilder.sizeOfRecord(
                new Record(null, new byte[0], List.of(), TIMESTAMP), TIMESTAMP, 0)
            + BatchLayout.HEADER_BYTES
            + 8;
    byte[] value = new byte[SluiceProducer.MAX_BATCH_BYTES - overhead];
    new Random(42).nextBytes(value);
    SluiceProducer producer =
        start(
            builder(Compression.GZIP)
                .batchBytes(SluiceProducer.MAX_BATCH_BYTES)
                .bufferMemory(2L * SluiceProducer.MAX_BATCH_BYTES));
    CompletableFuture<RecordMetadata> future =
        producer.send(
            TOPIC, 0, new ProduceRecord(null, value, List.of(), OptionalLong.of(TIMESTAMP)));
    producer.flush();

    ExecutionException e =
        assertThrows(
            ExecutionException.class, () -> future.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    SluiceClientException failure = assertInstanceOf(SluiceClientException.class, e.getCause());
    assertEquals(413, failure.status());
    assertTrue(
        failure.getMessage().contains("above the limit of " + SluiceProducer.MAX_BATCH_BYTES),
        failure.getMessage());
    assertTrue(failure.getMessage().contains("gzip"), failure.getMessage());
    assertEquals(List.of(), leader.bodies);
    assertEquals(1, reports.size());
    assertTrue(reports.get(0).bytes() > SluiceProducer.MAX_BATCH_BYTES);

    // The leader never saw the refused batch's sequences: the next batch takes them, without a gap
    // that would end the producer's session on the partition.
    CompletableFuture<RecordMetadata> next = producer.send(TOPIC, 0, event(1));
    producer.flush();
    assertEquals(new RecordMetadata(TOPIC, 0, 0), await(next));
    BatchHeader header = header(leader.bodies.get(0));
    assertEquals(0, header.producerId());
    assertEquals(0, header.baseSequence());
  }
}
