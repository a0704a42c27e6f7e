package dev.sluice.log;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoriesTest {
  @TempDir Path dir;

  @Test
  void deletesATreeButNotWhatALinkInItPointsAt() throws Exception {
    Path outside = Files.writeString(dir.resolve("outside.txt"), "kept");
    Path root = Files.createDirectories(dir.resolve("root/a/b"));
    Files.writeString(root.resolve("f"), "x");
    Files.writeString(dir.resolve("root/g"), "y");
    Files.createSymbolicLink(dir.resolve("root/link"), outside);

    Directories.deleteTree(dir.resolve("root"));

    assertFalse(Files.exists(dir.resolve("root")));
    assertTrue(Files.exists(outside));
  }

  @Test
  void aMissingDirectoryIsNothingToDo() throws Exception {
    Directories.deleteTree(dir.resolve("never-made"));
    assertFalse(Files.exists(dir.resolve("never-made")));
  }
}
