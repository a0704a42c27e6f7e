package dev.sluice.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for a node's main class in {@link NodeJvmSupervisionTest}, driven by the file it is
 * given: {@code halt-once} halts with 70 on its first start and then runs until it is stopped
 * (printing {@value #RUNNING}); {@code exit N} exits with N at once. The file counts the starts.
 */
public final class HaltOnceMain {
  static final String RUNNING = "running as start ";

  private HaltOnceMain() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    Path starts = Path.of(args[0] + ".starts");
    int start = Files.exists(starts) ? Integer.parseInt(Files.readString(starts).trim()) + 1 : 1;
    Files.writeString(starts, Integer.toString(start), StandardCharsets.UTF_8);
    String mode = Files.readString(file).trim();
    if (mode.startsWith("exit ")) {
      System.exit(Integer.parseInt(mode.substring("exit ".length())));
    }
    if (start == 1) {
      Runtime.getRuntime().halt(NodeJvm.EXIT_HALTED);
    }
    System.out.println(RUNNING + start);
    System.out.flush();
    new CountDownLatch(1).await(); // a node in the foreground: runs until it is signalled
  }
}
