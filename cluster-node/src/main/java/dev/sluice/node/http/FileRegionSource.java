package dev.sluice.node.http;

import dev.sluice.log.FileRegion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Streams {@code length} bytes of a file from {@code position} in chunks, so a record value of any
 * size is served with O(chunk) memory: the bytes are copied through a heap buffer per chunk, not
 * sent with zero-copy. Reads go through {@link FileRegion.Reader} on Pekko's blocking-IO dispatcher
 * (unfoldResource's default); a file cut short fails the stream with the reader's error, which
 * names the file and position.
 *
 * <p>Thread-safety: each materialization opens its own reader.
 */
public final class FileRegionSource {
  private static final int CHUNK = 256 * 1024;

  private FileRegionSource() {}

  public static Source<ByteString, NotUsed> create(Path file, long position, long length) {
    return Source.unfoldResource(
        () -> new FileRegion(file, position, length).open(),
        FileRegionSource::next,
        FileRegion.Reader::close);
  }

  private static Optional<ByteString> next(FileRegion.Reader reader) throws IOException {
    if (reader.remaining() <= 0) {
      return Optional.empty();
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, reader.remaining()));
    reader.read(buf);
    buf.flip();
    return Optional.of(ByteString.fromByteBuffer(buf));
  }
}
