package dev.sluice.log.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.testing.LogCapture;
import dev.sluice.log.testing.RecordingSyncer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HighWatermarkFileTest {
  @TempDir Path dir;

  @Test
  void theRecordIsVersionTwentyDigitsAndTheLowercaseHexCrc32cOfTheDigits() {
    for (long offset : new long[] {0, 7, 1_234_567_890_123L, Long.MAX_VALUE}) {
      String digits = String.format("%020d", offset);
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(digits.getBytes(StandardCharsets.US_ASCII));
      String expected = "1\n" + digits + "\n" + String.format("%08x", crc.getValue()) + "\n";

      byte[] record = HighWatermarkFile.record(offset);

      assertEquals(expected, new String(record, StandardCharsets.US_ASCII), "offset " + offset);
      assertEquals(HighWatermarkFile.RECORD_BYTES, record.length);
    }
  }

  @Test
  void aWrittenValueIsReadBackAndForcedOnlyWhenAsked() throws IOException {
    Path file = dir.resolve("high-watermark");
    RecordingSyncer syncer = new RecordingSyncer();
    try (HighWatermarkFile hw = new HighWatermarkFile(file, syncer)) {
      hw.write(7);
      hw.write(1234567);
      assertEquals(0, syncer.forces(), "a write does not force");
      assertEquals(OptionalLong.of(1234567), new HighWatermarkFile(file).read());
      assertTrue(hw.force());
      assertFalse(hw.force(), "nothing changed since");
      assertEquals(1, syncer.forces());
      hw.write(1234568);
    }
    assertEquals(2, syncer.forces(), "close forced the last write");
    assertEquals(
        "1\n00000000000001234568\n",
        Files.readString(file, StandardCharsets.US_ASCII).substring(0, 23));
    assertEquals(HighWatermarkFile.RECORD_BYTES, Files.size(file));
  }

  @Test
  void aWriteAfterCloseIsIgnoredAndDoesNotReopenTheFile() throws IOException {
    Path file = dir.resolve("high-watermark");
    RecordingSyncer syncer = new RecordingSyncer();
    HighWatermarkFile hw = new HighWatermarkFile(file, syncer);
    hw.write(5);
    hw.close();
    assertEquals(1, syncer.forces());
    hw.write(9);
    assertFalse(hw.force(), "nothing written after close");
    hw.close();
    assertEquals(1, syncer.forces());
    assertEquals(OptionalLong.of(5), new HighWatermarkFile(file).read());
  }

  @Test
  void aFormat0FileIsReadAndReplacedByTheFirstWrite() throws IOException {
    Path file = dir.resolve("high-watermark");
    new OffsetCheckpoint(file).write(42);
    assertEquals(OptionalLong.of(42), new HighWatermarkFile(file).read());
    try (HighWatermarkFile hw = new HighWatermarkFile(file)) {
      hw.write(43);
    }
    assertEquals(OptionalLong.of(43), new HighWatermarkFile(file).read());
    assertEquals(HighWatermarkFile.RECORD_BYTES, Files.size(file));
  }

  @Test
  void aTornOrDamagedRecordReadsAsAbsentWithAWarning() throws IOException {
    Path file = dir.resolve("high-watermark");
    byte[] whole = HighWatermarkFile.record(99);
    byte[][] damaged = {
      Arrays.copyOf(whole, 20), // torn: the write stopped inside the digits
      new byte[0],
      withByte(whole, 10, (byte) '5'), // a digit changed: the CRC no longer matches
      withByte(whole, 25, (byte) 'z'), // the CRC damaged
      withByte(whole, 0, (byte) '2'), // an unknown version
    };
    for (byte[] bytes : damaged) {
      Files.write(file, bytes);
      try (LogCapture logs = LogCapture.of(HighWatermarkFile.class)) {
        assertEquals(OptionalLong.empty(), new HighWatermarkFile(file).read());
        assertEquals(1, logs.messages(ch.qos.logback.classic.Level.WARN).size());
        assertTrue(
            logs.messages(ch.qos.logback.classic.Level.WARN).get(0).contains(file.toString()));
      }
    }
    Files.write(file, whole);
    assertEquals(OptionalLong.of(99), new HighWatermarkFile(file).read());
  }

  private static byte[] withByte(byte[] bytes, int at, byte b) {
    byte[] copy = bytes.clone();
    copy[at] = b;
    return copy;
  }
}
