package dev.sluice.log.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingAreaTest {
  @TempDir Path dir;

  @Test
  void temporaryFilesAreDeletedOnAbortAndAtOpen() throws IOException {
    StagingArea area = StagingArea.open(dir.resolve("staging"), 0);
    StagedFile a = area.create("upload/../x");
    a.write(ByteBuffer.wrap(new byte[100]));
    assertEquals(100, a.position());
    assertTrue(a.path().getParent().equals(area.dir()), "purpose cannot escape the area");
    a.abort();
    assertFalse(Files.exists(a.path()));
    StagedFile b = area.create("upload");
    b.write(ByteBuffer.wrap(new byte[10]));
    b.close();
    StagingArea.open(dir.resolve("staging"), 0);
    assertFalse(Files.exists(b.path()));
  }

  @Test
  void resumableFileKeepsItsDurableLengthOnlyForTheNextOffset() throws IOException {
    StagingArea area = StagingArea.open(dir.resolve("staging"), 40);
    ResumeKey key = new ResumeKey(40, 1000, 0xcafebabe);
    StagedFile f = area.resume(key);
    f.write(ByteBuffer.wrap(new byte[300]));
    f.force();
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
