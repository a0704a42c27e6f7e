package dev.sluice.log.staging;

import dev.sluice.format.BatchLayout;
import dev.sluice.log.record.BatchFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A resumable file in the staging area that receives the chunks of an oversized batch ({@link
 * StagingArea#resume}). Only a chunk at a time is ever in memory, and the file never grows past its
 * key's total length.
 *
 * <p>The CRC32C that a batch's header stores covers its bytes from {@link
 * BatchLayout#CRC_COVERAGE_OFFSET} on. When every byte of the file went through {@link #write} of
 * this instance, {@link #coveredCrc()} is computed from the chunks as they are written, and the
 * staged file is never read back for it; a file resumed after a restart is read back once, the
 * first time it is asked for.
 *
 * <p>{@link #close()} releases the channel and keeps the file (the caller appends from {@link
 * #path()}); {@link #abort()} deletes it. Not thread-safe: one writer per staged file.
 */
public final class StagedFile implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private final ResumeKey resumeKey;
  private long position;
  private final CRC32C covered = new CRC32C();

  /** True while {@link #covered} holds the covered CRC of the bytes below {@link #position}. */
  private boolean coveredKnown;

  StagedFile(Path path, FileChannel channel, long position, ResumeKey resumeKey) {
    this.path = path;
    this.channel = channel;
    this.position = position;
    this.resumeKey = resumeKey;
    this.coveredKnown = position == 0;
  }

  public Path path() {
    return path;
  }

  /** Bytes written so far (for a resumed file, including those staged before the restart). */
  public long position() {
    return position;
  }

  public Optional<ResumeKey> resumeKey() {
    return Optional.ofNullable(resumeKey);
  }

  /** Appends all of {@code chunk}. */
  public void write(ByteBuffer chunk) throws IOException {
    if (resumeKey != null && position + chunk.remaining() > resumeKey.totalLength()) {
      throw new IOException(
          path
              + ": chunk of "
              + chunk.remaining()
              + " bytes at position "
              + position
              + " exceeds the batch total length "
              + resumeKey.totalLength());
    }
    if (coveredKnown) {
      ByteBuffer part = chunk.duplicate();
      long before = Math.max(0, BatchLayout.CRC_COVERAGE_OFFSET - position);
      part.position(part.position() + (int) Math.min(before, part.remaining()));
      covered.update(part);
    }
    while (chunk.hasRemaining()) {
      position += channel.write(chunk, position);
    }
  }

  /**
   * The CRC32C of the bytes from {@link BatchLayout#CRC_COVERAGE_OFFSET} to {@link #position()}:
   * for a complete batch, what its header's CRC must be. Reads the file only if it was resumed with
   * bytes staged before, and then only once.
   */
  public int coveredCrc() throws IOException {
    if (!coveredKnown) {
      covered.reset();
      if (position > BatchLayout.CRC_COVERAGE_OFFSET) {
        BatchFiles.stream(
            channel,
            BatchLayout.CRC_COVERAGE_OFFSET,
            position,
            ByteBuffer.allocate((int) Math.min(BatchFiles.STREAM_BUFFER_BYTES, position)),
            path.toString(),
            (piece, at) -> covered.update(piece));
      }
      coveredKnown = true;
    }
    return (int) covered.getValue();
  }

  /**
   * Up to {@code length} bytes of the file from {@code position}, fewer when it ends before; the
   * buffer is ready to read.
   */
  public ByteBuffer read(long position, int length) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(length);
    while (bytes.hasRemaining() && channel.read(bytes, position + bytes.position()) >= 0) {}
    return bytes.flip();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Closes and deletes the file. Safe to call more than once. */
  public void abort() throws IOException {
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(path);
    }
  }
}
