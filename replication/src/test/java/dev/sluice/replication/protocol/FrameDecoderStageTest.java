package dev.sluice.replication.protocol;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class FrameDecoderStageTest {
  static final ActorSystem system = ActorSystem.create("FrameDecoderStageTest");

  @AfterAll
  static void shutdown() {
    TestKit.shutdownActorSystem(system);
  }

  @Test
  void decodesFramesSplitAcrossElements() throws Exception {
    ByteString all = ByteString.emptyByteString();
    for (Frame f : FrameCodecTest.samples()) {
      all = all.concat(FrameCodec.encode(f));
    }
    List<ByteString> pieces = new java.util.ArrayList<>();
    for (int i = 0; i < all.size(); i += 7) {
      pieces.add(all.slice(i, Math.min(all.size(), i + 7)));
    }
    List<Frame> out =
        Source.from(pieces)
            .via(FrameDecoderStage.flow("test", 1024))
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    assertEquals(FrameCodecTest.samples(), out);
  }

  @Test
  void corruptHeaderFailsTheStream() {
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () ->
                Source.single(ByteString.fromArray(new byte[] {0, 0, 0, 5, 42, 0, 0, 0, 0}))
                    .via(FrameDecoderStage.flow("replication orders-3", 1024))
                    .runWith(Sink.seq(), system)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS));
    assertInstanceOf(CorruptFrameException.class, e.getCause());
  }

  @Test
  void connectionEndingInsideAFrameFailsTheStream() {
    ByteString frame = FrameCodec.encode(new Frame.Progress(1, 0));
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () ->
                Source.single(frame.take(frame.size() - 1))
                    .via(FrameDecoderStage.flow("t", 1024))
                    .runWith(Sink.seq(), system)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS));
    assertInstanceOf(CorruptFrameException.class, e.getCause());
  }

  @Test
  void doesNotPullWhileAWholeFrameWaitsForDemand() {
    // Back-pressure: with two frames in one element and no demand, nothing more is requested.
    ByteString two =
        FrameCodec.encode(new Frame.Progress(1, 0))
            .concat(FrameCodec.encode(new Frame.Progress(2, 0)));
    var pair =
        TestSource.<ByteString>probe(system)
            .via(FrameDecoderStage.flow("t", 1024))
            .toMat(TestSink.probe(system), org.apache.pekko.stream.javadsl.Keep.both())
            .run(system);
    TestPublisher.Probe<ByteString> pub = pair.first();
    TestSubscriber.Probe<Frame> sub = pair.second();
    sub.request(1);
    pub.expectRequest();
    pub.sendNext(two);
    assertEquals(new Frame.Progress(1, 0), sub.expectNext());
    sub.expectNoMessage(Duration.ofMillis(50));
    sub.request(1);
    assertEquals(new Frame.Progress(2, 0), sub.expectNext());
    pub.sendComplete();
    sub.request(1);
    sub.expectComplete();
  }
}
