package dev.sluice.format;

import static dev.sluice.format.BatchLayout.*;
import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyOutputStream;

/**
 * The snappy reader: what Kafka's producer writes (xerial framing), concatenated streams and
 * unframed blocks decode; announced sizes beyond what the bytes can hold are refused before any
 * allocation for them (the test JVM's heap is far below the sizes announced here).
 */
class XerialSnappyInputStreamTest {
  private static final BatchLimit LIMIT = BatchLimit.maxBatchBytes(1 << 20);

  private static byte[] framed(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SnappyOutputStream s = new SnappyOutputStream(out)) {
      s.write(plain);
    }
    return out.toByteArray();
  }

  private static byte[] read(byte[] stream) throws IOException {
    try (InputStream in = new XerialSnappyInputStream(new ByteArrayInputStream(stream), 1 << 20)) {
      return in.readAllBytes();
    }
  }

  @Test
  void framedConcatenatedAndUnframedStreamsDecode() throws IOException {
    byte[] plain = Fixtures.text(200_000);
    assertArrayEquals(plain, read(framed(plain)));
    byte[] a = framed(Fixtures.utf8("first "));
    byte[] b = framed(Fixtures.utf8("second"));
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    assertArrayEquals(Fixtures.utf8("first second"), read(both));
    assertArrayEquals(plain, read(Snappy.compress(plain)));
    assertArrayEquals(new byte[0], read(new byte[0]));
  }

  @Test
  void aChunkAnnouncingMoreBytesThanFollowIsRefusedWithoutAllocatingThem() throws IOException {
    byte[] header = Arrays.copyOf(framed(new byte[0]), XerialSnappyInputStream.HEADER_BYTES);
    ByteBuffer stream = ByteBuffer.allocate(header.length + 4 + 10);
    stream.put(header).putInt(400_000_000).put(new byte[10]);
    IOException e = assertThrows(IOException.class, () -> read(stream.array()));
    assertEquals(
        "chunk 0 of the snappy stream announces 400000000 bytes but only 10 follow",
        e.getMessage());
  }

  @Test
  void aBlockAnnouncingMoreThanSnappyCanExpandIsRefused() {
    // An unframed block whose varint announces 2^31-1 decompressed bytes, out of 8 bytes.
    byte[] raw = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0, 0, 0};
    IOException e = assertThrows(IOException.class, () -> read(raw));
    assertEquals(
        "the unframed block of the snappy stream announces 2147483647 decompressed bytes out of 8,"
            + " above the limit 256 (32 times its compressed size: more than snappy can expand)",
        e.getMessage());
  }

  @Test
  void aBatchWithABombChunkIsRefusedByTheValidatorNamingSnappy() throws IOException {
    // 2 MiB of zeros in one chunk: a few hundred bytes that snappy really expands, above LIMIT.
    byte[] chunk = Snappy.compress(new byte[2 << 20]);
    byte[] header = Arrays.copyOf(framed(new byte[0]), XerialSnappyInputStream.HEADER_BYTES);
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + header.length + 4 + chunk.length);
    b.position(HEADER_BYTES);
    b.put(header).putInt(chunk.length).put(chunk).flip();
    MemoryBatchBuilder.writeHeader(
        b,
        Attributes.of(Compression.SNAPPY),
        1,
        T0,
        T0,
        NO_PRODUCER_ID,
        NO_PRODUCER_EPOCH,
        NO_SEQUENCE);
    CorruptRecordException e =
        assertThrows(
            CorruptRecordException.class, () -> BatchValidator.validate(b, LIMIT, "request"));
    assertEquals(
        "request position 0: the snappy stream breaks after 0 decompressed bytes: chunk 0 of the"
            + " snappy stream announces 2097152 decompressed bytes out of "
            + chunk.length
            + ", above the limit 1048576 (the decompressed records' limit)",
        e.getMessage());
  }

  @Test
  void anUnframedBatchAsNonJavaProducersWriteItIsAccepted() throws IOException {
    List<Record> records = Fixtures.mixed();
    ByteBuffer plain = MemoryBatchBuilder.build(records, Compression.NONE);
    byte[] recordBytes = new byte[plain.remaining() - HEADER_BYTES];
    plain.duplicate().position(HEADER_BYTES).get(recordBytes);
    byte[] raw = Snappy.compress(recordBytes);
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + raw.length);
    b.put(plain.duplicate().limit(HEADER_BYTES)).put(raw).flip();
    MemoryBatchBuilder.writeHeader(
        b,
        Attributes.of(Compression.SNAPPY),
        records.size(),
        records.get(0).timestamp(),
        BatchHeader.decode(plain).maxTimestamp(),
        NO_PRODUCER_ID,
        NO_PRODUCER_EPOCH,
        NO_SEQUENCE);
    BatchValidator.validate(b, LIMIT, "request");
    try (RecordReader reader = RecordReader.of(b, "request", 0)) {
      assertEquals(records, reader.readAll());
    }
  }
}
