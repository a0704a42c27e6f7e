package dev.sluice.format;

/**
 * MurmurHash2, 32-bit, exactly as Kafka's {@code Utils.murmur2}: seed {@code 0x9747b28c}, {@code m
 * = 0x5bd1e995}, {@code r = 24}, the input taken as little-endian 4-byte blocks, then Kafka's tail
 * (the last 1-3 bytes) and finalisation. Kafka's key partitioner depends on every detail, so keys
 * placed by Sluice land where a Kafka producer would put them. Pure function; thread-safe.
 */
public final class Murmur2 {
  private static final int SEED = 0x9747b28c;
  private static final int M = 0x5bd1e995;
  private static final int R = 24;

  private Murmur2() {}

  public static int hash(byte[] data) {
    int length = data.length;
    int h = SEED ^ length;
    int blocksEnd = length & ~3;
    for (int i = 0; i < blocksEnd; i += 4) {
      int k =
          (data[i] & 0xFF)
              | (data[i + 1] & 0xFF) << 8
              | (data[i + 2] & 0xFF) << 16
              | (data[i + 3] & 0xFF) << 24;
      k *= M;
      k ^= k >>> R;
      k *= M;
      h *= M;
      h ^= k;
    }
    int tail = length & 3;
    if (tail > 0) {
      // The tail bytes are mixed in from the highest down, then multiplied once.
      for (int j = tail - 1; j >= 0; j--) {
        h ^= (data[blocksEnd + j] & 0xFF) << (8 * j);
      }
      h *= M;
    }
    h ^= h >>> 13;
    h *= M;
    h ^= h >>> 15;
    return h;
  }
}
