package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.api.Acks;
import dev.sluice.client.ConsumedRecord;
import dev.sluice.client.FetchedRecords;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceConsumer;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestNodes;
import dev.sluice.replication.protocol.PartitionId;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@link SluiceConsumer} and {@link SluiceClient#fetchRecords} against a real node. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerAgainstRealNodeTest {
  @TempDir static Path dir;
  private SluiceNode node;
  private SluiceClient client;

  @BeforeAll
  void start() {
    node = SluiceNode.start(TestNodes.singleNode(dir, Map.of()));
    client = SluiceClient.create(node.apiUri());
    client.createTopic("polled", 2, 1);
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private long produce(int partition, String key, String value) {
    byte[] bytes = value.getBytes(UTF_8);
    return client.append(
        "polled", partition, key, Acks.ALL, () -> BodyPublishers.ofByteArray(bytes), false);
  }

  @Test
  void pollReadsWhatWasProducedInOneRequest() {
    long a = produce(0, "k1", "one");
    produce(0, null, "two");
    long c = produce(0, "k3", "three");

    FetchedRecords fetched = client.fetchRecords("polled", 0, a, 1024 * 1024, Duration.ZERO);
    assertEquals(3, fetched.records().size());
    assertEquals(c + 1, fetched.nextOffset());
    assertEquals(c + 1, fetched.highWatermark());

    SluiceConsumer consumer = SluiceConsumer.create(client);
    consumer.assign("polled", 0);
    consumer.seek(a + 1);
    List<ConsumedRecord> records = consumer.poll(Duration.ofSeconds(5));
    assertEquals(2, records.size());
    assertNull(records.get(0).key());
    assertEquals("two", new String(records.get(0).value(), UTF_8));
    assertArrayEquals("k3".getBytes(UTF_8), records.get(1).key());
    assertEquals(c + 1, consumer.position());
  }

  @Test
  void aPollWaitingAtTheEndGetsTheRecordProducedMeanwhile() throws Exception {
    SluiceConsumer consumer = SluiceConsumer.create(client);
    consumer.assign("polled", 1);
    dev.sluice.log.PartitionLog log =
        node.replicas().get(new PartitionId("polled", 1)).orElseThrow().log();
    consumer.seek(log.highWatermark());
    CompletableFuture<List<ConsumedRecord>> polled =
        CompletableFuture.supplyAsync(() -> consumer.poll(Duration.ofSeconds(15)));
    awaitCondition(() -> log.highWatermarkWaiterCount() == 1, "the poll waits");

    long offset = produce(1, null, "meanwhile");

    List<ConsumedRecord> records = polled.get(20, TimeUnit.SECONDS);
    assertEquals(1, records.size());
    assertEquals(offset, records.get(0).offset());
    assertEquals("meanwhile", new String(records.get(0).value(), UTF_8));
  }

  /** Polls {@code condition} until it holds; fails naming {@code what} after 20 s. */
  private static void awaitCondition(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }
}
