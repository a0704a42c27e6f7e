package dev.sluice.log.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The sparse offset index of one segment ({@code <baseOffset>.index}). A sequence of 8-byte
 * entries, big-endian:
 *
 * <pre>
 *   relativeOffset int32   base offset of a batch minus the segment's base offset
 *   position       int32   byte position of that batch in the segment's .log file
 * </pre>
 *
 * <p>One entry is written every {@code index-interval-bytes} of log. Invariants: both fields
 * strictly increase from entry to entry, and every position is inside the log file. A lookup takes
 * the floor entry (largest offset not above the target) and the caller scans batch headers from its
 * position; with no floor entry the scan starts at position 0.
 *
 * <p>Entries are not held in memory: a lookup binary-searches the file with positional reads (the
 * page cache keeps hot indexes in memory), so an idle segment costs only a file handle. Only the
 * entry count and the last entry are cached.
 *
 * <p>Thread-safety: one writer (append, truncate) with concurrent {@link #lookup} callers; the
 * entry count is volatile and published after the entry's bytes are written.
 */
public final class OffsetIndex implements AutoCloseable {
  public static final int ENTRY_BYTES = 8;

  private final Path file;
  private final long baseOffset;
  private final FileChannel channel;
  private volatile int entries;
  private volatile IndexEntry last;

  private OffsetIndex(Path file, long baseOffset, FileChannel channel, int entries)
      throws IOException {
    this.file = file;
    this.baseOffset = baseOffset;
    this.channel = channel;
    this.entries = entries;
    this.last = entries == 0 ? null : entryAt(entries - 1);
  }

  /**
   * Opens (creating if missing) the index, trusting it; call {@link #sanityCheck} before use after
   * an unclean shutdown.
   */
  public static OffsetIndex open(Path file, long baseOffset) throws IOException {
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size = ch.size();
    // A torn trailing entry is dropped here; sanityCheck reports the damage to the caller.
    return new OffsetIndex(file, baseOffset, ch, (int) (size / ENTRY_BYTES));
  }

  public Path file() {
    return file;
  }

  public int entries() {
    return entries;
  }

  /** The last entry, or null if the index is empty. */
  public IndexEntry lastEntry() {
    return last;
  }

  /**
   * Returns null if the index is sane for a log file of {@code logSize} bytes, else the reason:
   * size not a multiple of the entry size, offsets or positions not strictly increasing, a negative
   * offset, or a position at or past the end of the log.
   */
  public String sanityCheck(long logSize) throws IOException {
    long size = channel.size();
    if (size % ENTRY_BYTES != 0) {
      return "index size " + size + " is not a multiple of " + ENTRY_BYTES;
    }
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long prevOffset = -1;
    long prevPosition = -1;
    long pos = 0;
    int n = (int) (size / ENTRY_BYTES);
    for (int i = 0; i < n; i++) {
      if (!buf.hasRemaining() || i == 0) {
        buf.clear();
        readFully(buf, pos);
        buf.flip();
      }
      int rel = buf.getInt();
      int position = buf.getInt();
      pos += ENTRY_BYTES;
      if (rel < 0 || rel <= prevOffset || position <= prevPosition) {
        return "entry " + i + " (" + rel + ", " + position + ") is not after the previous entry";
      }
      if (position >= logSize) {
        return "entry " + i + " position " + position + " is past the log end " + logSize;
      }
      prevOffset = rel;
      prevPosition = position;
    }
    return null;
  }

  private void readFully(ByteBuffer buf, long pos) throws IOException {
    long remaining = channel.size() - pos;
    if (remaining < buf.remaining()) {
      buf.limit((int) remaining);
    }
    long p = pos;
    while (buf.hasRemaining()) {
      int r = channel.read(buf, p);
      if (r < 0) {
        break;
      }
      p += r;
    }
  }

  /** Appends an entry; it must come after the last one. */
  public void append(long offset, int position) throws IOException {
    long rel = offset - baseOffset;
    if (rel < 0 || rel > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "offset " + offset + " is outside segment " + baseOffset + " (relative " + rel + ")");
    }
    IndexEntry prev = last;
    if (prev != null && (offset <= prev.offset() || position <= prev.position())) {
      throw new IllegalArgumentException(
          "index entry (" + offset + ", " + position + ") is not after " + prev + " in " + file);
    }
    ByteBuffer buf = ByteBuffer.allocate(ENTRY_BYTES).putInt((int) rel).putInt(position).flip();
    long at = (long) entries * ENTRY_BYTES;
    while (buf.hasRemaining()) {
      at += channel.write(buf, at);
    }
    last = new IndexEntry(offset, position);
    entries = entries + 1;
  }

  /** The entry with the largest offset not above {@code offset}, or null if there is none. */
  public IndexEntry lookup(long offset) throws IOException {
    int lo = 0;
    int hi = entries - 1;
    IndexEntry found = null;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      IndexEntry e = entryAt(mid);
      if (e.offset() <= offset) {
        found = e;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Drops every entry whose position is at or past {@code logSize}. */
  public void truncateToLogSize(long logSize) throws IOException {
    int keep = entries;
    while (keep > 0 && entryAt(keep - 1).position() >= logSize) {
      keep--;
    }
    truncateEntries(keep);
  }

  /** Drops every entry; used before a rebuild. */
  public void clear() throws IOException {
    truncateEntries(0);
  }

  private void truncateEntries(int keep) throws IOException {
    channel.truncate((long) keep * ENTRY_BYTES);
    entries = keep;
    last = keep == 0 ? null : entryAt(keep - 1);
  }

  private IndexEntry entryAt(int i) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(ENTRY_BYTES);
    long pos = (long) i * ENTRY_BYTES;
    while (buf.hasRemaining()) {
      int r = channel.read(buf, pos + buf.position());
      if (r < 0) {
        throw new IOException(file + " ended inside entry " + i);
      }
    }
    return new IndexEntry(baseOffset + buf.getInt(0), buf.getInt(4));
  }

  public void flush() throws IOException {
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Closes and deletes the index file. */
  public void delete() throws IOException {
    close();
    Files.deleteIfExists(file);
  }
}
