package dev.sluice.log.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encodes record prefixes and headers (see {@link RecordBatch} for the layout). Stateless. */
final class RecordCodec {
  private RecordCodec() {}

  static byte[] utf8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException(
          "header key of " + bytes.length + " UTF-8 bytes exceeds the limit " + Short.MAX_VALUE);
    }
    return bytes;
  }

  /** Writes everything of a record that precedes the value bytes, including the value length. */
  static void writePrefix(ByteBuffer out, byte[] key, List<Header> headers, int valueLength) {
    writeBytesWithLength(out, key);
    List<Header> hs = headers == null ? List.of() : headers;
    out.putInt(hs.size());
    for (Header h : hs) {
      byte[] k = utf8(h.key());
      out.putShort((short) k.length);
      out.put(k);
      writeBytesWithLength(out, h.value());
    }
    out.putInt(valueLength);
  }

  static void writeBytesWithLength(ByteBuffer out, byte[] bytes) {
    if (bytes == null) {
      out.putInt(-1);
    } else {
      out.putInt(bytes.length);
      out.put(bytes);
    }
  }

  /** Writes the fixed batch header, with crc 0; the caller patches the crc once it is known. */
  static void writeHeader(
      ByteBuffer out,
      long baseOffset,
      int totalSize,
      int leaderEpoch,
      int recordCount,
      long timestamp) {
    int start = out.position();
    out.putLong(baseOffset);
    out.putInt(totalSize - RecordBatch.LOG_OVERHEAD);
    out.putInt(leaderEpoch);
    out.put(RecordBatch.MAGIC);
    out.putInt(0);
    out.putShort((short) 0);
    out.putInt(recordCount - 1);
    out.putLong(timestamp);
    out.putLong(timestamp);
    out.putInt(recordCount);
    assert out.position() - start == RecordBatch.HEADER_BYTES;
  }
}
