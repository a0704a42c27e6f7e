package dev.sluice.log.segment;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.format.BatchHeader;
import dev.sluice.format.BatchLayout;
import dev.sluice.format.BatchLimit;
import dev.sluice.format.Record;
import dev.sluice.log.testing.LogFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogSegmentHeaderScanTest {
  private static final BatchLimit LIMIT = BatchLimit.segmentBytes(16L * 1024 * 1024);

  @TempDir Path dir;

  /**
   * Many small batches put batch headers across every boundary of the scan buffer; a few larger
   * than the buffer make the scan skip.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void visitsEveryBatchHeaderInOrder(long seed) throws IOException {
    Random random = new Random(seed);
    List<BatchHeader> written = new ArrayList<>();
    try (LogSegment segment = LogSegment.create(dir, 0, 4096, LIMIT)) {
      long offset = 0;
      int epoch = 0;
      for (int i = 0; i < 1500; i++) {
        int valueLength =
            random.nextInt(50) == 0
                ? LogSegment.HEADER_SCAN_BUFFER_BYTES + random.nextInt(100_000)
                : random.nextInt(1500);
        int records = 1 + random.nextInt(3);
        List<Record> rs = new ArrayList<>();
        for (int r = 0; r < records; r++) {
          rs.add(Record.of(null, new byte[r == 0 ? valueLength : 1], TIMESTAMP));
        }
        if (random.nextInt(100) == 0) {
          epoch++;
        }
        ByteBuffer batch = LogFixtures.leaderBatch(offset, epoch, rs);
        BatchHeader h = BatchHeader.parse(batch, LIMIT, "test batch", 0);
        segment.append(h, (ch, pos) -> FileTransfer.writeFully(ch, batch.duplicate(), pos));
        written.add(h);
        offset = h.nextOffset();
      }
      assertTrue(segment.size() > 10L * LogSegment.HEADER_SCAN_BUFFER_BYTES);

      List<BatchHeader> visited = new ArrayList<>();
      segment.forEachBatchHeader(visited::add);
      assertEquals(written, visited);
    }
  }

  @ParameterizedTest(name = "second header starts {0} bytes before the buffer end")
  @ValueSource(ints = {1, 20, BatchLayout.HEADER_BYTES - 1, BatchLayout.HEADER_BYTES, 48, 500})
  void headerAcrossTheEndOfTheScanBufferIsReadWhole(int beforeEnd) throws IOException {
    long firstSize = LogSegment.HEADER_SCAN_BUFFER_BYTES - beforeEnd;
    int valueLength = (int) LogFixtures.valueLengthForBatchOfSize(firstSize);
    try (LogSegment segment = LogSegment.create(dir, 0, 4096, LIMIT)) {
      List<BatchHeader> written = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        byte[] value = new byte[i == 0 ? valueLength : 10];
        ByteBuffer batch =
            LogFixtures.leaderBatch(i, i, List.of(Record.of(null, value, TIMESTAMP)));
        BatchHeader h = BatchHeader.parse(batch, LIMIT, "test batch", 0);
        segment.append(h, (ch, pos) -> FileTransfer.writeFully(ch, batch.duplicate(), pos));
        written.add(h);
      }
      assertEquals(firstSize, written.get(0).totalSize());
      List<BatchHeader> visited = new ArrayList<>();
      segment.forEachBatchHeader(visited::add);
      assertEquals(written, visited);
    }
  }

  @ParameterizedTest(name = "{0} batches")
  @ValueSource(ints = {0, 1})
  void emptyAndSingleBatchSegments(int batches) throws IOException {
    try (LogSegment segment = LogSegment.create(dir, 7, 4096, LIMIT)) {
      List<BatchHeader> written = new ArrayList<>();
      for (int i = 0; i < batches; i++) {
        ByteBuffer batch = LogFixtures.leaderBatch(7, 3, List.of(Record.of(null, null, TIMESTAMP)));
        BatchHeader h = BatchHeader.parse(batch, LIMIT, "test batch", 0);
        segment.append(h, (ch, pos) -> FileTransfer.writeFully(ch, batch.duplicate(), pos));
        written.add(h);
      }
      List<BatchHeader> visited = new ArrayList<>();
      segment.forEachBatchHeader(visited::add);
      assertEquals(written, visited);
    }
  }
}
