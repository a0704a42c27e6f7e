package dev.sluice.replication.transfer;

import dev.sluice.log.record.RecordBatch;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * CRC32C of whole oversized batches, for the chunk headers, shared by every connection of one
 * leader: a follower that reconnects many times in the middle of a 64 MiB batch must not make the
 * leader read those 64 MiB again for each connection.
 *
 * <p>The key includes the batch's own stored CRC and leader epoch (read from its header, 9 bytes),
 * so a batch rewritten at the same place after a truncation never gets a stale value. Bounded
 * (least recently used out); thread-safe.
 */
public final class BatchCrcCache {
  private static final int CAPACITY = 256;

  private record Key(Path file, long position, long size, long header) {}

  private final Map<Key, Integer> crcs =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Integer> eldest) {
          return size() > CAPACITY;
        }
      };

  /** CRC32C over every byte of the batch, header included. */
  public int crcOf(BatchExtent b) throws IOException {
    try (FileChannel ch = FileChannel.open(b.file(), StandardOpenOption.READ)) {
      Key key = new Key(b.file(), b.position(), b.size(), storedHeader(ch, b));
      synchronized (crcs) {
        Integer known = crcs.get(key);
        if (known != null) {
          return known;
        }
      }
      int crc = compute(ch, b);
      synchronized (crcs) {
        crcs.put(key, crc);
      }
      return crc;
    }
  }

  /** Leader epoch, magic and stored CRC of the batch, packed into one long. */
  private static long storedHeader(FileChannel ch, BatchExtent b) throws IOException {
    ByteBuffer buf =
        ByteBuffer.allocate(
            RecordBatch.LEADER_EPOCH_LENGTH + RecordBatch.MAGIC_LENGTH + RecordBatch.CRC_LENGTH);
    readFully(ch, buf, b.position() + RecordBatch.LEADER_EPOCH_OFFSET, b);
    buf.flip();
    long epoch = buf.getInt();
    long magic = buf.get() & 0xff;
    long storedCrc = buf.getInt() & 0xffffffffL;
    return (epoch << 40) ^ (magic << 32) ^ storedCrc;
  }

  private static int compute(FileChannel ch, BatchExtent b) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(b.size(), 1 << 20));
    long pos = 0;
    while (pos < b.size()) {
      buf.clear().limit((int) Math.min(buf.capacity(), b.size() - pos));
      int n = ch.read(buf, b.position() + pos);
      if (n < 0) {
        throw new EOFException(b.file() + ": end of file inside batch " + b.baseOffset());
      }
      buf.flip();
      crc.update(buf);
      pos += n;
    }
    return (int) crc.getValue();
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long at, BatchExtent b)
      throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf, at + buf.position()) < 0) {
        throw new EOFException(b.file() + ": end of file inside batch " + b.baseOffset());
      }
    }
  }
}
