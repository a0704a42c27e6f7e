package dev.sluice.log.checkpoint;

import dev.sluice.log.Syncer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The high-watermark file: one fixed-width record rewritten in place, so that moving the high
 * watermark costs one positional write and no force. The record is text, {@code cat}-readable, 32
 * bytes: format version {@code 1}, the offset zero-padded to 20 digits, and the CRC-32C of those
 * digits as 8 hex digits, each on its own line.
 *
 * <p>Durability: a written value is in the page cache at once, so it survives the process being
 * killed; it survives a power loss only once {@link #force} ran (the log forces it periodically and
 * at close). A record torn by a power loss in the middle of a write fails its CRC or does not parse
 * and reads as absent, with a WARN; the caller falls back to a safe value. The format 0 file of
 * {@link OffsetCheckpoint} (two lines: {@code 0}, the offset) is still read, and replaced by the
 * first write.
 *
 * <p>Thread-safety: callers serialise writes, forces and close; {@link #read} is used at open only.
 */
public final class HighWatermarkFile implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HighWatermarkFile.class);

  /** Bytes of the record: "1\n", 20 digits and "\n", 8 hex digits and "\n". */
  public static final int RECORD_BYTES = 32;

  private static final int DIGITS = 20;
  private static final int DIGITS_AT = 2;
  private static final int CRC_AT = DIGITS_AT + DIGITS + 1;

  private final Path file;
  private final Syncer syncer;
  private FileChannel channel;
  private boolean dirty;

  /** Set by {@link #close}: a later write would reopen the file after its final force. */
  private boolean closed;

  /** A file forced with fdatasync. */
  public HighWatermarkFile(Path file) {
    this(file, Syncer.FDATASYNC);
  }

  /** A file forced through {@code syncer}, like the log's segments. */
  public HighWatermarkFile(Path file, Syncer syncer) {
    this.file = file;
    this.syncer = syncer;
  }

  public Path file() {
    return file;
  }

  /** The stored offset; empty if the file is missing, torn or unparsable (the last with a WARN). */
  public OptionalLong read() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
    if (bytes.length > 0 && bytes[0] == '0') {
      return new OffsetCheckpoint(file).read(); // format 0, written before in-place records
    }
    String problem = problemWith(bytes);
    if (problem != null) {
      log.warn(
          "{}: ignoring the high watermark record ({} bytes): {}; a power loss during a write can"
              + " tear it",
          file,
          bytes.length,
          problem);
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(digits(bytes)));
  }

  private static String problemWith(byte[] b) {
    if (b.length != RECORD_BYTES) {
      return "expected " + RECORD_BYTES + " bytes";
    }
    if (b[0] != '1' || b[1] != '\n' || b[CRC_AT - 1] != '\n' || b[RECORD_BYTES - 1] != '\n') {
      return "not a format 1 record";
    }
    String digits = digits(b);
    if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return "offset '" + digits + "' is not 20 decimal digits";
    }
    String crc = new String(b, CRC_AT, 8, StandardCharsets.US_ASCII);
    if (!crc.equals(crcOf(digits))) {
      return "CRC-32C " + crc + " does not match the offset's " + crcOf(digits);
    }
    return null;
  }

  private static String digits(byte[] b) {
    return new String(b, DIGITS_AT, DIGITS, StandardCharsets.US_ASCII);
  }

  private static String crcOf(String digits) {
    CRC32C crc = new CRC32C();
    crc.update(digits.getBytes(StandardCharsets.US_ASCII));
    return String.format("%08x", crc.getValue());
  }

  /**
   * The record for {@code offset}, for tests that tear it. Built by hand rather than with {@code
   * String.format}: a leader and every follower write it at each move of the high watermark.
   */
  public static byte[] record(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("a high watermark is never negative: " + offset);
    }
    byte[] b = new byte[RECORD_BYTES];
    b[0] = '1';
    b[1] = '\n';
    long rest = offset;
    for (int i = DIGITS_AT + DIGITS - 1; i >= DIGITS_AT; i--) {
      b[i] = (byte) ('0' + rest % 10); // Long.MAX_VALUE has 19 digits: 20 always hold it
      rest /= 10;
    }
    b[CRC_AT - 1] = '\n';
    CRC32C crc = new CRC32C();
    crc.update(b, DIGITS_AT, DIGITS);
    long value = crc.getValue();
    for (int i = CRC_AT + 7; i >= CRC_AT; i--) {
      b[i] = (byte) Character.forDigit((int) (value & 0xf), 16);
      value >>>= 4;
    }
    b[RECORD_BYTES - 1] = '\n';
    return b;
  }

  /**
   * Writes {@code offset} over the record with one positional write, without forcing. The first
   * write creates the file and forces the directory, so that the file itself survives a power loss.
   *
   * <p>After {@link #close} a write is ignored (logged at DEBUG): during a node's shutdown a leader
   * or a follower may still move the high watermark of a log that was just closed, and the record
   * forced at close is a value that was already published, so keeping it is safe (a high watermark
   * read back too low is only caught up again). Reopening the file would leak its channel and put a
   * record after the clean-shutdown marker.
   */
  public void write(long offset) throws IOException {
    ByteBuffer record = ByteBuffer.wrap(record(offset));
    if (closed) {
      log.debug("{}: closed; not writing high watermark {}", file, offset);
      return;
    }
    if (channel == null) {
      boolean existed = Files.exists(file);
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      if (!existed) {
        OffsetCheckpoint.forceDirectory(file.getParent());
      }
    }
    while (record.hasRemaining()) {
      channel.write(record, record.position());
    }
    if (channel.size() > RECORD_BYTES) {
      channel.truncate(RECORD_BYTES); // never longer than one record, whatever was there before
    }
    dirty = true;
  }

  /**
   * Forces the last written record to disk if it is not yet.
   *
   * @return true if it forced
   */
  public boolean force() throws IOException {
    if (!dirty) {
      return false;
    }
    syncer.force(channel, file, RECORD_BYTES);
    dirty = false;
    return true;
  }

  /** Forces the record and closes the file; later writes are ignored. */
  @Override
  public void close() throws IOException {
    closed = true;
    if (channel == null) {
      return;
    }
    try {
      force();
    } finally {
      channel.close();
      channel = null;
    }
  }
}
