package dev.sluice.log.segment;

import java.io.IOException;
import java.nio.channels.FileChannel;

/** Writes one batch's bytes at a position of a segment file (from memory, a file or a stream). */
@FunctionalInterface
public interface BatchWriter {
  void writeTo(FileChannel segment, long position) throws IOException;
}
