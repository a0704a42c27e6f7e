package dev.sluice.node.replica;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The followed-leader record of a partition directory: what is written reads back; a file that is
 * corrupt, truncated or of another version reads as absent with one WARN naming the file and the
 * problem; writes replace the whole file through the atomic-file helper.
 */
class FollowedLeaderFileTest {
  private static final FollowedLeader FOLLOWED =
      new FollowedLeader(1, 7, "10.0.0.1", 7100, "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");

  @TempDir Path dir;

  @Test
  void whatIsWrittenReadsBack() throws Exception {
    assertEquals(Optional.empty(), FollowedLeaderFile.read(dir), "no file: nothing followed");

    FollowedLeaderFile.write(dir, FOLLOWED);

    assertEquals(Optional.of(FOLLOWED), FollowedLeaderFile.read(dir));
    String text = Files.readString(FollowedLeaderFile.of(dir), StandardCharsets.UTF_8);
    assertTrue(text.startsWith("1\nleader=1\nleader-epoch=7\nhost=10.0.0.1\nport=7100\n"), text);
    assertTrue(text.matches("(?s).*\ncrc32c=[0-9a-f]{8}\n"), text);
  }

  @Test
  void aSecondWriteReplacesTheWholeFileAndLeavesNoTemporaryFile() throws Exception {
    FollowedLeaderFile.write(
        dir, new FollowedLeader(12, 1234, "a-rather-long-host-name.example", 65000, "id-long"));
    FollowedLeader shorter = new FollowedLeader(2, 8, "h", 1, "i");

    FollowedLeaderFile.write(dir, shorter);

    assertEquals(Optional.of(shorter), FollowedLeaderFile.read(dir));
    assertArrayEquals(
        FollowedLeaderFile.encode(shorter), Files.readAllBytes(FollowedLeaderFile.of(dir)));
    try (var files = Files.list(dir)) {
      assertEquals(
          List.of(FollowedLeaderFile.FILE),
          files.map(p -> p.getFileName().toString()).toList(),
          "the helper's temporary file was renamed over the record");
    }
  }

  @Test
  void aTemporaryFileOfAnInterruptedWriteIsNotRead() throws Exception {
    FollowedLeaderFile.write(dir, FOLLOWED);
    // A crash between the helper's write of the temporary file and its rename leaves this.
    Path tmp = dir.resolve(FollowedLeaderFile.FILE + OffsetCheckpoint.TEMP_SUFFIX);
    Files.write(tmp, Arrays.copyOf(FollowedLeaderFile.encode(FOLLOWED), 20));

    assertEquals(Optional.of(FOLLOWED), FollowedLeaderFile.read(dir));

    FollowedLeader next = new FollowedLeader(2, 8, "10.0.0.2", 7100, FOLLOWED.topicId());
    FollowedLeaderFile.write(dir, next);
    assertEquals(Optional.of(next), FollowedLeaderFile.read(dir));
    assertFalse(Files.exists(tmp), "the next write replaced the leftover");
  }

  @Test
  void removeDeletesTheRecordAndToleratesItsAbsence() throws Exception {
    FollowedLeaderFile.write(dir, FOLLOWED);
    assertTrue(FollowedLeaderFile.remove(dir));
    assertEquals(Optional.empty(), FollowedLeaderFile.read(dir));
    assertFalse(FollowedLeaderFile.remove(dir));
  }

  @Test
  void aFlippedByteFailsTheCrcAndIsIgnoredWithAWarning() throws Exception {
    byte[] bytes = FollowedLeaderFile.encode(FOLLOWED);
    int epochDigit = new String(bytes, StandardCharsets.UTF_8).indexOf("leader-epoch=7") + 13;
    bytes[epochDigit] = '9';
    assertIgnored(bytes, "does not match the content's");
  }

  @Test
  void aTruncatedFileIsIgnoredWithAWarningAtEveryLength() throws Exception {
    byte[] whole = FollowedLeaderFile.encode(FOLLOWED);
    for (int length = 0; length < whole.length; length++) {
      Files.write(FollowedLeaderFile.of(dir), Arrays.copyOf(whole, length));
      try (LogCapture log = LogCapture.of(FollowedLeaderFile.class)) {
        assertEquals(Optional.empty(), FollowedLeaderFile.read(dir), "cut at " + length);
        List<String> warnings = log.messages(Level.WARN);
        assertEquals(1, warnings.size(), "cut at " + length + ": " + warnings);
        assertTrue(
            warnings.get(0).contains(FollowedLeaderFile.of(dir).toString()), warnings.get(0));
      }
    }
  }

  @Test
  void anUnknownVersionIsIgnoredWithAWarning() throws Exception {
    String v1 = new String(FollowedLeaderFile.encode(FOLLOWED), StandardCharsets.UTF_8);
    byte[] v2 = ("2" + v1.substring(1)).getBytes(StandardCharsets.UTF_8);
    assertIgnored(v2, "format version '2', only 1 is known");
  }

  @Test
  void anOversizedFileIsNotReadAndIsIgnoredWithAWarning() throws Exception {
    assertIgnored(new byte[FollowedLeaderFile.MAX_BYTES + 1], "larger than 4096 bytes");
  }

  @Test
  void aRecordWithAnImpossibleValueIsIgnoredWithAWarning() throws Exception {
    String good = new String(FollowedLeaderFile.encode(FOLLOWED), StandardCharsets.UTF_8);
    String body = good.substring(0, good.indexOf("crc32c=")).replace("port=7100", "port=70000");
    assertIgnored(withCrc(body), "replication port 70000 is outside 1..65535");
  }

  /** {@code body} with a correct CRC line, as the writer would append it. */
  private static byte[] withCrc(String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    CRC32C crc = new CRC32C();
    crc.update(b);
    return (body + "crc32c=" + String.format("%08x", crc.getValue()) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private void assertIgnored(byte[] content, String problem) throws Exception {
    Path file = FollowedLeaderFile.of(dir);
    Files.write(file, content);
    try (LogCapture log = LogCapture.of(FollowedLeaderFile.class)) {
      assertEquals(Optional.empty(), FollowedLeaderFile.read(dir));
      List<String> warnings = log.messages(Level.WARN);
      assertEquals(1, warnings.size(), "one WARN: " + warnings);
      String warn = warnings.get(0);
      assertTrue(warn.contains(file.toString()), "names the file: " + warn);
      assertTrue(warn.contains(problem), "names the problem '" + problem + "': " + warn);
    }
  }
}
