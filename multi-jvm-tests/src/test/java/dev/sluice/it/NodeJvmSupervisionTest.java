package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness's supervisor, on real (tiny) JVMs: exit code 70 is answered with a restart, any other
 * exit and any exit the harness asked for are not.
 */
class NodeJvmSupervisionTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final List<String> restarts = new CopyOnWriteArrayList<>();

  private NodeJvm jvm(Path dir, String mode) throws Exception {
    Path file = Files.writeString(dir.resolve("mode"), mode);
    return new NodeJvm("halting", file, HaltOnceMain.class.getName()).superviseHalts(restarts::add);
  }

  @Test
  void aNodeThatHaltsWith70IsStartedAgainAndAStopIsNot(@TempDir Path dir) throws Exception {
    try (NodeJvm jvm = jvm(dir, "halt-once")) {
      jvm.start();
      jvm.awaitOutput(HaltOnceMain.RUNNING + 2, TIMEOUT);
      assertEquals(1, restarts.size(), restarts.toString());
      assertTrue(restarts.get(0).contains("exited with 70"), restarts.get(0));
      assertTrue(restarts.get(0).contains("restarted as pid " + jvm.pid()), restarts.get(0));

      jvm.stop(TIMEOUT);
      Await.until(() -> jvm.supervisedExits() == 2, TIMEOUT, "the supervisor saw the stop");
      assertFalse(jvm.isAlive(), "a stop the harness asked for is not undone");
      assertEquals(1, restarts.size(), restarts.toString());
    }
  }

  @Test
  void aNodeThatExitsWithAnotherCodeStaysDown(@TempDir Path dir) throws Exception {
    try (NodeJvm jvm = jvm(dir, "exit 3")) {
      jvm.start();
      Await.until(() -> jvm.supervisedExits() == 1, TIMEOUT, "the supervisor saw the exit");
      assertFalse(jvm.isAlive());
      assertEquals(3, jvm.exitCode().getAsInt());
      assertTrue(jvm.exitedByItself());
      assertEquals(List.of(), restarts);
      assertEquals("1", Files.readString(dir.resolve("mode.starts")).trim());
    }
  }
}
