package dev.sluice.dist;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.log.Directories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The release as an operator gets it: {@code sluice-VERSION.tar.gz} unpacked with {@code tar} into
 * a directory outside the source tree, then its {@code bin/sluice} runs a node from the sample
 * {@code conf/node.conf} and the CLI creates a topic, produces and consumes against it. The PATH
 * has no {@code mvn} and no {@code java} (Java comes from {@code JAVA_HOME}), so nothing can fall
 * back to the build or the sources.
 */
class ReleaseTarballIT {
  private static final Path TARBALL = Path.of(System.getProperty("sluice.release.tarball"));
  private static final String VERSION = System.getProperty("sluice.project.version");
  private static final Duration NODE_START = Duration.ofSeconds(90);
  private static final Duration CLI = Duration.ofSeconds(60);

  /** The tools the launcher uses besides bash builtins; neither mvn nor java. */
  private static final List<String> TOOLS = List.of("dirname", "readlink", "sed");

  private Path dir;
  private Path home;
  private Path path;
  private Process node;
  private final StringBuffer nodeOutput = new StringBuffer();

  @BeforeEach
  void unpack() throws Exception {
    assertTrue(Files.isRegularFile(TARBALL), "no release tarball at " + TARBALL);
    // Outside the repository: the system temp directory, never under target/.
    dir = Files.createTempDirectory("sluice-release-");
    Process tar =
        new ProcessBuilder("tar", "-xzf", TARBALL.toString(), "-C", dir.toString())
            .redirectErrorStream(true)
            .start();
    String tarOutput = new String(tar.getInputStream().readAllBytes(), UTF_8);
    assertTrue(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar: " + tarOutput);
    home = dir.resolve("sluice-" + VERSION);
    path = Files.createDirectories(dir.resolve("path"));
    for (String tool : TOOLS) {
      Path real =
          Stream.of("/usr/bin/", "/bin/")
              .map(d -> Path.of(d + tool))
              .filter(Files::isExecutable)
              .findFirst()
              .orElseThrow(() -> new AssertionError("this machine has no " + tool));
      Files.createSymbolicLink(path.resolve(tool), real);
    }
  }

  @AfterEach
  void stopAndRemove() throws Exception {
    if (node != null && node.isAlive()) {
      node.destroy();
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (dir != null) {
      Directories.deleteTree(dir);
    }
  }

  @Test
  void theTarballHoldsTheLauncherTheJarsAndASampleConfig() throws IOException {
    assertTrue(Files.isExecutable(home.resolve("bin/sluice")), "bin/sluice is executable");
    assertTrue(Files.isRegularFile(home.resolve("bin/lib/bootstrap.sh")));
    assertTrue(Files.isRegularFile(home.resolve("conf/node.conf")));
    assertTrue(Files.isRegularFile(home.resolve("conf/logback.xml")));
    assertTrue(Files.isRegularFile(home.resolve("conf/systemd/sluice.service")));
    assertTrue(Files.isRegularFile(home.resolve("docs/operations.md")));
    List<String> jars;
    try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
      jars = lib.map(p -> p.getFileName().toString()).sorted().toList();
    }
    for (String module :
        List.of(
            "config",
            "api",
            "persistence",
            "replication",
            "cluster-node",
            "client",
            "tools",
            "security")) {
      assertTrue(
          jars.contains("sluice-" + module + "-" + VERSION + ".jar"), module + " in " + jars);
    }
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("pekko-actor_")), "Pekko in " + jars);
    assertFalse(
        jars.stream().anyMatch(j -> j.contains("-tests") || j.startsWith("junit")),
        "no test jars: " + jars);
  }

  @Test
  void aNodeAndTheCliRunFromTheUnpackedRelease() throws Exception {
    assertEquals(List.of("sluice " + VERSION), sluice("--version").stdoutLines());

    node =
        launcher(
                "node",
                "--config",
                "conf/node.conf",
                "-Dsluice.data-dir=" + dir.resolve("data/node-1"),
                "-Dsluice.api.port=0",
                "-Dsluice.replication.port=0",
                "-Dsluice.management.port=0",
                "-Dsluice.cluster.port=0",
                "-Dsluice.storage.flush=os")
            .redirectErrorStream(true)
            .start();
    CompletableFuture.runAsync(this::drainNodeOutput);
    String api = awaitApi();

    Cli created =
        sluice(
            "topic", "create", "orders", "--partitions", "1", "--replicas", "1", "--server", api);
    assertEquals(0, created.exit(), created.toString());
    Cli produced =
        sluice(
            "produce",
            "orders",
            "--partition",
            "0",
            "--value",
            "from the release",
            "--server",
            api);
    assertEquals(0, produced.exit(), produced.toString());
    Cli consumed = sluice("consume", "orders", "--partition", "0", "--from", "0", "--server", api);
    assertEquals(0, consumed.exit(), consumed.toString());
    assertTrue(consumed.stdout().contains("from the release"), consumed.toString());
  }

  /** Waits for the node's "up" line and returns its API's base URI. */
  private String awaitApi() throws InterruptedException {
    Pattern up = Pattern.compile("Sluice node 1 up: api (http://[^,]+),");
    long deadline = System.nanoTime() + NODE_START.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = up.matcher(nodeOutput);
      if (m.find()) {
        return m.group(1);
      }
      assertTrue(node.isAlive(), "the node ended (exit " + exitOf(node) + "):\n" + nodeOutput);
      TimeUnit.MILLISECONDS.sleep(50); // polling the node's output, with a deadline
    }
    throw new AssertionError("the node was not up within " + NODE_START + ":\n" + nodeOutput);
  }

  private static String exitOf(Process p) {
    return p.isAlive() ? "running" : Integer.toString(p.exitValue());
  }

  private void drainNodeOutput() {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(node.getInputStream(), UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        nodeOutput.append(line).append('\n');
      }
    } catch (IOException e) {
      nodeOutput.append("(output closed: ").append(e.getMessage()).append(")\n");
    }
  }

  private ProcessBuilder launcher(String... args) {
    List<String> command = new ArrayList<>();
    command.add("/bin/bash");
    command.add(home.resolve("bin/sluice").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
    Map<String, String> env = pb.environment();
    env.put("PATH", path.toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("SLUICE_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    env.remove("SLUICE_SERVER");
    env.remove("SLUICE_TOKEN");
    env.remove("SLUICE_CLIENT_CONF");
    return pb;
  }

  private Cli sluice(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = launcher(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(CLI.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("sluice " + String.join(" ", args) + " did not end within " + CLI);
    }
    return new Cli(
        String.join(" ", args),
        p.exitValue(),
        Files.readString(out, UTF_8),
        Files.readString(err, UTF_8));
  }

  private record Cli(String args, int exit, String stdout, String stderr) {
    List<String> stdoutLines() {
      return stdout.lines().toList();
    }

    @Override
    public String toString() {
      return "sluice "
          + args
          + ": exit "
          + exit
          + "\n--- stdout\n"
          + stdout
          + "--- stderr\n"
          + stderr;
    }
  }
}
