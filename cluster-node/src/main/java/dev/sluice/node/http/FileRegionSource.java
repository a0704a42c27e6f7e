package dev.sluice.node.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Streams {@code length} bytes of a file from {@code position} in chunks, so a record value of any
 * size is served with O(chunk) memory. Reads run on Pekko's blocking-IO dispatcher
 * (unfoldResource's default).
 */
public final class FileRegionSource {
  private static final int CHUNK = 256 * 1024;

  private FileRegionSource() {}

  public static Source<ByteString, NotUsed> create(Path file, long position, long length) {
    return Source.unfoldResource(
        () -> new Region(file, position, length), Region::next, Region::close);
  }

  private static final class Region {
    private final FileChannel channel;
    private long position;
    private long remaining;

    Region(Path file, long position, long length) throws IOException {
      this.channel = FileChannel.open(file, StandardOpenOption.READ);
      this.position = position;
      this.remaining = length;
    }

    Optional<ByteString> next() throws IOException {
      if (remaining <= 0) {
        return Optional.empty();
      }
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, remaining));
      while (buf.hasRemaining()) {
        int n = channel.read(buf, position);
        if (n < 0) {
          throw new IOException(
              "file ended at position "
                  + position
                  + " with "
                  + remaining
                  + " bytes still expected");
        }
        position += n;
        remaining -= n;
      }
      buf.flip();
      return Optional.of(ByteString.fromByteBuffer(buf));
    }

    void close() throws IOException {
      channel.close();
    }
  }
}
