package dev.sluice.log.producer;

import dev.sluice.log.checkpoint.AtomicFile;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.log.producer.ProducerStateTable.ProducerBatch;
import dev.sluice.log.producer.ProducerStateTable.ProducerState;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code producer-state/} directory of a partition: snapshots of its {@link
 * ProducerStateTable}, so that opening or truncating the log replays only the batch headers after a
 * snapshot instead of the whole log. {@code <offset>.snapshot} (the offset zero-padded to 20
 * digits) holds the table as it was when the log ended at {@code offset}: built from every batch
 * below it. Binary, big-endian:
 *
 * <pre>
 *  offset  size  field
 *   0       2    version            1
 *   2       4    crc                CRC-32C of every byte after this field
 *   6       8    log end offset     equals the offset in the file name
 *  14       4    entry count
 *  18       ...  entries, each:
 *                  8  producer id    2  producer epoch    8  last timestamp    4  batch count (1..5)
 *                  then per batch, oldest first: 4 first sequence, 4 last sequence,
 *                  8 base offset, 8 last offset, 8 max timestamp
 * </pre>
 *
 * <p>Files are written through {@link AtomicFile} (temp file, force, rename, force the directory),
 * so a crash leaves a snapshot whole or absent. A snapshot that does not read back (version, CRC,
 * counts, size) is reported at WARN, deleted, and the next older one is tried: a snapshot only
 * saves reading, the log is the truth.
 *
 * <p>Invariant kept by the log: no snapshot is above the log end offset (truncation and recovery
 * delete them), so every snapshot describes a prefix of the current log.
 *
 * <p>Thread-safety: none; the log calls it under its write lock, or before it is shared.
 */
public final class ProducerStateSnapshots {
  private static final Logger log = LoggerFactory.getLogger(ProducerStateSnapshots.class);

  public static final String DIR = "producer-state";
  public static final String SUFFIX = ".snapshot";
  static final short VERSION = 1;

  private static final int HEADER_BYTES = 2 + 4 + 8 + 4;
  private static final int ENTRY_BYTES = 8 + 2 + 8 + 4;
  private static final int BATCH_BYTES = 4 + 4 + 8 + 8 + 8;

  /** A snapshot read back: the log end offset it covers and its entries. */
  public record Snapshot(long offset, List<ProducerState> entries) {
    public Snapshot {
      entries = List.copyOf(entries);
    }
  }

  private final Path dir;

  /** The snapshots of the partition directory {@code partitionDir}. */
  public ProducerStateSnapshots(Path partitionDir) {
    this.dir = partitionDir.resolve(DIR);
  }

  public Path dir() {
    return dir;
  }

  public Path file(long offset) {
    return dir.resolve(String.format("%020d", offset) + SUFFIX);
  }

  /** Writes the snapshot of {@code entries} at log end offset {@code offset}, replacing any. */
  public void write(long offset, Collection<ProducerState> entries) throws IOException {
    Files.createDirectories(dir);
    AtomicFile.replace(file(offset), encode(offset, entries));
  }

