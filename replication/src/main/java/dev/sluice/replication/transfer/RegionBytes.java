package dev.sluice.replication.transfer;

import dev.sluice.log.FileRegion;
import java.io.EOFException;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The bytes of segment-file regions as a stream: a Pekko {@code FileIO} source per region, which
 * reads on the blocking-IO dispatcher (its default, {@link dev.sluice.replication.BlockingIo}), in
 * pieces of at most {@link #MAX_PIECE_BYTES}, and ends exactly at the region's end.
 *
 * <p>Memory: one piece being read and one read ahead (input buffers of one element on both sides of
 * the file source's asynchronous boundary; Pekko's default of 16 would read up to 16 pieces ahead).
 * A piece is at most {@link #MAX_PIECE_BYTES}, below half a G1 region, so no read allocates a
 * humongous array; the piece size is chosen so that the region's pieces are equal within a byte,
 * and the last one ends at the region's end, not up to a piece beyond it.
 *
 * <p>A region whose file is shorter than the region (cut by a truncation since the region was
 * planned) fails the stream with an {@link EOFException} naming the file and position; a deleted
 * file (retention) fails it with the file source's {@code NoSuchFileException}. The follower then
 * reconnects and the leader plans again from the follower's log end.
 */
final class RegionBytes {
  /**
   * Largest piece a region is read in. Below half a G1 region (1 MiB regions for heaps up to 2
   * GiB): a 1 MiB array takes two whole regions of its own, outside the young generation.
   */
  static final int MAX_PIECE_BYTES = 256 * 1024;

  private static final Attributes ONE_PIECE_AHEAD = Attributes.inputBuffer(1, 1);

  private RegionBytes() {}

  /** The bytes of {@code regions}, in order; each region's file is opened when its turn comes. */
  static Source<ByteString, NotUsed> of(List<FileRegion> regions) {
    return Source.from(regions).flatMapConcat(RegionBytes::of);
  }

  /** The bytes of {@code region}. */
  static Source<ByteString, NotUsed> of(FileRegion region) {
    if (region.length() == 0) {
      return Source.empty();
    }
    return FileIO.fromPath(region.file(), pieceBytes(region.length()), region.position())
        .addAttributes(ONE_PIECE_AHEAD)
        .via(new Exactly(region))
        .addAttributes(ONE_PIECE_AHEAD)
        .mapMaterializedValue(io -> NotUsed.getInstance());
  }

  /**
   * The piece size for a region of {@code length} bytes: the fewest pieces of at most {@link
   * #MAX_PIECE_BYTES}, equal within a byte.
   */
  static int pieceBytes(long length) {
    if (length < 1) {
      throw new IllegalArgumentException("a region of " + length + " bytes has no pieces");
    }
    long pieces = (length + MAX_PIECE_BYTES - 1) / MAX_PIECE_BYTES;
    return (int) ((length + pieces - 1) / pieces);
  }

  /**
   * Passes exactly the region's bytes: cuts the piece that crosses its end and completes there
   * (cancelling the file source); fails if the file ends first.
   */
  private static final class Exactly extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("RegionBytes.in");
    private final Outlet<ByteString> out = Outlet.create("RegionBytes.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final FileRegion region;

    Exactly(FileRegion region) {
      this.region = region;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new GraphStageLogic(shape) {
        private long left = region.length();

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  ByteString piece = grab(in);
                  if (piece.size() >= left) {
                    push(out, piece.take((int) left));
                    left = 0;
                    completeStage();
                  } else {
                    left -= piece.size();
                    push(out, piece);
                  }
                }

                @Override
                public void onUpstreamFinish() {
                  if (left > 0) {
                    failStage(region.endsAt(region.position() + region.length() - left));
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
                  pull(in);
                }
              });
        }
      };
    }
  }
}
