package dev.sluice.format;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Murmur2 and the key partitioner against kafka-clients on a table of keys and counts. */
class KafkaPartitionerTest {

  private static List<byte[]> keys() {
    List<byte[]> keys = new ArrayList<>();
    keys.add(new byte[0]);
    // Every tail length (0-3) and the first full blocks, with high bytes to catch sign errors.
    for (int n = 1; n <= 9; n++) {
      byte[] k = new byte[n];
      for (int i = 0; i < n; i++) {
        k[i] = (byte) (0x7F + i * 37);
      }
      keys.add(k);
    }
    keys.add(Fixtures.utf8("order-1"));
    keys.add(Fixtures.utf8("ключ-ü-🚀"));
    keys.add(Fixtures.random(1024, 7));
    for (int i = 0; i < 200; i++) {
      keys.add(Fixtures.random(i % 23, 1000 + i));
    }
    return keys;
  }

  @Test
  void murmur2IsKafkas() {
    for (byte[] key : keys()) {
      assertEquals(KafkaReference.murmur2(key), Murmur2.hash(key), key.length + "-byte key");
    }
  }

  @Test
  void knownHashes() {
    // Fixed points, so that a change shows even if both sides moved together.
    assertEquals(KafkaReference.murmur2(new byte[0]), Murmur2.hash(new byte[0]));
    assertEquals(275646681, Murmur2.hash(new byte[0]));
    assertEquals(-973932308, Murmur2.hash(Fixtures.utf8("21")));
  }

  @Test
  void partitionForKeyIsKafkas() {
    for (int partitions : new int[] {1, 3, 7, 1000}) {
      for (byte[] key : keys()) {
        assertEquals(
            KafkaReference.partitionForKey(key, partitions),
            KafkaPartitioner.partitionForKey(key, partitions),
            key.length + "-byte key, " + partitions + " partitions");
      }
    }
  }

  @Test
  void aPartitionCountBelowOneIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> KafkaPartitioner.partitionForKey(new byte[1], 0));
    assertEquals("partition count 0 is below the minimum 1", e.getMessage());
  }
}
