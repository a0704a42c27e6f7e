package dev.sluice.replication.protocol;

import static org.junit.jupiter.api.Assertions.*;

import dev.sluice.config.ReplicationSettings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
  private static final long LIMIT = 1024;
  private static final PartitionId P = new PartitionId("orders", 3);
  private static final String TOPIC_ID = "0b6a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b";

  static List<Frame> samples() {
    byte[] payload = new byte[200];
    new Random(1).nextBytes(payload);
    return List.of(
        new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE),
        new Frame.Hello(7, P, 42, 3, 4, new Frame.StagedPosition(42, 5000, 0xCAFEBABE, 2048)),
        new Frame.Hello(
            7, P, 42, 3, 4, Frame.StagedPosition.NONE, 256 * 1024, Frame.Hello.NO_TOPIC_ID),
        new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE, 0, TOPIC_ID),
        new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE, 0, "x".repeat(64)),
        new Frame.Progress(43, 0),
        new Frame.Batches(10, 19, ByteString.fromArray(payload)),
        new Frame.Chunk(20, 4000, 0x12345678, 1024, false, ByteString.fromArray(payload)),
        new Frame.Chunk(20, 1224, -1, 1024, true, ByteString.fromArray(payload)),
        new Frame.LeaderStatus(4, 100, 90),
        new Frame.Diverged(4, 80, 12),
        new Frame.Diverged(-1, 12, 12),
        new Frame.Rejected(RejectReason.NOT_LEADER, "node 2 leads orders-3 at epoch 5"));
  }

  @Test
  void everyHeaderFitsTheConfiguredFrameHeaderBound() {
    for (FrameType t : FrameType.values()) {
      assertTrue(
          FrameCodec.headerLength(t) <= ReplicationSettings.FRAME_HEADER_BYTES,
          t + " header " + FrameCodec.headerLength(t));
    }
    assertEquals(62, FrameCodec.HELLO_HEADER_BYTES);
    assertEquals(FrameCodec.HELLO_HEADER_BYTES, FrameCodec.MAX_HEADER_BYTES);
    assertEquals(34, FrameCodec.CHUNK_HEADER_BYTES);
  }

  @Test
  void everyFrameTypeRoundTrips() {
    for (Frame f : samples()) {
      ByteString bytes = FrameCodec.encode(f);
      assertEquals(FrameCodec.headerLength(f.type()) + f.payloadLength(), bytes.size());
      FrameDecoder d = new FrameDecoder("test", LIMIT);
      d.feed(bytes);
      assertEquals(f, d.next());
      assertNull(d.next());
      assertEquals(0, d.buffered());
    }
  }

  @Test
  void framesSplitAtEveryByteDecodeTheSame() {
    ByteString all = ByteString.emptyByteString();
    for (Frame f : samples()) {
      all = all.concat(FrameCodec.encode(f));
    }
    FrameDecoder d = new FrameDecoder("test", LIMIT);
    List<Frame> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      d.feed(all.slice(i, i + 1));
      Frame f;
      while ((f = d.next()) != null) {
        out.add(f);
      }
    }
    assertEquals(samples(), out);
  }

  @Test
  void payloadAtTheLimitIsAcceptedAndOneAboveIsCorrupt() {
    ByteString atLimit = ByteString.fromArray(new byte[(int) LIMIT]);
    FrameDecoder ok = new FrameDecoder("test", LIMIT);
    ok.feed(FrameCodec.encode(new Frame.Batches(0, 0, atLimit)));
    assertNotNull(ok.next());

    ByteString above = ByteString.fromArray(new byte[(int) LIMIT + 1]);
    FrameDecoder bad = new FrameDecoder("replication orders-3 from 10.0.0.2:7100", LIMIT);
    // Only the header is fed: the decoder must refuse without waiting for the payload.
    bad.feed(
        FrameCodec.encode(new Frame.Batches(5, 5, above)).take(FrameCodec.BATCHES_HEADER_BYTES));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, bad::next);
    assertTrue(e.getMessage().contains("orders-3"), e.getMessage());
    assertTrue(e.getMessage().contains("1025"), e.getMessage());
    assertTrue(e.getMessage().contains("peer-max-bytes 1024"), e.getMessage());
  }

  @Test
  void unknownTypeIsCorrupt() {
    FrameDecoder d = new FrameDecoder("replication orders-3", LIMIT);
    d.feed(ByteString.fromArray(new byte[] {0, 0, 0, 1, 99}));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next);
    assertTrue(e.getMessage().contains("unknown frame type 99"), e.getMessage());
  }

  @Test
  void negativeFrameLengthIsCorruptAsSoonAsItsFourBytesArrive() {
    FrameDecoder d = new FrameDecoder("replication orders-3", LIMIT);
    d.feed(ByteString.fromArray(new byte[] {-1, -1, -1, -2}));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next);
    assertTrue(e.getMessage().contains("frame length -2"), e.getMessage());
  }

  @Test
  void frameLengthShorterThanItsHeaderIsCorrupt() {
    ByteString ok = FrameCodec.encode(new Frame.LeaderStatus(1, 10, 5));
    byte[] b = ok.toArray();
    b[3] = 3; // frame length 3: type byte + 2 bytes, but the status header needs 20
    FrameDecoder d = new FrameDecoder("replication orders-3", LIMIT);
    d.feed(ByteString.fromArray(b));
    assertThrows(CorruptFrameException.class, d::next);
  }

  @Test
  void inconsistentChunkHeadersAreCorruptAndNameTheOffset() {
    ByteString p = ByteString.fromArray(new byte[100]);
    List<Frame.Chunk> bad =
        List.of(
            new Frame.Chunk(77, 150, 0, 100, false, p), // ends past total length
            new Frame.Chunk(77, 1000, 0, 100, true, p), // flagged last but ends early
            new Frame.Chunk(77, 200, 0, 100, false, p), // ends the batch, not flagged last
            new Frame.Chunk(77, 1000, 0, -5, false, p), // negative position
            new Frame.Chunk(77, 10, 0, 0, false, p)); // total below a batch header
    for (Frame.Chunk c : bad) {
      FrameDecoder d = new FrameDecoder("replication orders-3", LIMIT);
      d.feed(FrameCodec.encode(c).take(FrameCodec.CHUNK_HEADER_BYTES));
      CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next, c.toString());
      assertTrue(e.getMessage().contains("offset 77"), e.getMessage());
    }
  }

  @Test
  void helloCarriesTheFollowersFrameLimitAndTheLeaderNeverExceedsItsOwn() {
    Frame.Hello asks =
        new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE, 300, Frame.Hello.NO_TOPIC_ID);
    FrameDecoder d = new FrameDecoder("test", LIMIT);
    d.feed(FrameCodec.encode(asks));
    Frame.Hello decoded = (Frame.Hello) d.next();
    assertEquals(300, decoded.maxFrameBytes());
    assertEquals(300, decoded.frameLimit(LIMIT));
    assertEquals(
        LIMIT,
        new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE, 5000, Frame.Hello.NO_TOPIC_ID)
            .frameLimit(LIMIT),
        "a follower cannot ask for frames above the leader's limit");
    assertEquals(
        LIMIT,
        new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE).frameLimit(LIMIT),
        "0 leaves the limit to the leader");
  }

  @Test
  void negativeMaxFrameBytesInAHelloIsCorrupt() {
    byte[] b =
        FrameCodec.encode(new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE)).toArray();
    java.nio.ByteBuffer.wrap(b).putInt(FrameCodec.HELLO_MAX_FRAME_BYTES_OFFSET, -1);
    FrameDecoder d = new FrameDecoder("replication orders-3", LIMIT);
    d.feed(ByteString.fromArray(b));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next);
    assertTrue(e.getMessage().contains("max frame bytes -1"), e.getMessage());
  }

  @Test
  void helloCarriesTheTopicIdBeforeTheTopicName() {
    Frame.Hello hello = new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE, 0, TOPIC_ID);
    ByteString bytes = FrameCodec.encode(hello);
    assertEquals(36, bytes.apply(FrameCodec.HELLO_TOPIC_ID_LENGTH_OFFSET));
    assertEquals(
        TOPIC_ID + "orders",
        bytes.drop(FrameCodec.HELLO_HEADER_BYTES).decodeString(StandardCharsets.UTF_8));
    FrameDecoder d = new FrameDecoder("test", LIMIT);
    d.feed(bytes);
    Frame.Hello decoded = (Frame.Hello) d.next();
    assertEquals(TOPIC_ID, decoded.topicId());
    assertEquals(P, decoded.partition());
    assertTrue(decoded.hasTopicId());

    Frame.Hello none = new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE);
    assertEquals(0, FrameCodec.encode(none).apply(FrameCodec.HELLO_TOPIC_ID_LENGTH_OFFSET));
    assertFalse(none.hasTopicId());
  }

  @Test
  void aTopicIdAboveItsLimitIsRefusedWhenBuiltAndCorruptWhenReceived() {
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE, 0, "x".repeat(65)));
    assertTrue(
        tooLong.getMessage().contains("65 bytes exceeds the maximum 64"), tooLong.getMessage());

    byte[] b =
        FrameCodec.encode(new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE)).toArray();
    b[FrameCodec.HELLO_TOPIC_ID_LENGTH_OFFSET] = (byte) 65;
    FrameDecoder d = new FrameDecoder("peer 10.0.0.2", LIMIT);
    d.feed(ByteString.fromArray(b));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next);
    assertTrue(
        e.getMessage().contains("topic id length 65 exceeds the maximum 64"), e.getMessage());
  }

  @Test
  void aTopicIdThatLeavesNoTopicNameIsCorrupt() {
    byte[] b =
        FrameCodec.encode(new Frame.Hello(7, P, 42, 3, 4, Frame.StagedPosition.NONE)).toArray();
    b[FrameCodec.HELLO_TOPIC_ID_LENGTH_OFFSET] = (byte) "orders".length();
    FrameDecoder d = new FrameDecoder("peer 10.0.0.2", LIMIT);
    d.feed(ByteString.fromArray(b));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next);
    assertTrue(e.getMessage().contains("handshake without a topic name"), e.getMessage());
  }

  @Test
  void aHelloPayloadAboveTopicPlusTopicIdLimitsIsCorrupt() {
    assertEquals(
        PartitionId.MAX_TOPIC_BYTES + Frame.Hello.MAX_TOPIC_ID_BYTES,
        FrameCodec.maxPayload(FrameType.HELLO, LIMIT));
    ByteBuffer h = ByteBuffer.allocate(FrameCodec.HELLO_HEADER_BYTES);
    int payload = PartitionId.MAX_TOPIC_BYTES + Frame.Hello.MAX_TOPIC_ID_BYTES + 1;
    h.putInt(
        FrameCodec.FRAME_LENGTH_OFFSET,
        FrameCodec.HELLO_HEADER_BYTES - FrameCodec.TYPE_OFFSET + payload);
    h.put(FrameCodec.TYPE_OFFSET, FrameType.HELLO.code());
    FrameDecoder d = new FrameDecoder("peer 10.0.0.2", LIMIT);
    d.feed(ByteString.fromArray(h.array()));
    CorruptFrameException e = assertThrows(CorruptFrameException.class, d::next);
    assertTrue(
        e.getMessage()
            .contains("HELLO payload length 314 exceeds max topic bytes + max topic id bytes 313"),
        e.getMessage());
  }

  @Test
  void highWatermarkAboveLogEndIsCorrupt() {
    FrameDecoder d = new FrameDecoder("t", LIMIT);
    d.feed(FrameCodec.encode(new Frame.LeaderStatus(1, 10, 11)));
    assertThrows(CorruptFrameException.class, d::next);
  }
}
