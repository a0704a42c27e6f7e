package dev.sluice.format;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VarintsTest {

  @ParameterizedTest(name = "varint {0} takes {1} bytes")
  @CsvSource({
    "0, 1",
    "-1, 1",
    "63, 1",
    "-64, 1",
    "64, 2",
    "-65, 2",
    "8191, 2",
    "-8192, 2",
    "8192, 3",
    "-8193, 3",
    "1048575, 3",
    "1048576, 4",
    "134217727, 4",
    "134217728, 5",
    "2147483647, 5",
    "-2147483648, 5"
  })
  void varintSizeTable(int value, int bytes) {
    assertEquals(bytes, Varints.sizeOfVarint(value));
    assertEquals(KafkaReference.kafkaSizeOfVarint(value), Varints.sizeOfVarint(value));
    ByteBuffer ours = ByteBuffer.allocate(5);
    Varints.writeVarint(value, ours);
    assertEquals(bytes, ours.position());
    ByteBuffer kafka = ByteBuffer.allocate(5);
    KafkaReference.kafkaWriteVarint(value, kafka);
    assertEquals(kafka.flip(), ours.flip(), "same bytes as Kafka for " + value);
    assertEquals(value, Varints.readVarint(ours));

    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    assertDoesNotThrow(() -> Varints.writeVarint(value, stream));
    assertArrayEquals(slice(kafka), stream.toByteArray());
  }

  private static byte[] slice(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @ParameterizedTest(name = "varlong {0} takes {1} bytes")
  @CsvSource({
    "0, 1",
    "-1, 1",
    "63, 1",
    "64, 2",
    "8191, 2",
    "8192, 3",
    "2147483648, 5",
    "17179869183, 5",
    "17179869184, 6",
    "9223372036854775807, 10",
    "-9223372036854775808, 10"
  })
  void varlongSizeTable(long value, int bytes) throws Exception {
    assertEquals(bytes, Varints.sizeOfVarlong(value));
    assertEquals(KafkaReference.kafkaSizeOfVarlong(value), Varints.sizeOfVarlong(value));
    ByteBuffer ours = ByteBuffer.allocate(10);
    Varints.writeVarlong(value, ours);
    ByteBuffer kafka = ByteBuffer.allocate(10);
    KafkaReference.kafkaWriteVarlong(value, kafka);
    assertEquals(kafka.flip(), ours.flip());
    assertEquals(value, Varints.readVarlong(ours.duplicate()));
    assertEquals(value, Varints.readVarlong(new ByteArrayInputStream(slice(ours))));
  }

  @Test
  void decoderAssemblesValuesFedOneByteAtATime() {
    long[] values = {0, -1, 300, -8193, Integer.MAX_VALUE, Long.MIN_VALUE};
    for (long v : values) {
      ByteBuffer b = ByteBuffer.allocate(10);
      Varints.writeVarlong(v, b);
      b.flip();
      Varints.Decoder d = new Varints.Decoder();
      d.reset(true);
      boolean done = false;
      while (b.hasRemaining()) {
        assertFalse(done, "value complete before its last byte");
        done = d.feed(b.get());
      }
      assertTrue(done);
      assertEquals(v, d.value());
      assertEquals(Varints.sizeOfVarlong(v), d.bytesRead());
    }
  }

  @Test
  void aVarintLongerThanFiveBytesIsRefusedNamingTheLimit() {
    ByteBuffer six =
        ByteBuffer.wrap(
            new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0});
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Varints.readVarint(six));
    assertEquals("varint is longer than the maximum 5 bytes", e.getMessage());

    Varints.Decoder d = new Varints.Decoder();
    d.reset(false);
    for (int i = 0; i < 4; i++) {
      assertFalse(d.feed((byte) 0x80));
    }
    assertThrows(IllegalArgumentException.class, () -> d.feed((byte) 0x80));
  }

  @Test
  void aStreamEndingInsideAVarintIsAnEofNotAValue() {
    assertThrows(
        EOFException.class,
        () -> Varints.readVarint(new ByteArrayInputStream(new byte[] {(byte) 0x80})));
  }
}
