package dev.sluice.replication.transfer;

import dev.sluice.log.LogSlice;
import dev.sluice.replication.protocol.Frame;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Cuts the bytes of one read window ({@link RegionBytes} over the planned frames' regions, in
 * order) into the frames {@link FramePlanner} planned for it: each frame's payload is the next
 * {@link PlannedFrame#payloadBytes} bytes, sliced from the pieces it arrived in without a copy. So
 * frame boundaries fall where the plan put them, at batch boundaries or between the chunks of an
 * oversized batch, wherever the file's pieces end.
 *
 * <p>Before each frame it asks {@code stop} whether the connection may go on (this node still
 * leads, the follower is still a follower); if not, it emits that refusal instead and completes. It
 * pulls the next piece only while downstream wants a frame and the current one is incomplete, so it
 * holds at most one frame's bytes (at most peer-max-bytes) plus one piece.
 *
 * <p>A {@link Frame.Chunk} announces its batch's head CRC ({@link BatchHeadCrc}): taken from the
 * first chunk's payload when that chunk starts the batch and holds its head, otherwise from {@code
 * headCrcs}, read by the planner for the batches whose head this window does not carry first.
 *
 * <p>Fails with an {@link IllegalStateException} if the bytes do not add up to the plan (the
 * window's regions are the plan's regions, so this is a bug, not bad input).
 */
final class FrameCutter extends GraphStage<FlowShape<ByteString, Frame>> {
  private final Inlet<ByteString> in = Inlet.create("FrameCutter.in");
  private final Outlet<Frame> out = Outlet.create("FrameCutter.out");
  private final FlowShape<ByteString, Frame> shape = FlowShape.of(in, out);
  private final List<PlannedFrame> plans;
  private final Map<LogSlice, Integer> headCrcs;
  private final Supplier<Optional<Frame.Rejected>> stop;

  /**
   * @param plans the window's frames, in order
   * @param headCrcs head CRCs of oversized batches whose first planned chunk does not start them
   *     with a whole head (resumed inside the batch, or chunks smaller than the head)
   * @param stop the refusal to send instead of the next frame, if the connection must end
   */
  FrameCutter(
      List<PlannedFrame> plans,
      Map<LogSlice, Integer> headCrcs,
      Supplier<Optional<Frame.Rejected>> stop) {
    if (plans.isEmpty()) {
      throw new IllegalArgumentException("a read window of no frames");
    }
    this.plans = List.copyOf(plans);
    this.headCrcs = Map.copyOf(headCrcs);
    this.stop = stop;
  }

  @Override
  public FlowShape<ByteString, Frame> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private int next;
      private ByteString held = ByteString.emptyByteString();
      private LogSlice crcOf;
      private int crc;

      {
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                held = held.concat(grab(in));
                cut();
              }

              @Override
              public void onUpstreamFinish() {
                // The last piece may hold several frames still to send: stay until they are.
                long unsent =
                    plans.subList(next, plans.size()).stream()
                        .mapToLong(PlannedFrame::payloadBytes)
                        .sum();
                if (held.size() < unsent) {
                  failStage(
                      new IllegalStateException(
                          "the window's bytes ended "
                              + (unsent - held.size())
                              + " bytes short of its "
                              + plans.size()
                              + " planned frames, at frame "
                              + (next + 1)
                              + ": "
                              + plans.get(next)));
                }
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                cut();
              }
            });
      }

      private void cut() {
        if (!isAvailable(out)) {
          return;
        }
        PlannedFrame plan = plans.get(next);
        if (held.size() < plan.payloadBytes()) {
          if (!hasBeenPulled(in) && !isClosed(in)) {
            pull(in);
          }
          return;
        }
        Optional<Frame.Rejected> refusal = stop.get();
        if (refusal.isPresent()) {
          push(out, refusal.get());
          completeStage();
          return;
        }
        int bytes = (int) plan.payloadBytes();
        ByteString payload = held.take(bytes);
        held = held.drop(bytes);
        next++;
        push(out, frame(plan, payload));
        if (next == plans.size()) {
          if (!held.isEmpty()) {
            failStage(
                new IllegalStateException(
                    held.size() + " bytes beyond the window's " + plans.size() + " frames"));
          } else {
            completeStage();
          }
        }
      }

      private Frame frame(PlannedFrame plan, ByteString payload) {
        if (plan instanceof PlannedFrame.WholeBatches w) {
          return new Frame.Batches(w.baseOffset(), w.lastOffset(), payload);
        }
        PlannedFrame.BatchChunk c = (PlannedFrame.BatchChunk) plan;
        LogSlice b = c.batch();
        if (crcOf != b) {
          Integer known = headCrcs.get(b);
          if (known != null) {
            crc = known;
          } else if (c.bytePosition() == 0 && payload.size() >= BatchHeadCrc.BYTES) {
            crc = BatchHeadCrc.of(payload.slice(0, BatchHeadCrc.BYTES).toByteBuffer());
          } else {
            throw new IllegalStateException("no head CRC planned for the chunks of " + b);
          }
          crcOf = b;
        }
        return new Frame.Chunk(
            b.baseOffset(), b.length(), crc, c.bytePosition(), c.last(), payload);
      }
    };
  }
}
