package dev.sluice.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB value appends, reads back and recovers in a JVM whose heap is 128 MiB: proof that the
 * streaming append and the recovery scan hold no value in memory. Runs in a forked JVM so the heap
 * limit is real, not assumed.
 */
class LargeValueAppendInSmallHeapTest {
  private static final long ONE_GIB = 1L << 30;

  @TempDir Path dir;

  @Test
  void oneGibValueAppendsWithA128MibHeap() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-Xmx128m",
                    "-cp",
                    System.getProperty("java.class.path"),
                    LargeValueAppendMain.class.getName(),
                    dir.toString(),
                    Long.toString(ONE_GIB)))
            .redirectErrorStream(true)
            .start();
    try {
      byte[] output = process.getInputStream().readAllBytes();
      assertTrue(process.waitFor(10, TimeUnit.MINUTES), "child did not finish");
      String text = new String(output, StandardCharsets.UTF_8);
      System.out.print(text);
      assertEquals(0, process.exitValue(), text);
      assertTrue(text.contains("OK offset=1 length=" + ONE_GIB), text);
    } finally {
      process.destroyForcibly();
      deleteRecursively(dir);
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
