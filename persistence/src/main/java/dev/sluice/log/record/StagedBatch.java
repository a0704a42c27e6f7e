package dev.sluice.log.record;

import dev.sluice.format.BatchHeader;
import java.nio.file.Path;

/**
 * A complete one-record batch in a staging file, written by {@link StreamingBatchWriter} with its
 * CRC computed as the bytes went in, so appending it needs no second read for a check: the leader
 * stamps the base offset and its epoch and copies the file. {@code header} is unstamped (base
 * offset 0, epoch -1) and carries the CRC. Only the writer creates one.
 */
public final class StagedBatch {
  private final Path file;
  private final BatchHeader header;

  StagedBatch(Path file, BatchHeader header) {
    this.file = file;
    this.header = header;
  }

  public Path file() {
    return file;
  }

  public BatchHeader header() {
    return header;
  }

  @Override
  public String toString() {
    return "StagedBatch(" + file + ", " + header.totalSize() + " bytes)";
  }
}
