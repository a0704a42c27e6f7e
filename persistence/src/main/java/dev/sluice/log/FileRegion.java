package dev.sluice.log;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;

/**
 * {@code length} bytes of {@code file} from {@code position}, and the one way to read them: whole
 * ({@link #readInto}, {@link #readFully}) or in pieces through a {@link Reader}, which streams a
 * region of any size in the memory of the caller's buffer. Reads are positional; a region whose
 * file was cut or deleted since fails with an {@link IOException} naming the file and position.
 */
public record FileRegion(Path file, long position, long length) {
  public FileRegion {
    Objects.requireNonNull(file, "file");
    if (position < 0 || length < 0) {
      throw new IllegalArgumentException(
          file + ": no region of " + length + " bytes at " + position);
    }
  }

  /**
   * True when {@code next} starts in this region's file exactly where this region ends, so that the
   * two read as one region.
   */
  public boolean isFollowedBy(FileRegion next) {
    return file.equals(next.file) && position + length == next.position;
  }

  /**
   * Reads the whole region into {@code into} from its position, which then advances by {@code
   * length}.
   *
   * @throws IllegalArgumentException if {@code into} has less than {@code length} bytes of room
   */
  public void readInto(ByteBuffer into) throws IOException {
    if (into.remaining() < length) {
      throw new IllegalArgumentException(
          this + " does not fit a buffer with " + into.remaining() + " bytes of room");
    }
    try (Reader reader = open()) {
      while (reader.remaining() > 0) {
        reader.read(into);
      }
    }
  }

  /** Reads the whole region into {@code into} from index {@code at}. */
  public void readFully(byte[] into, int at) throws IOException {
    readInto(ByteBuffer.wrap(into, at, into.length - at));
  }

  /**
   * Adds {@code region} to the end of {@code regions}: as part of the last one when it continues it
   * ({@link #isFollowedBy}), so that consecutive bytes of one file are read as one region.
   */
  public static void appendTo(List<FileRegion> regions, FileRegion region) {
    int last = regions.size() - 1;
    if (last >= 0 && regions.get(last).isFollowedBy(region)) {
      FileRegion before = regions.get(last);
      regions.set(
          last, new FileRegion(before.file, before.position, before.length + region.length));
    } else {
      regions.add(region);
    }
  }

  /**
   * The error of a read that found the file ending at {@code at}, inside this region: the file was
   * cut (truncation) since the region was planned.
   */
  public EOFException endsAt(long at) {
    return new EOFException(
        file
            + ": file ends at position "
            + at
            + ", inside the region of "
            + length
            + " bytes at "
            + position);
  }

  /** Opens the file for reading this region in pieces. */
  public Reader open() throws IOException {
    return new Reader(this, FileChannel.open(file, StandardOpenOption.READ));
  }

  /**
   * Reads one region front to back through one open channel. Not thread-safe: one reader per
   * stream.
   */
  public static final class Reader implements Closeable {
    private final FileRegion region;
    private final FileChannel channel;
    private long done;

    private Reader(FileRegion region, FileChannel channel) {
      this.region = region;
      this.channel = channel;
    }

    /** Bytes of the region not read yet. */
    public long remaining() {
      return region.length - done;
    }

    /**
     * Fills {@code into} with the next bytes of the region, as many as fit and remain, and advances
     * its position by that many.
     *
     * @return the number of bytes read; 0 once the region is read, or if {@code into} is full
     * @throws EOFException if the file ends before the region does
     */
    public int read(ByteBuffer into) throws IOException {
      int want = (int) Math.min(into.remaining(), remaining());
      int limit = into.limit();
      into.limit(into.position() + want);
      try {
        while (into.hasRemaining()) {
          long at = region.position + done;
          int n = channel.read(into, at);
          if (n < 0) {
            throw region.endsAt(at);
          }
          done += n;
        }
      } finally {
        into.limit(limit);
      }
      return want;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
