package dev.sluice.log.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingAreaTest {
  @TempDir Path dir;

  @Test
  void temporaryFilesAreNewEmptyFilesInsideTheAreaAndGoneAfterTheNextOpen() throws IOException {
    StagingArea area = StagingArea.open(dir.resolve("staging"), 0);
    Path a = area.newTempFile("produce/../x");
    assertEquals(area.dir(), a.getParent(), "purpose cannot escape the area");
    assertEquals("produce____x-1.tmp", a.getFileName().toString());
    assertEquals(0, Files.size(a));
    Path b = area.newTempFile("produce");
    assertNotEquals(a, b);
    Files.write(b, new byte[10]);

    StagingArea.open(dir.resolve("staging"), 0);
    assertFalse(Files.exists(a));
    assertFalse(Files.exists(b));
  }

  @Test
  void concurrentUploadsNeverShareATemporaryFile() throws Exception {
    StagingArea area = StagingArea.open(dir.resolve("staging"), 0);
    int threads = 8;
    int perThread = 50;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<Path>>> created = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        created.add(
            pool.submit(
                () -> {
                  List<Path> mine = new ArrayList<>();
                  for (int i = 0; i < perThread; i++) {
                    mine.add(area.newTempFile("produce"));
                  }
                  return mine;
                }));
      }
      Set<Path> all = new HashSet<>();
      for (Future<List<Path>> f : created) {
        all.addAll(f.get());
      }
      assertEquals(threads * perThread, all.size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void resumableFileKeepsItsDurableLengthOnlyForTheNextOffset() throws IOException {
    StagingArea area = StagingArea.open(dir.resolve("staging"), 40);
    ResumeKey key = new ResumeKey(40, 1000, 0xcafebabe);
    StagedFile f = area.resume(key);
    f.write(ByteBuffer.wrap(new byte[300]));
    f.close();
    assertEquals(300, StagingArea.open(dir.resolve("staging"), 40).stagedLength(key));
    assertEquals(0, StagingArea.open(dir.resolve("staging"), 41).stagedLength(key));
  }

  @Test
  void resumingAnotherBatchDiscardsTheOldOneAndOverlongWritesAreRefused() throws IOException {
    StagingArea area = StagingArea.open(dir.resolve("staging"), 0);
    ResumeKey first = new ResumeKey(0, 100, 1);
    StagedFile f = area.resume(first);
    f.write(ByteBuffer.wrap(new byte[60]));
    assertThrows(IOException.class, () -> f.write(ByteBuffer.wrap(new byte[41])));
    f.close();
    ResumeKey second = new ResumeKey(0, 200, 2);
    area.resume(second).close();
    assertEquals(0, area.stagedLength(first));
    assertTrue(ResumeKey.parse(second.fileName()).equals(second));
  }
}
