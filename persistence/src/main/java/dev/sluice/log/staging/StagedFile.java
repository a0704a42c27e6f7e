package dev.sluice.log.staging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A resumable file in the staging area that receives the chunks of an oversized batch ({@link
 * StagingArea#resume}). Only a chunk at a time is ever in memory, and the file never grows past its
 * key's total length.
 *
 * <p>{@link #close()} releases the channel and keeps the file (the caller appends from {@link
 * #path()}); {@link #abort()} deletes it. Not thread-safe: one writer per staged file.
 */
public final class StagedFile implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private final ResumeKey resumeKey;
  private long position;

  StagedFile(Path path, FileChannel channel, long position, ResumeKey resumeKey) {
    this.path = path;
    this.channel = channel;
    this.position = position;
    this.resumeKey = resumeKey;
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
    while (chunk.hasRemaining()) {
      position += channel.write(chunk, position);
    }
  }

  /** Makes the bytes written so far durable; a resumed transfer may rely on them after this. */
  public void force() throws IOException {
    channel.force(false);
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
