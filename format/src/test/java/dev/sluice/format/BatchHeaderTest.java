package dev.sluice.format;

import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchHeaderTest {
  private static final BatchLimit LIMIT = BatchLimit.segmentBytes(1 << 20);

  @Test
  void peekAnswersNeedMoreBytesUntilTheHeaderIsIn() {
    ByteBuffer b = MemoryBatchBuilder.build(List.of(Record.of(null, null, T0)), Compression.NONE);
    for (int n = 0; n < BatchLayout.HEADER_BYTES; n++) {
      ByteBuffer partial = b.duplicate().limit(n);
      assertEquals(
          BatchHeader.NEED_MORE_BYTES, BatchHeader.peekTotalSize(partial, LIMIT, "transfer", 0));
      assertNull(BatchHeader.parse(partial, LIMIT, "transfer", 0));
      assertEquals(0, partial.position(), "peek does not move the buffer");
    }
    assertEquals(68, BatchHeader.peekTotalSize(b.duplicate().limit(61), LIMIT, "transfer", 0));
  }

  @Test
  void peekAtANonZeroPositionReadsThatBatch() {
    ByteBuffer two = ByteBuffer.allocate(68 + 70);
    two.put(MemoryBatchBuilder.build(List.of(Record.of(null, null, T0)), Compression.NONE));
    two.put(MemoryBatchBuilder.build(List.of(Record.of(null, new byte[2], T0)), Compression.NONE));
    two.flip().position(68);
    assertEquals(70, BatchHeader.peekTotalSize(two, LIMIT, "segment", 68));
  }

  @Test
  void aStoredBatchMayHaveFewerRecordsThanItsDeltaSpans() {
    // What compaction leaves in Kafka: last offset delta 9, three records.
    ByteBuffer b =
        MemoryBatchBuilder.build(
            List.of(
                Record.of(null, null, T0), Record.of(null, null, T0), Record.of(null, null, T0)),
            Compression.NONE);
    b.putInt(BatchLayout.LAST_OFFSET_DELTA_OFFSET, 9);
    BatchHeader h = BatchHeader.parse(b, LIMIT, "segment", 0);
    assertEquals(9, h.lastOffset());
    assertEquals(10, h.nextOffset());
    CorruptRecordException e =
        assertThrows(CorruptRecordException.class, () -> h.validateProduced(LIMIT, "request", 0));
    assertEquals(23, e.bytePosition());
  }

  @ParameterizedTest(name = "base {0} + delta {1} = {2}")
  @CsvSource({
    "0, 0, 0",
    "5, 3, 8",
    "2147483647, 0, 2147483647",
    "2147483647, 1, 0",
    "2147483640, 10, 2",
    "-1, 4, -1"
  })
  void lastSequenceWrapsLikeKafkas(int base, int delta, int last) {
    BatchHeader h =
        new BatchHeader(
            0,
            100,
            -1,
            (byte) 2,
            0,
            (short) 0,
            delta,
            T0,
            T0,
            base < 0 ? -1 : 1,
            (short) 0,
            base,
            delta + 1);
    assertEquals(last, h.lastSequence());
  }
}
