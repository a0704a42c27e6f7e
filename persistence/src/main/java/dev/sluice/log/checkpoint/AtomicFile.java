package dev.sluice.log.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Replaces a small file so that after a crash it holds either the old or the new content, never a
 * torn mix: the content goes to {@code <name>.tmp}, is forced, is renamed over the file, and the
 * directory is forced so the rename itself survives a power loss.
 *
 * <p>Used by the checkpoints and by the node's storage id file. Stateless; callers serialise writes
 * to the same file.
 */
public final class AtomicFile {
  private AtomicFile() {}

  public static void replace(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + OffsetCheckpoint.TEMP_SUFFIX);
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    OffsetCheckpoint.forceDirectory(file.toAbsolutePath().getParent());
  }
}
