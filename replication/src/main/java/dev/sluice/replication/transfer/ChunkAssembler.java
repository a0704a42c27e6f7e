package dev.sluice.replication.transfer;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.CorruptRecordException;
import dev.sluice.log.staging.ResumeKey;
import dev.sluice.log.staging.StagedFile;
import dev.sluice.log.staging.StagingArea;
import dev.sluice.replication.protocol.Frame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follower side of an oversized batch: writes its {@link Frame.Chunk}s to a resumable file in the
 * partition's staging area, so that a restarted transfer continues from {@link #stagedBytes()}
 * instead of from zero. When the last chunk arrives it checks the staged length, the CRC32C of the
 * batch's head announced by the chunks ({@link BatchHeadCrc}), and the batch's own header and CRC
 * (together they cover every byte of the batch), and only then hands the file to the log, which
 * copies it into its active segment, forces it there as it forces any append, and deletes it.
 *
 * <p>Each byte is written to the staged file once and read back once, by the log's copy into the
 * segment: the batch's CRC is computed from the chunks as they arrive ({@link
 * StagedFile#coveredCrc}; a transfer resumed after a restart reads the bytes staged before it
 * once). The staged file is never forced: staged bytes are never reported as durable (the leader
 * counts only the log end, which moves after the segment's force), and a transfer restarted by a
 * dropped connection or a killed process finds them in the file system's cache. Only an
 * operating-system crash can tear an unforced prefix; the resumed batch then fails the checks of
 * its last chunk, its staged bytes are deleted and the next attempt transfers it from byte 0, as
 * for any corrupt batch.
 *
 * <p>Invariants: a partial batch is never appended; the batch is never whole in memory (one chunk
 * at a time, CRCs are streamed); a staged file that failed its checks is deleted, so a retry starts
 * the batch afresh rather than looping on the same bad bytes. A chunk that starts before the staged
 * length is a resend and only its new tail is written; a chunk that starts after it is a gap and
 * fails the transfer.
 *
 * <p>Not thread-safe: one instance per partition, used by the partition's single replication writer
 * (the follower transfer stream, one frame at a time).
 */
public final class ChunkAssembler implements AutoCloseable {

  /** Appends a fully staged and checked batch to the log; the log deletes the file. */
  @FunctionalInterface
  public interface StagedBatchAppender {
    void append(StagedFile staged) throws IOException;
  }

  /** What accepting a chunk did. */
  public record Outcome(long stagedBytes, long writtenBytes, long skippedBytes, boolean appended) {}

  // Mirrors StagingArea's resumable name "batch-<base>-<total>-<crc hex>.part" to find a batch
  // after a restart (StagingArea can only look one up by its full key).
  private static final Pattern RESUMABLE =
      Pattern.compile("batch-(\\d+)-(\\d+)-([0-9a-f]{8})\\.part");
  private static final BatchLimit LARGEST_BATCH =
      new BatchLimit("largest batch", BatchLayout.LOG_OVERHEAD + (long) Integer.MAX_VALUE);

  private final StagingArea staging;
  private final StagedBatchAppender appender;
  private final String source;
  private StagedFile current;

  /**
   * @param source names the partition in errors, e.g. {@code "follower orders-3"}
   */
  public ChunkAssembler(StagingArea staging, StagedBatchAppender appender, String source) {
    this.staging = staging;
    this.appender = appender;
    this.source = source;
  }

  /**
   * The durable part of the oversized batch at {@code logEndOffset} held in the staging area, or
   * {@link Frame.StagedPosition#NONE}: what a (re)started transfer asks the leader to resume from.
   */
  public Frame.StagedPosition stagedPosition(long logEndOffset) throws IOException {
    if (current != null && current.resumeKey().orElseThrow().baseOffset() == logEndOffset) {
      ResumeKey k = current.resumeKey().get();
      return new Frame.StagedPosition(k.baseOffset(), k.totalLength(), k.crc(), current.position());
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(staging.dir(), "batch-*.part")) {
      for (Path f : files) {
        Matcher m = RESUMABLE.matcher(f.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) == logEndOffset) {
          ResumeKey key =
              new ResumeKey(
                  logEndOffset, Long.parseLong(m.group(2)), (int) Long.parseLong(m.group(3), 16));
          return new Frame.StagedPosition(
              key.baseOffset(), key.totalLength(), key.crc(), staging.stagedLength(key));
        }
      }
    }
    return Frame.StagedPosition.NONE;
  }

  /** Bytes of the batch being assembled that are durably staged (0 if none). */
  public long stagedBytes() {
    return current == null ? 0 : current.position();
  }

  /**
   * Stages {@code chunk}; on the last chunk verifies and appends the batch.
   *
   * @throws CorruptTransferException for a gap or a batch failing its checks (staged bytes are then
   *     deleted)
   */
  public Outcome accept(Frame.Chunk chunk) throws IOException {
    ResumeKey key = new ResumeKey(chunk.baseOffset(), chunk.totalLength(), chunk.batchCrc());
    if (current == null || !current.resumeKey().orElseThrow().equals(key)) {
      closeCurrent();
      current = staging.resume(key); // deletes staged bytes of any other batch
    }
    long staged = current.position();
    if (chunk.bytePosition() > staged) {
      String detail =
          "chunk at byte position "
              + chunk.bytePosition()
              + " but only "
              + staged
              + " bytes staged";
      discard();
      throw corrupt(chunk, detail);
    }
    long skip = staged - chunk.bytePosition();
    long written = 0;
    if (skip < chunk.payloadLength()) {
      for (ByteBuffer b : chunk.payload().drop((int) skip).getByteBuffers()) {
        written += b.remaining();
        current.write(b);
      }
    }
    long skipped = chunk.payloadLength() - written;
    if (!chunk.last()) {
      return new Outcome(current.position(), written, skipped, false);
    }
    verify(chunk);
    StagedFile done = current;
    current = null;
    appender.append(done);
    return new Outcome(chunk.totalLength(), written, skipped, true);
  }

  private void verify(Frame.Chunk chunk) throws IOException {
    if (current.position() != chunk.totalLength()) {
      String detail =
          "last chunk leaves "
              + current.position()
              + " bytes staged, batch total length "
              + chunk.totalLength();
      discard();
      throw corrupt(chunk, detail);
    }
    try {
      ByteBuffer head = current.read(0, BatchLayout.HEADER_BYTES);
      BatchHeader h = BatchHeader.parse(head, LARGEST_BATCH, source, 0);
      if (h.baseOffset() != chunk.baseOffset() || h.totalSize() != chunk.totalLength()) {
        throw corrupt(
            chunk,
            "staged batch header says base offset "
                + h.baseOffset()
                + " size "
                + h.totalSize()
                + ", chunks said "
                + chunk.baseOffset()
                + " size "
                + chunk.totalLength());
      }
      int headCrc = BatchHeadCrc.of(head.rewind());
      if (headCrc != chunk.batchCrc()) {
        throw corrupt(
            chunk,
            String.format(
                "CRC32C of the staged batch's first %d bytes 0x%08x, chunks announced 0x%08x",
                BatchHeadCrc.BYTES, headCrc, chunk.batchCrc()));
      }
      int covered = current.coveredCrc();
      if (covered != h.crc()) {
        throw corrupt(
            chunk,
            String.format(
                "CRC32C of the staged batch's bytes %d..%d 0x%08x, its header stores 0x%08x",
                BatchLayout.ATTRIBUTES_OFFSET, chunk.totalLength(), covered, h.crc()));
      }
    } catch (CorruptRecordException | CorruptTransferException e) {
      discard();
      throw e instanceof CorruptTransferException c ? c : corrupt(chunk, e.getMessage());
    }
  }

  private CorruptTransferException corrupt(Frame.Chunk chunk, String detail) {
    return new CorruptTransferException(
        source
            + " batch offset "
            + chunk.baseOffset()
            + " (total length "
            + chunk.totalLength()
            + "): "
            + detail);
  }

  /** Deletes the staged bytes of the batch in progress. */
  public void discard() throws IOException {
    if (current != null) {
      StagedFile f = current;
      current = null;
      f.abort();
    }
  }

  private void closeCurrent() throws IOException {
    if (current != null) {
      StagedFile f = current;
      current = null;
      f.close();
    }
  }

  /** Releases the file; its bytes stay staged for a later transfer to resume. */
  @Override
  public void close() throws IOException {
    closeCurrent();
  }
}
