package dev.sluice.replication.protocol;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Turns the bytes of a replication connection into {@link Frame}s with a {@link FrameDecoder}. It
 * pulls upstream only when no whole frame is buffered, so at most one incomplete frame plus one TCP
 * read is held: memory O(peer-max-bytes) whatever the sender does. A corrupt header fails the
 * stream with {@link CorruptFrameException}; upstream completing in the middle of a frame fails it
 * with a {@link CorruptFrameException} naming the bytes left over.
 */
public final class FrameDecoderStage extends GraphStage<FlowShape<ByteString, Frame>> {
  private final Inlet<ByteString> in = Inlet.create("FrameDecoder.in");
  private final Outlet<Frame> out = Outlet.create("FrameDecoder.out");
  private final FlowShape<ByteString, Frame> shape = FlowShape.of(in, out);
  private final String source;
  private final long peerMaxBytes;

  public FrameDecoderStage(String source, long peerMaxBytes) {
    this.source = source;
    this.peerMaxBytes = peerMaxBytes;
  }

  /** The stage as a flow. */
  public static Flow<ByteString, Frame, NotUsed> flow(String source, long peerMaxBytes) {
    return Flow.fromGraph(new FrameDecoderStage(source, peerMaxBytes));
  }

  @Override
  public FlowShape<ByteString, Frame> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private final FrameDecoder decoder = new FrameDecoder(source, peerMaxBytes);

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                decoder.feed(grab(in));
                emitOrPull();
              }

              @Override
              public void onUpstreamFinish() {
                // Frames still buffered are emitted first; then only a partial frame can remain.
                Frame frame;
                while ((frame = decoder.next()) != null) {
                  emit(out, frame);
                }
                if (decoder.buffered() > 0) {
                  failStage(
                      new CorruptFrameException(
                          source
                              + ": connection ended inside a frame, "
                              + decoder.buffered()
                              + " bytes of it received"));
                } else {
                  completeStage();
                }
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                emitOrPull();
              }
            });
      }

      private void emitOrPull() {
        if (!isAvailable(out)) {
          return;
        }
        Frame frame = decoder.next();
        if (frame != null) {
          push(out, frame);
        } else if (!hasBeenPulled(in) && !isClosed(in)) {
          pull(in);
        }
      }
    };
  }
}
