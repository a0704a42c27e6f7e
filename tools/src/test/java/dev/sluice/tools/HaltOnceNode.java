package dev.sluice.tools;

import dev.sluice.config.ClusterSettings;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for a node's main class in {@link LocalClusterProcessesTest}: its config file says
 * {@code halt-once} (halt with 70 on the first start, then run until signalled, printing {@value
 * #RUNNING} and the start's number) or {@code exit N} (exit with N at once). A file beside it
 * counts the starts. Every start first prints whether it was told to form a new cluster ({@value
 * #FORMS} and the setting's value) and its JVM options ({@value #JVM_OPTIONS}).
 */
public final class HaltOnceNode {
  static final String RUNNING = "running as start ";
  static final String FORMS = "form-new-cluster of start ";
  static final String JVM_OPTIONS = "jvm options ";

  private HaltOnceNode() {}

  public static void main(String[] args) throws Exception {
    Path config = Path.of(args[0]);
    Path starts = config.resolveSibling("starts");
    int start = Files.exists(starts) ? Integer.parseInt(Files.readString(starts).trim()) + 1 : 1;
    Files.writeString(starts, Integer.toString(start), StandardCharsets.UTF_8);
    System.out.println(
        FORMS + start + ": " + System.getProperty(ClusterSettings.FORM_NEW_CLUSTER, "unset"));
    System.out.println(JVM_OPTIONS + ManagementFactory.getRuntimeMXBean().getInputArguments());
    System.out.flush();
    String mode = Files.readString(config).trim();
    if (mode.startsWith("exit ")) {
      System.exit(Integer.parseInt(mode.substring("exit ".length())));
    }
    if (start == 1) {
      Runtime.getRuntime().halt(LocalClusterProcesses.EXIT_HALTED);
    }
    System.out.println(RUNNING + start);
    System.out.flush();
    new CountDownLatch(1).await(); // a node in the foreground: runs until it is signalled
  }
}
