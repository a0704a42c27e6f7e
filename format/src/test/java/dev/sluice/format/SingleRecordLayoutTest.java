package dev.sluice.format;

import static dev.sluice.format.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SingleRecordLayoutTest {

  @ParameterizedTest(name = "value of {0} bytes")
  @ValueSource(ints = {0, 57, 58, 8184, 8185, 100_000})
  void prefixValueAndSuffixAreTheBuiltBatch(int valueLength) {
    byte[] key = Fixtures.utf8("order-1");
    byte[] value = Fixtures.random(valueLength, valueLength);
    List<Header> headers = List.of(new Header("trace", new byte[] {1}), new Header("n", null));
    SingleRecordLayout layout = SingleRecordLayout.of(key, valueLength, headers, T0);

    ByteBuffer prefix = layout.prefix();
    ByteBuffer suffix = layout.suffix();
    assertEquals(layout.valueOffset(), prefix.remaining());
    CRC32C crc = layout.crcAfterPrefix();
    crc.update(value);
    crc.update(suffix.duplicate());
    ByteBuffer streamed =
        ByteBuffer.allocate((int) layout.totalSize()).put(prefix).put(value).put(suffix).flip();
    streamed.putInt(BatchLayout.CRC_OFFSET, (int) crc.getValue());

    ByteBuffer built =
        MemoryBatchBuilder.build(List.of(new Record(key, value, headers, T0)), Compression.NONE);
    assertEquals(built, streamed);
    assertEquals(built.remaining(), layout.totalSize());
    BatchValidator.validate(streamed, BatchLimit.maxBatchBytes(1 << 20), "stream");
  }

  @ParameterizedTest(name = "value of {0} bytes, null key, no headers")
  @ValueSource(ints = {57, 58, 1024})
  void sizeMatchesTheTable(int valueLength) {
    long expected =
        switch (valueLength) {
          case 57 -> 125;
          case 58 -> 127;
          default -> 1094;
        };
    assertEquals(expected, SingleRecordLayout.of(null, valueLength, List.of(), T0).totalSize());
  }

  @org.junit.jupiter.api.Test
  void aValueTooLargeForABatchIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SingleRecordLayout.of(null, Integer.MAX_VALUE, List.of(), T0));
    assertTrue(e.getMessage().startsWith("a record with a 2147483647-byte value takes "));
  }
}