  /** The offsets of the snapshots on disk, ascending. */
  public TreeSet<Long> offsets() throws IOException {
    TreeSet<Long> offsets = new TreeSet<>();
    if (!Files.isDirectory(dir)) {
      return offsets;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        String digits = name.substring(0, name.length() - SUFFIX.length());
        if (digits.length() == 20 && digits.chars().allMatch(Character::isDigit)) {
          offsets.add(Long.parseLong(digits));
        }
      }
    }
    return offsets;
  }

  /**
   * The newest snapshot at or below {@code maxOffset} that reads back; the unreadable ones met on
   * the way are deleted (WARN).
   */
  public Optional<Snapshot> loadNewest(long maxOffset) throws IOException {
    for (long offset : offsets().headSet(maxOffset, true).descendingSet()) {
      Path f = file(offset);
      try {
        return Optional.of(decode(Files.readAllBytes(f), offset, f.toString()));
      } catch (IllegalStateException e) {
        log.warn("{}: unreadable producer-state snapshot, deleted: {}", f, e.getMessage());
        Files.deleteIfExists(f);
      }
    }
    return Optional.empty();
  }

  /** Deletes the snapshots above {@code offset}: they describe batches no longer in the log. */
  public void deleteAbove(long offset) throws IOException {
    for (long o : offsets().tailSet(offset, false)) {
      Files.deleteIfExists(file(o));
    }
  }

  /** Deletes the snapshots strictly between {@code low} and {@code high} (superseded ones). */
  public void deleteBetween(long low, long high) throws IOException {
    if (high <= low + 1) {
      return;
    }
    for (long o : offsets().subSet(low, false, high, false)) {
      Files.deleteIfExists(file(o));
    }
  }

  /** Deletes the snapshots below {@code offset} except the newest snapshot of all. */
  public void deleteBelowKeepingNewest(long offset) throws IOException {
    TreeSet<Long> all = offsets();
    if (all.isEmpty()) {
      return;
    }
    long newest = all.last();
    for (long o : all.headSet(offset, false)) {
      if (o != newest) {
        Files.deleteIfExists(file(o));
      }
    }
  }

  /** Deletes the temporary files of writes a crash interrupted. */
  public void deleteLeftovers() throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, "*" + SUFFIX + OffsetCheckpoint.TEMP_SUFFIX)) {
      for (Path f : files) {
        log.info("{}: deleting leftover temporary file", f);
        Files.deleteIfExists(f);
      }
    }
  }

  /** Deletes every snapshot (the log was emptied). */
  public void deleteAll() throws IOException {
    for (long o : offsets()) {
      Files.deleteIfExists(file(o));
    }
  }

  static byte[] encode(long offset, Collection<ProducerState> entries) {
    int size = HEADER_BYTES;
    for (ProducerState e : entries) {
      size += ENTRY_BYTES + e.batches().size() * BATCH_BYTES;
    }
    ByteBuffer buf = ByteBuffer.allocate(size);
    buf.putShort(VERSION);
    buf.putInt(0); // the CRC, once the rest is written
    buf.putLong(offset);
    buf.putInt(entries.size());
    for (ProducerState e : entries) {
      buf.putLong(e.producerId());
      buf.putShort(e.producerEpoch());
      buf.putLong(e.lastTimestamp());
      buf.putInt(e.batches().size());
      for (ProducerBatch b : e.batches()) {
        buf.putInt(b.firstSequence());
        buf.putInt(b.lastSequence());
        buf.putLong(b.baseOffset());
        buf.putLong(b.lastOffset());
        buf.putLong(b.maxTimestamp());
      }
    }
    buf.putInt(2, crc(buf.array()));
    return buf.array();
  }

  /**
   * Reads a snapshot; {@link IllegalStateException} naming the source, the field and the value if
   * it is not one {@link #encode} wrote for {@code expectedOffset}.
   */
  static Snapshot decode(byte[] bytes, long expectedOffset, String source) {
    if (bytes.length < HEADER_BYTES) {
      throw new IllegalStateException(
          source + ": " + bytes.length + " bytes, below the header's " + HEADER_BYTES);
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    short version = buf.getShort();
    if (version != VERSION) {
      throw new IllegalStateException(
          source + ": version " + version + ", only version " + VERSION + " is known");
    }
    int storedCrc = buf.getInt();
    int actualCrc = crc(bytes);
    if (storedCrc != actualCrc) {
      throw new IllegalStateException(
          source
              + ": CRC-32C "
              + Integer.toHexString(storedCrc)
              + " does not match the content's "
              + Integer.toHexString(actualCrc));
    }
    long offset = buf.getLong();
    if (offset != expectedOffset) {
      throw new IllegalStateException(
          source + ": holds log end offset " + offset + " but is named " + expectedOffset);
    }
    int count = buf.getInt();
    if (count < 0 || count > buf.remaining() / (ENTRY_BYTES + BATCH_BYTES)) {
      throw new IllegalStateException(
          source + ": entry count " + count + " does not fit the " + bytes.length + " bytes");
    }
    List<ProducerState> entries = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        long producerId = buf.getLong();
        short epoch = buf.getShort();
        long lastTimestamp = buf.getLong();
        int batchCount = buf.getInt();
        if (producerId < 0 || batchCount < 1 || batchCount > ProducerStateTable.BATCHES_KEPT) {
          throw new IllegalStateException(
              source
                  + ": entry "
                  + i
                  + " has producer id "
                  + producerId
                  + " and "
                  + batchCount
                  + " batches (1.."
                  + ProducerStateTable.BATCHES_KEPT
                  + " allowed)");
        }
        List<ProducerBatch> batches = new ArrayList<>(batchCount);
        for (int b = 0; b < batchCount; b++) {
          batches.add(
              new ProducerBatch(
                  buf.getInt(), buf.getInt(), buf.getLong(), buf.getLong(), buf.getLong()));
        }
        entries.add(new ProducerState(producerId, epoch, batches, lastTimestamp));
      }
    } catch (BufferUnderflowException e) {
      throw new IllegalStateException(
          source + ": cut short in the entries (" + bytes.length + " bytes for " + count + ")");
    }
    if (buf.hasRemaining()) {
      throw new IllegalStateException(
          source + ": " + buf.remaining() + " bytes after the " + count + " entries");
    }
    return new Snapshot(offset, entries);
  }

  private static int crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 6, bytes.length - 6);
    return (int) crc.getValue();
  }
}
