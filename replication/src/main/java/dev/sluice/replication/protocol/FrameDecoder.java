package dev.sluice.replication.protocol;

import static dev.sluice.replication.protocol.FrameCodec.*;

import dev.sluice.format.BatchLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * Incremental parser of the frames of one connection (layout in {@link FrameCodec}). Bytes are
 * {@link #feed fed} as they arrive; {@link #next()} returns the next whole frame or null while its
 * bytes have not all arrived, which is the normal case, never an error. A header that cannot be
 * valid (unknown type, impossible length, payload above its limit, chunk positions that contradict
 * each other) throws {@link CorruptFrameException} as soon as its bytes are present, so the decoder
 * never waits for a frame that cannot exist.
 *
 * <p>Invariant: the buffer holds at most one incomplete frame plus the bytes fed since, so as long
 * as the caller stops feeding while {@link #next()} returns frames (the stage does), memory stays
 * O(peer-max-bytes). Not thread-safe: one instance per connection, used by one stage.
 */
public final class FrameDecoder {
  private final String source;
  private final long peerMaxBytes;
  private ByteString buffer = ByteString.emptyByteString();

  /** Stream position of the first byte of {@link #buffer}, for error messages. */
  private long bufferPosition;

  /**
   * @param source names the connection in errors, e.g. {@code "replication orders-3 from
   *     10.0.0.2:7100"}
   * @param peerMaxBytes the largest batch or chunk payload accepted
   */
  public FrameDecoder(String source, long peerMaxBytes) {
    this.source = source;
    this.peerMaxBytes = peerMaxBytes;
  }

  public void feed(ByteString bytes) {
    buffer = buffer.concat(bytes);
  }

  /** Bytes buffered and not yet returned as frames. */
  public int buffered() {
    return buffer.size();
  }

  /** The next whole frame, or null if more bytes are needed. */
  public Frame next() {
    if (buffer.size() < BODY_OFFSET) {
      checkFrameLengthIfPresent();
      return null;
    }
    int frameLength = buffer.slice(0, FRAME_LENGTH_LENGTH).asByteBuffer().getInt();
    byte code = buffer.apply(TYPE_OFFSET);
    FrameType type = FrameType.ofCode(code);
    if (type == null) {
      throw corrupt(
          -1, "unknown frame type " + code + " (known 1.." + FrameType.values().length + ")");
    }
    int headerLength = headerLength(type);
    long payloadLength = (long) frameLength - (headerLength - TYPE_OFFSET);
    if (payloadLength < 0) {
      throw corrupt(
          -1,
          type
              + " frame length "
              + frameLength
              + " is below its header length "
              + (headerLength - TYPE_OFFSET));
    }
    long maxPayload = maxPayload(type, peerMaxBytes);
    if (payloadLength > maxPayload) {
      throw corrupt(
          -1,
          type
              + " payload length "
              + payloadLength
              + " exceeds "
              + maxPayloadName(type)
              + " "
              + maxPayload);
    }
    if (buffer.size() < headerLength) {
      return null;
    }
    ByteBuffer h = ByteBuffer.wrap(buffer.slice(0, headerLength).toArray());
    int total = headerLength + (int) payloadLength;
    // Checked before the payload arrives: a bad header must not make us wait for its payload.
    validateHeader(type, h, (int) payloadLength);
    if (buffer.size() < total) {
      return null;
    }
    ByteString payload = buffer.slice(headerLength, total);
    buffer = buffer.drop(total);
    bufferPosition += total;
    return build(type, h, payload);
  }

  private void checkFrameLengthIfPresent() {
    if (buffer.size() >= FRAME_LENGTH_LENGTH) {
      int frameLength = buffer.slice(0, FRAME_LENGTH_LENGTH).asByteBuffer().getInt();
      if (frameLength < TYPE_LENGTH) {
        throw corrupt(-1, "frame length " + frameLength + " is below the minimum " + TYPE_LENGTH);
      }
    }
  }

  private void validateHeader(FrameType type, ByteBuffer h, int payloadLength) {
    switch (type) {
      case HELLO -> {
        nonNegative(h.getInt(HELLO_PARTITION_OFFSET), "partition", -1);
        long leo = nonNegative(h.getLong(HELLO_LOG_END_OFFSET_OFFSET), "log end offset", -1);
        int idLength = Byte.toUnsignedInt(h.get(HELLO_TOPIC_ID_LENGTH_OFFSET));
        if (idLength > Frame.Hello.MAX_TOPIC_ID_BYTES) {
          throw corrupt(
              leo,
              "topic id length "
                  + idLength
                  + " exceeds the maximum "
                  + Frame.Hello.MAX_TOPIC_ID_BYTES);
        }
        if (payloadLength - idLength < 1) {
          throw corrupt(
              leo,
              "handshake without a topic name (payload "
                  + payloadLength
                  + " bytes, topic id "
                  + idLength
                  + " of them)");
        }
        long stagedBase = h.getLong(HELLO_STAGED_BASE_OFFSET_OFFSET);
        long stagedTotal = h.getLong(HELLO_STAGED_TOTAL_LENGTH_OFFSET);
        long stagedBytes = h.getLong(HELLO_STAGED_BYTES_OFFSET);
        if (stagedBase >= 0 && (stagedBytes < 0 || stagedBytes > stagedTotal)) {
          throw corrupt(
              stagedBase,
              "staged bytes " + stagedBytes + " outside 0..staged total length " + stagedTotal);
        }
        nonNegative(h.getInt(HELLO_MAX_FRAME_BYTES_OFFSET), "max frame bytes", leo);
      }
      case PROGRESS -> {
        nonNegative(h.getLong(PROGRESS_LOG_END_OFFSET_OFFSET), "log end offset", -1);
        nonNegative(h.getLong(PROGRESS_STAGED_BYTES_OFFSET), "staged bytes", -1);
      }
      case BATCHES -> {
        long base = nonNegative(h.getLong(BATCHES_BASE_OFFSET_OFFSET), "base offset", -1);
        long last = h.getLong(BATCHES_LAST_OFFSET_OFFSET);
        if (last < base) {
          throw corrupt(base, "last offset " + last + " is below the base offset " + base);
        }
        if (payloadLength < BatchLayout.HEADER_BYTES) {
          throw corrupt(
              base,
              "batches payload length "
                  + payloadLength
                  + " is below one batch header "
                  + BatchLayout.HEADER_BYTES);
        }
      }
      case CHUNK -> validateChunk(h, payloadLength);
      case LEADER_STATUS -> {
        long leo = nonNegative(h.getLong(STATUS_LOG_END_OFFSET_OFFSET), "log end offset", -1);
        long hw = nonNegative(h.getLong(STATUS_HIGH_WATERMARK_OFFSET), "high watermark", -1);
        if (hw > leo) {
          throw corrupt(hw, "high watermark " + hw + " is above the log end offset " + leo);
        }
      }
      case DIVERGED -> {
        if (h.getInt(DIVERGED_EPOCH_OFFSET) < -1) {
          throw corrupt(-1, "diverged epoch " + h.getInt(DIVERGED_EPOCH_OFFSET) + " is below -1");
        }
        nonNegative(h.getLong(DIVERGED_END_OFFSET_OFFSET), "diverged end offset", -1);
        nonNegative(h.getLong(DIVERGED_LOG_START_OFFSET_OFFSET), "leader log start offset", -1);
      }
      case REJECTED -> {
        byte reason = h.get(REJECTED_REASON_OFFSET);
        if (RejectReason.ofCode(reason) == null) {
          throw corrupt(-1, "unknown reject reason " + reason);
        }
      }
    }
  }

  private void validateChunk(ByteBuffer h, int payloadLength) {
    long base = nonNegative(h.getLong(CHUNK_BASE_OFFSET_OFFSET), "chunk base offset", -1);
    long total = h.getLong(CHUNK_TOTAL_LENGTH_OFFSET);
    long maxTotal = BatchLayout.LOG_OVERHEAD + (long) Integer.MAX_VALUE;
    if (total < BatchLayout.HEADER_BYTES || total > maxTotal) {
      throw corrupt(
          base,
          "chunk total length "
              + total
              + " outside "
              + BatchLayout.HEADER_BYTES
              + ".."
              + maxTotal
              + " (largest batch)");
    }
    long position = h.getLong(CHUNK_POSITION_OFFSET);
    if (position < 0 || position >= total) {
      throw corrupt(base, "chunk position " + position + " outside 0..total length " + total);
    }
    if (payloadLength < 1) {
      throw corrupt(base, "empty chunk at position " + position);
    }
    long end = position + payloadLength;
    if (end > total) {
      throw corrupt(
          base,
          "chunk at position "
              + position
              + " with "
              + payloadLength
              + " bytes ends at "
              + end
              + ", past the total length "
              + total);
    }
    byte last = h.get(CHUNK_LAST_OFFSET);
    if (last != 0 && last != 1) {
      throw corrupt(base, "chunk last flag " + last + " is neither 0 nor 1");
    }
    if ((last == 1) != (end == total)) {
      throw corrupt(
          base,
          "chunk ending at "
              + end
              + " of total length "
              + total
              + (last == 1 ? " is flagged last" : " ends the batch but is not flagged last"));
    }
  }

  private Frame build(FrameType type, ByteBuffer h, ByteString payload) {
    return switch (type) {
      case HELLO -> {
        try {
          yield hello(h, payload);
        } catch (IllegalArgumentException e) {
          // A topic name or id that is no valid UTF-8 decodes to replacement characters, which
          // can push it past its limit.
          throw corrupt(h.getLong(HELLO_LOG_END_OFFSET_OFFSET), "handshake: " + e.getMessage());
        }
      }
      case PROGRESS ->
          new Frame.Progress(
              h.getLong(PROGRESS_LOG_END_OFFSET_OFFSET), h.getLong(PROGRESS_STAGED_BYTES_OFFSET));
      case BATCHES ->
          new Frame.Batches(
              h.getLong(BATCHES_BASE_OFFSET_OFFSET),
              h.getLong(BATCHES_LAST_OFFSET_OFFSET),
              payload);
      case CHUNK ->
          new Frame.Chunk(
              h.getLong(CHUNK_BASE_OFFSET_OFFSET),
              h.getLong(CHUNK_TOTAL_LENGTH_OFFSET),
              h.getInt(CHUNK_BATCH_CRC_OFFSET),
              h.getLong(CHUNK_POSITION_OFFSET),
              h.get(CHUNK_LAST_OFFSET) == 1,
              payload);
      case LEADER_STATUS ->
          new Frame.LeaderStatus(
              h.getInt(STATUS_LEADER_EPOCH_OFFSET),
              h.getLong(STATUS_LOG_END_OFFSET_OFFSET),
              h.getLong(STATUS_HIGH_WATERMARK_OFFSET));
      case DIVERGED ->
          new Frame.Diverged(
              h.getInt(DIVERGED_EPOCH_OFFSET),
              h.getLong(DIVERGED_END_OFFSET_OFFSET),
              h.getLong(DIVERGED_LOG_START_OFFSET_OFFSET));
      case REJECTED ->
          new Frame.Rejected(
              RejectReason.ofCode(h.get(REJECTED_REASON_OFFSET)),
              payload.decodeString(StandardCharsets.UTF_8));
    };
  }

  private static Frame.Hello hello(ByteBuffer h, ByteString payload) {
    int idLength = Byte.toUnsignedInt(h.get(HELLO_TOPIC_ID_LENGTH_OFFSET));
    return new Frame.Hello(
        h.getInt(HELLO_REPLICA_ID_OFFSET),
        new PartitionId(
            payload.drop(idLength).decodeString(StandardCharsets.UTF_8),
            h.getInt(HELLO_PARTITION_OFFSET)),
        h.getLong(HELLO_LOG_END_OFFSET_OFFSET),
        h.getInt(HELLO_LAST_EPOCH_OFFSET),
        h.getInt(HELLO_CURRENT_EPOCH_OFFSET),
        h.getLong(HELLO_STAGED_BASE_OFFSET_OFFSET) < 0
            ? Frame.StagedPosition.NONE
            : new Frame.StagedPosition(
                h.getLong(HELLO_STAGED_BASE_OFFSET_OFFSET),
                h.getLong(HELLO_STAGED_TOTAL_LENGTH_OFFSET),
                h.getInt(HELLO_STAGED_CRC_OFFSET),
                h.getLong(HELLO_STAGED_BYTES_OFFSET)),
        h.getInt(HELLO_MAX_FRAME_BYTES_OFFSET),
        payload.take(idLength).decodeString(StandardCharsets.UTF_8));
  }

  private long nonNegative(long value, String what, long offset) {
    if (value < 0) {
      throw corrupt(offset, "negative " + what + " " + value + " (minimum 0)");
    }
    return value;
  }

  private CorruptFrameException corrupt(long offset, String detail) {
    return CorruptFrameException.at(source, bufferPosition, offset, detail);
  }
}
