package dev.sluice.replication.protocol;

import dev.sluice.config.ReplicationSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * The byte layout of replication frames, and their encoding. All integers are big-endian.
 *
 * <pre>
 * Every frame:
 *   frameLength  int32   bytes after this field: type + fixed header + payload
 *   type         int8    {@link FrameType} code
 *   fixed header (per type, below)
 *   payload      bytes   frameLength - 1 - fixed header; at most {@link #maxPayload}
 *
 * HELLO (follower to leader, 62-byte header):
 *   replicaId int32 | partition int32 | logEndOffset int64 | lastLeaderEpoch int32
 *   | currentLeaderEpoch int32 | stagedBaseOffset int64 (-1 = none) | stagedTotalLength int64
 *   | stagedBatchCrc int32 | stagedBytes int64
 *   | maxFrameBytes int32 (largest payload the follower wants; 0 = the leader's peer-max-bytes)
 *   | topicIdLength uint8 (0 = the follower's log names no topic id; at most 64)
 *   ; payload = topic id, UTF-8, topicIdLength bytes, then topic, UTF-8, 1..249 bytes
 * PROGRESS (follower to leader, 21): logEndOffset int64 | stagedBytes int64
 * BATCHES (21): baseOffset int64 | lastOffset int64 ; payload = whole batches, 68..peerMaxBytes
 * CHUNK (34): baseOffset int64 | totalLength int64 | batchCrc int32 (CRC32C of the batch's first
 *   21 bytes, up to and including its stored CRC)
 *   | bytePosition int64 | last int8 (0/1) ; payload = batch bytes, 1..peerMaxBytes
 * LEADER_STATUS (25): leaderEpoch int32 | logEndOffset int64 | highWatermark int64
 * DIVERGED (25): epoch int32 (-1 = none) | endOffset int64 | logStartOffset int64
 * REJECTED (6): reason int8 ; payload = message, UTF-8, at most 1024 bytes
 * </pre>
 *
 * <p>Header lengths above count from the start of the frame (length and type included); every one
 * stays within {@link ReplicationSettings#FRAME_HEADER_BYTES}, so a frame is never larger than
 * peer-max-bytes plus that constant, which is what the settings validator checks buffers against.
 * Stateless; thread-safe.
 */
public final class FrameCodec {
  public static final int FRAME_LENGTH_OFFSET = 0;
  public static final int FRAME_LENGTH_LENGTH = 4;
  public static final int TYPE_OFFSET = FRAME_LENGTH_OFFSET + FRAME_LENGTH_LENGTH;
  public static final int TYPE_LENGTH = 1;

  /** Where every type's fixed header begins. */
  public static final int BODY_OFFSET = TYPE_OFFSET + TYPE_LENGTH;

  // HELLO
  public static final int HELLO_REPLICA_ID_OFFSET = BODY_OFFSET;
  public static final int HELLO_PARTITION_OFFSET = HELLO_REPLICA_ID_OFFSET + 4;
  public static final int HELLO_LOG_END_OFFSET_OFFSET = HELLO_PARTITION_OFFSET + 4;
  public static final int HELLO_LAST_EPOCH_OFFSET = HELLO_LOG_END_OFFSET_OFFSET + 8;
  public static final int HELLO_CURRENT_EPOCH_OFFSET = HELLO_LAST_EPOCH_OFFSET + 4;
  public static final int HELLO_STAGED_BASE_OFFSET_OFFSET = HELLO_CURRENT_EPOCH_OFFSET + 4;
  public static final int HELLO_STAGED_TOTAL_LENGTH_OFFSET = HELLO_STAGED_BASE_OFFSET_OFFSET + 8;
  public static final int HELLO_STAGED_CRC_OFFSET = HELLO_STAGED_TOTAL_LENGTH_OFFSET + 8;
  public static final int HELLO_STAGED_BYTES_OFFSET = HELLO_STAGED_CRC_OFFSET + 4;
  public static final int HELLO_MAX_FRAME_BYTES_OFFSET = HELLO_STAGED_BYTES_OFFSET + 8;
  public static final int HELLO_TOPIC_ID_LENGTH_OFFSET = HELLO_MAX_FRAME_BYTES_OFFSET + 4;
  public static final int HELLO_HEADER_BYTES = HELLO_TOPIC_ID_LENGTH_OFFSET + 1;

  // PROGRESS
  public static final int PROGRESS_LOG_END_OFFSET_OFFSET = BODY_OFFSET;
  public static final int PROGRESS_STAGED_BYTES_OFFSET = PROGRESS_LOG_END_OFFSET_OFFSET + 8;
  public static final int PROGRESS_HEADER_BYTES = PROGRESS_STAGED_BYTES_OFFSET + 8;

  // BATCHES
  public static final int BATCHES_BASE_OFFSET_OFFSET = BODY_OFFSET;
  public static final int BATCHES_LAST_OFFSET_OFFSET = BATCHES_BASE_OFFSET_OFFSET + 8;
  public static final int BATCHES_HEADER_BYTES = BATCHES_LAST_OFFSET_OFFSET + 8;

  // CHUNK
  public static final int CHUNK_BASE_OFFSET_OFFSET = BODY_OFFSET;
  public static final int CHUNK_TOTAL_LENGTH_OFFSET = CHUNK_BASE_OFFSET_OFFSET + 8;
  public static final int CHUNK_BATCH_CRC_OFFSET = CHUNK_TOTAL_LENGTH_OFFSET + 8;
  public static final int CHUNK_POSITION_OFFSET = CHUNK_BATCH_CRC_OFFSET + 4;
  public static final int CHUNK_LAST_OFFSET = CHUNK_POSITION_OFFSET + 8;
  public static final int CHUNK_HEADER_BYTES = CHUNK_LAST_OFFSET + 1;

  // LEADER_STATUS
  public static final int STATUS_LEADER_EPOCH_OFFSET = BODY_OFFSET;
  public static final int STATUS_LOG_END_OFFSET_OFFSET = STATUS_LEADER_EPOCH_OFFSET + 4;
  public static final int STATUS_HIGH_WATERMARK_OFFSET = STATUS_LOG_END_OFFSET_OFFSET + 8;
  public static final int STATUS_HEADER_BYTES = STATUS_HIGH_WATERMARK_OFFSET + 8;

  // DIVERGED
  public static final int DIVERGED_EPOCH_OFFSET = BODY_OFFSET;
  public static final int DIVERGED_END_OFFSET_OFFSET = DIVERGED_EPOCH_OFFSET + 4;
  public static final int DIVERGED_LOG_START_OFFSET_OFFSET = DIVERGED_END_OFFSET_OFFSET + 8;
  public static final int DIVERGED_HEADER_BYTES = DIVERGED_LOG_START_OFFSET_OFFSET + 8;

  // REJECTED
  public static final int REJECTED_REASON_OFFSET = BODY_OFFSET;
  public static final int REJECTED_HEADER_BYTES = REJECTED_REASON_OFFSET + 1;

  /** Longest message of a Rejected frame. */
  public static final int MAX_REJECT_MESSAGE_BYTES = 1024;

  /** The largest fixed header of any type. */
  public static final int MAX_HEADER_BYTES = HELLO_HEADER_BYTES;

  static {
    if (MAX_HEADER_BYTES > ReplicationSettings.FRAME_HEADER_BYTES) {
      throw new ExceptionInInitializerError(
          "frame header of "
              + MAX_HEADER_BYTES
              + " bytes exceeds FRAME_HEADER_BYTES "
              + ReplicationSettings.FRAME_HEADER_BYTES);
    }
  }

  private FrameCodec() {}

  /** Fixed header length of {@code type}, counted from the start of the frame. */
  public static int headerLength(FrameType type) {
    return switch (type) {
      case HELLO -> HELLO_HEADER_BYTES;
      case PROGRESS -> PROGRESS_HEADER_BYTES;
      case BATCHES -> BATCHES_HEADER_BYTES;
      case CHUNK -> CHUNK_HEADER_BYTES;
      case LEADER_STATUS -> STATUS_HEADER_BYTES;
      case DIVERGED -> DIVERGED_HEADER_BYTES;
      case REJECTED -> REJECTED_HEADER_BYTES;
    };
  }

  /** The largest payload a frame of {@code type} may carry. */
  public static long maxPayload(FrameType type, long peerMaxBytes) {
    return switch (type) {
      case BATCHES, CHUNK -> peerMaxBytes;
      case HELLO -> PartitionId.MAX_TOPIC_BYTES + Frame.Hello.MAX_TOPIC_ID_BYTES;
      case REJECTED -> MAX_REJECT_MESSAGE_BYTES;
      default -> 0;
    };
  }

  /** Name of the limit {@link #maxPayload} applies, for error messages. */
  static String maxPayloadName(FrameType type) {
    return switch (type) {
      case BATCHES, CHUNK -> "peer-max-bytes";
      case HELLO -> "max topic bytes + max topic id bytes";
      case REJECTED -> "max reject message bytes";
      default -> "payload-free frame limit";
    };
  }

  /**
   * Encodes {@code frame}. The payload is not copied: the result is the header followed by the
   * payload's own bytes.
   */
  public static ByteString encode(Frame frame) {
    ByteString payload = payloadOf(frame);
    int headerLength = headerLength(frame.type());
    ByteBuffer h = ByteBuffer.allocate(headerLength);
    h.putInt(FRAME_LENGTH_OFFSET, headerLength - TYPE_OFFSET + payload.size());
    h.put(TYPE_OFFSET, frame.type().code());
    if (frame instanceof Frame.Hello f) {
      h.putInt(HELLO_REPLICA_ID_OFFSET, f.replicaId());
      h.putInt(HELLO_PARTITION_OFFSET, f.partition().partition());
      h.putLong(HELLO_LOG_END_OFFSET_OFFSET, f.logEndOffset());
      h.putInt(HELLO_LAST_EPOCH_OFFSET, f.lastLeaderEpoch());
      h.putInt(HELLO_CURRENT_EPOCH_OFFSET, f.currentLeaderEpoch());
      h.putLong(HELLO_STAGED_BASE_OFFSET_OFFSET, f.staged().baseOffset());
      h.putLong(HELLO_STAGED_TOTAL_LENGTH_OFFSET, f.staged().totalLength());
      h.putInt(HELLO_STAGED_CRC_OFFSET, f.staged().batchCrc());
      h.putLong(HELLO_STAGED_BYTES_OFFSET, f.staged().stagedBytes());
      h.putInt(HELLO_MAX_FRAME_BYTES_OFFSET, f.maxFrameBytes());
      h.put(HELLO_TOPIC_ID_LENGTH_OFFSET, (byte) utf8(f.topicId()).length);
    } else if (frame instanceof Frame.Progress f) {
      h.putLong(PROGRESS_LOG_END_OFFSET_OFFSET, f.logEndOffset());
      h.putLong(PROGRESS_STAGED_BYTES_OFFSET, f.stagedBytes());
    } else if (frame instanceof Frame.Batches f) {
      h.putLong(BATCHES_BASE_OFFSET_OFFSET, f.baseOffset());
      h.putLong(BATCHES_LAST_OFFSET_OFFSET, f.lastOffset());
    } else if (frame instanceof Frame.Chunk f) {
      h.putLong(CHUNK_BASE_OFFSET_OFFSET, f.baseOffset());
      h.putLong(CHUNK_TOTAL_LENGTH_OFFSET, f.totalLength());
      h.putInt(CHUNK_BATCH_CRC_OFFSET, f.batchCrc());
      h.putLong(CHUNK_POSITION_OFFSET, f.bytePosition());
      h.put(CHUNK_LAST_OFFSET, (byte) (f.last() ? 1 : 0));
    } else if (frame instanceof Frame.LeaderStatus f) {
      h.putInt(STATUS_LEADER_EPOCH_OFFSET, f.leaderEpoch());
      h.putLong(STATUS_LOG_END_OFFSET_OFFSET, f.logEndOffset());
      h.putLong(STATUS_HIGH_WATERMARK_OFFSET, f.highWatermark());
    } else if (frame instanceof Frame.Diverged f) {
      h.putInt(DIVERGED_EPOCH_OFFSET, f.epoch());
      h.putLong(DIVERGED_END_OFFSET_OFFSET, f.endOffset());
      h.putLong(DIVERGED_LOG_START_OFFSET_OFFSET, f.logStartOffset());
    } else if (frame instanceof Frame.Rejected f) {
      h.put(REJECTED_REASON_OFFSET, f.reason().code());
    }
    return ByteString.fromArrayUnsafe(h.array()).concat(payload);
  }

  private static ByteString payloadOf(Frame frame) {
    if (frame instanceof Frame.Hello f) {
      return ByteString.fromArrayUnsafe(utf8(f.topicId()))
          .concat(ByteString.fromArrayUnsafe(utf8(f.partition().topic())));
    } else if (frame instanceof Frame.Batches f) {
      return f.payload();
    } else if (frame instanceof Frame.Chunk f) {
      return f.payload();
    } else if (frame instanceof Frame.Rejected f) {
      byte[] m = utf8(f.message());
      return ByteString.fromArray(m, 0, Math.min(m.length, MAX_REJECT_MESSAGE_BYTES));
    }
    return ByteString.emptyByteString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
