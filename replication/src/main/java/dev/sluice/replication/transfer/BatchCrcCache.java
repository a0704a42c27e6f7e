package dev.sluice.replication.transfer;

import dev.sluice.format.BatchLayout;
import dev.sluice.log.FileRegion;
import dev.sluice.log.LogSlice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * CRC32C of whole oversized batches, for the chunk headers, shared by every connection of one
 * leader: a follower that reconnects many times in the middle of a 64 MiB batch must not make the
 * leader read those 64 MiB again for each connection.
 *
 * <p>The key includes the batch's own stored CRC and leader epoch (read from its header, the first
 * bytes of the batch, which a computed CRC reuses), so a batch rewritten at the same place after a
 * truncation never gets a stale value. Bounded (least recently used out); thread-safe.
 */
public final class BatchCrcCache {
  private static final int CAPACITY = 256;

  /** A batch's bytes up to and including its stored CRC. */
  private static final int HEAD_BYTES = BatchLayout.CRC_OFFSET + BatchLayout.CRC_LENGTH;

  private record Key(Path file, long position, long size, long header) {}

  private final Map<Key, Integer> crcs =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Integer> eldest) {
          return size() > CAPACITY;
        }
      };

  /** CRC32C over every byte of the batch, header included. */
  public int crcOf(LogSlice batch) throws IOException {
    try (FileRegion.Reader reader = batch.region().open()) {
      // The bytes up to the stored CRC are read once: for the key, and as the CRC's first bytes.
      ByteBuffer head = ByteBuffer.allocate(HEAD_BYTES);
      reader.read(head);
      Key key = new Key(batch.segmentFile(), batch.position(), batch.length(), storedHeader(head));
      synchronized (crcs) {
        Integer known = crcs.get(key);
        if (known != null) {
          return known;
        }
      }
      CRC32C crc = new CRC32C();
      crc.update(head.flip());
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(reader.remaining(), 1 << 20));
      while (reader.remaining() > 0) {
        reader.read(buf.clear());
        crc.update(buf.flip());
      }
      int value = (int) crc.getValue();
      synchronized (crcs) {
        crcs.put(key, value);
      }
      return value;
    }
  }

  /** Leader epoch, magic and stored CRC of the batch, packed into one long. */
  private static long storedHeader(ByteBuffer head) {
    long epoch = head.getInt(BatchLayout.PARTITION_LEADER_EPOCH_OFFSET);
    long magic = head.get(BatchLayout.MAGIC_OFFSET) & 0xff;
    long storedCrc = head.getInt(BatchLayout.CRC_OFFSET) & 0xffffffffL;
    return (epoch << 40) ^ (magic << 32) ^ storedCrc;
  }
}
