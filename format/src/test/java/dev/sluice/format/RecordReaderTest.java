package dev.sluice.format;

import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordReaderTest {

  @ParameterizedTest(name = "{0}: from a stream of the bytes after the header")
  @EnumSource(Compression.class)
  void readsFromAStreamAfterTheHeader(Compression c) {
    List<Record> records = Fixtures.mixed();
    ByteBuffer b = MemoryBatchBuilder.build(records, c);
    BatchHeader h = BatchHeader.decode(b);
    byte[] rest = new byte[b.remaining() - BatchLayout.HEADER_BYTES];
    b.duplicate().position(BatchLayout.HEADER_BYTES).get(rest);
    try (RecordReader r = RecordReader.of(h, new ByteArrayInputStream(rest), "file", 4096)) {
      assertEquals(records, r.readAll());
      assertFalse(r.hasNext());
    }
  }

  @Test
  void aKeyLengthPastTheRecordNamesTheRecordAndPosition() {
    List<Record> records =
        List.of(Record.of(null, new byte[] {1}, T0), Record.of(new byte[] {7}, null, T0));
    ByteBuffer b = MemoryBatchBuilder.build(records, Compression.NONE);
    // Record 0: 61 length, 62 attributes, 63 ts, 64 offset delta, 65 key length (null), 66 value
    // length, 67 value, 68 header count. Record 1 at 69: key length at 73.
    b.put(73, (byte) 20); // zig-zag 10
    CorruptRecordException e =
        assertThrows(
            CorruptRecordException.class,
            () -> {
              try (RecordReader r = RecordReader.of(b, "segment 0.log", 100)) {
                r.readAll();
              }
            });
    assertEquals(1, e.recordIndex());
    assertEquals(73, e.bytePosition());
    assertEquals(
        "segment 0.log position 100: record 1 at byte 73 of the batch: key length 10 exceeds the 3"
            + " bytes left in the record's length 7",
        e.getMessage());
  }

  @Test
  void fewerRecordsThanTheCountIsCorrupt() {
    ByteBuffer b = MemoryBatchBuilder.build(List.of(Record.of(null, null, T0)), Compression.LZ4);
    BatchHeader h = BatchHeader.decode(b);
    BatchHeader claimsTwo =
        new BatchHeader(
            h.baseOffset(),
            h.batchLength(),
            h.partitionLeaderEpoch(),
            h.magic(),
            h.crc(),
            h.attributes(),
            1,
            h.baseTimestamp(),
            h.maxTimestamp(),
            h.producerId(),
            h.producerEpoch(),
            h.baseSequence(),
            2);
    byte[] rest = new byte[b.remaining() - BatchLayout.HEADER_BYTES];
    b.duplicate().position(BatchLayout.HEADER_BYTES).get(rest);
    try (RecordReader r = RecordReader.of(claimsTwo, new ByteArrayInputStream(rest), "fetch", 0)) {
      r.next();
      CorruptRecordException e = assertThrows(CorruptRecordException.class, r::next);
      assertEquals(
          "fetch position 0: record 1 at byte 7 of the decompressed lz4 records: the records end"
              + " inside record 1's length",
          e.getMessage());
    }
  }
}
