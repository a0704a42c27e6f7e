package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.api.PartitionDescription;
import dev.sluice.api.TopicDescription;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice local-cluster} as a user runs it: a launcher JVM that starts three node JVMs, waits
 * for them, serves a replicated topic, and stops every node on SIGTERM.
 *
 * <p>The local cluster is secure by default: the launcher creates a CA, node certificates and an
 * admin token under {@code DIR/security} and writes {@code DIR/client.conf}; the API answers only
 * over HTTPS with a token, and the CLI reaches it through {@code client.conf} or through {@code
 * --ca-file} and {@code --token-file}. {@code --insecure} runs plain listeners without tokens.
 */
class LocalClusterIT {

  private static final int NODES = 3;

  /** Far from the defaults (7700) and from other ITs, so that a developer's cluster can run. */
  private static final int BASE_PORT = 27700;

  private static final Duration STARTUP = Duration.ofSeconds(240);

  @TempDir Path dir;

  private Process launcher;
  private Thread drain;
  private final List<String> output = new ArrayList<>();
  private final List<Long> nodePids = new ArrayList<>();
  private volatile String lastAnswer = "(none)";
  private SluiceClientFactory clients;

  /** Clients of node K's API, as the cluster at hand must be reached. */
  private interface SluiceClientFactory {
    SluiceClient client(int node);
  }

  @AfterEach
  void killEverything() {
    if (launcher != null) {
      launcher.destroyForcibly();
    }
    for (int id = 1; id <= NODES; id++) {
      readPid(id).ifPresent(nodePids::add);
    }
    for (long pid : nodePids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void threeNodeLocalClusterServesAReplicatedTopicAndStopsEveryNodeOnSigterm() throws Exception {
    launcher = startLauncher(NODES);
    awaitLine("all " + NODES + " nodes up", STARTUP);
    Path security = dir.resolve("security");
    Path ca = security.resolve("ca.pem");
    Path tokenFile = security.resolve("admin.token");
    assertTrue(Files.isRegularFile(ca), () -> "no CA at " + ca + "\n" + output());
    assertTrue(Files.isRegularFile(tokenFile), () -> "no admin token at " + tokenFile);
    assertTrue(Files.isRegularFile(dir.resolve("client.conf")), "no client.conf");
    String adminToken = Files.readString(tokenFile, UTF_8).strip();
    clients =
        node -> SluiceClient.builder(apiUri("https", node)).caFile(ca).token(adminToken).build();
    for (int id = 1; id <= NODES; id++) {
      int node = id;
      nodePids.add(readPid(node).orElseThrow(() -> new AssertionError("no pid file of " + node)));
    }

    // Right after start-up the controller may not know every node yet (400: not enough nodes for
    // the replication factor) or node 2 may lack metadata (503): retry both.
    TopicDescription created =
        await(
            "topic t created through node 2",
            Duration.ofSeconds(60),
            () -> attempt("create t at node 2", () -> client(2).createTopic("t", 6, 3)));
    assertEquals(6, created.partitionCount(), created::toString);

    TopicDescription topic =
        await(
            "topic t described by node 3",
            Duration.ofSeconds(60),
            () -> attempt("describe t at node 3", () -> client(3).describeTopic("t")));
    assertEquals(6, topic.partitions().size(), topic::toString);
    for (PartitionDescription partition : topic.partitions()) {
      Set<Integer> replicas = new HashSet<>(partition.replicaNodes());
      assertEquals(3, partition.replicas().size(), partition::toString);
      assertEquals(3, replicas.size(), () -> "distinct replicas: " + partition);
    }

    // Secure: no token, no access; plain http gets no answer from the HTTPS listener.
    SluiceClientException noToken =
        assertThrows(
            SluiceClientException.class,
            () -> SluiceClient.builder(apiUri("https", 1)).caFile(ca).build().describeTopic("t"));
    assertEquals(401, noToken.status(), noToken::getMessage);
    assertThrows(
        SluiceClientException.class,
        () -> SluiceClient.builder(apiUri("http", 1)).token(adminToken).build().describeTopic("t"));

    // The CLI finds the server, the CA and the token in DIR/client.conf ...
    Cli viaConf =
        cli(Map.of("SLUICE_CLIENT_CONF", dir.resolve("client.conf").toString()), "topic", "list");
    assertEquals(0, viaConf.exit(), viaConf::output);
    assertTrue(viaConf.output().lines().anyMatch(l -> l.strip().startsWith("t")), viaConf::output);
    // ... or in its options, at any node.
    Cli viaOptions =
        cli(
            Map.of(),
            "topic",
            "describe",
            "t",
            "--server",
            apiUri("https", 3).toString(),
            "--ca-file",
            ca.toString(),
            "--token-file",
            tokenFile.toString());
    assertEquals(0, viaOptions.exit(), viaOptions::output);
    // the table: a header and one row per replica, 6 partitions of 3 replicas each
    assertTrue(
        viaOptions.output().lines().filter(l -> l.contains("follower")).count() == 12,
        viaOptions::output);
    // Without the CA the CLI refuses the cluster's certificate.
    Cli untrusted =
        cli(
            Map.of(),
            "topic",
            "list",
            "--server",
            apiUri("https", 1).toString(),
            "--token-file",
            tokenFile.toString());
    assertNotEquals(0, untrusted.exit(), untrusted::output);
    assertTrue(untrusted.output().contains("TLS handshake"), untrusted::output);

    // SIGTERM, as `kill` or a service manager sends it. Through the handle: Process.destroy() would
    // also close the pipe and lose the launcher's last lines.
    launcher.toHandle().destroy();
    assertTrue(launcher.waitFor(90, TimeUnit.SECONDS), () -> "launcher still running\n" + output());
    drain.join(TimeUnit.SECONDS.toMillis(10)); // the last lines may still be in the pipe
    assertEquals(0, launcher.exitValue(), this::output);
    for (long pid : nodePids) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node " + pid);
    }
    for (int id = 1; id <= NODES; id++) {
      assertFalse(Files.exists(dir.resolve("node-" + id).resolve("pid")), "pid file of " + id);
      assertTrue(Files.exists(dir.resolve("node-" + id).resolve("node.conf")));
    }
    assertTrue(output().contains("all nodes stopped"), this::output);
  }

  @Test
  void insecureLocalClusterServesPlainHttpWithoutTokens() throws Exception {
    launcher = startLauncher(1, "--insecure");
    awaitLine("all 1 node up", STARTUP);
    assertTrue(
        output().contains("plaintext listeners and no tokens"),
        () -> "no warning about --insecure\n" + output());
    nodePids.add(readPid(1).orElseThrow(() -> new AssertionError("no pid file of node 1")));
    clients = node -> SluiceClient.create(apiUri("http", node));
    TopicDescription created =
        await(
            "topic t created over plain http without a token",
            Duration.ofSeconds(60),
            () -> attempt("create t at node 1", () -> client(1).createTopic("t", 1, 1)));
    assertEquals(1, created.partitionCount(), created::toString);

    launcher.toHandle().destroy();
    assertTrue(launcher.waitFor(90, TimeUnit.SECONDS), () -> "launcher still running\n" + output());
    drain.join(TimeUnit.SECONDS.toMillis(10));
    assertEquals(0, launcher.exitValue(), this::output);
  }

  private Process startLauncher(int nodes, String... extra) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                java(),
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.sluice.tools.SluiceCli",
                "local-cluster",
                "--nodes",
                String.valueOf(nodes),
                "--data-dir",
                dir.toString(),
                "--base-port",
                String.valueOf(BASE_PORT),
                "--timeout",
                STARTUP.toSeconds() + "s"));
    command.addAll(List.of(extra));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // Small heaps and a quick JIT: three node JVMs share two cores with the build.
    builder
        .environment()
        .put("SLUICE_NODE_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    Process process = builder.start();
    drain =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  System.out.println("[local-cluster] " + line);
                  synchronized (output) {
                    output.add(line);
                    output.notifyAll();
                  }
                }
              } catch (IOException e) {
                // The launcher was killed; its output ends here.
              }
            },
            "local-cluster-output");
    drain.setDaemon(true);
    drain.start();
    return process;
  }

  private void awaitLine(String text, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (output) {
      while (output.stream().noneMatch(l -> l.contains(text))) {
        if (!launcher.isAlive()) {
          fail(
              "launcher exited with "
                  + launcher.exitValue()
                  + " before '"
                  + text
                  + "'\n"
                  + output());
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail("no '" + text + "' within " + timeout.toSeconds() + "s\n" + output());
        }
        // Woken by each new line; the bound notices a launcher that died without output.
        output.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 1000));
      }
    }
  }

  /** Polls {@code attempt} until it returns non-null; fails with the launcher output at the end. */
  private <T> T await(String what, Duration timeout, Supplier<T> attempt)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T result = attempt.get();
      if (result != null) {
        return result;
      }
      if (System.nanoTime() - deadline > 0) {
        fail(
            "not done within "
                + timeout.toSeconds()
                + "s: "
                + what
                + "; last answer: "
                + lastAnswer
                + "\n"
                + output());
      }
      Thread.sleep(250);
    }
  }

  /** The answer, or null when the node refused or did not answer (still starting). */
  private <T> T attempt(String what, Supplier<T> request) {
    try {
      T answer = request.get();
      lastAnswer = what + " -> " + answer;
      System.out.println("[it] " + lastAnswer);
      return answer;
    } catch (SluiceClientException e) {
      lastAnswer = what + " -> " + e.status() + " " + e.getMessage();
      System.out.println("[it] " + lastAnswer);
      return null;
    }
  }

  private SluiceClient client(int node) {
    return clients.client(node);
  }

  private static URI apiUri(String scheme, int node) {
    return URI.create(scheme + "://127.0.0.1:" + (BASE_PORT + 10 * (node - 1)));
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** What a CLI run printed (stdout and stderr) and its exit code. */
  private record Cli(int exit, String output) {}

  /** Runs {@code bin/sluice args} in its own JVM, from the test directory, with {@code env}. */
  private Cli cli(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                java(),
                "-Xmx64m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.sluice.tools.SluiceCli"));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    for (String key :
        List.of(
            "SLUICE_SERVER",
            "SLUICE_CA_FILE",
            "SLUICE_TOKEN",
            "SLUICE_TOKEN_FILE",
            "SLUICE_CLIENT_CONF")) {
      builder.environment().remove(key);
    }
    builder.environment().putAll(env);
    Process p = builder.start();
    p.getOutputStream().close();
    String text = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "sluice " + String.join(" ", args) + " still runs");
    System.out.println(
        "[it] sluice " + String.join(" ", args) + " -> " + p.exitValue() + "\n" + text);
    return new Cli(p.exitValue(), text);
  }

  private Optional<Long> readPid(int node) {
    try {
      return Optional.of(
          Long.parseLong(
              Files.readString(dir.resolve("node-" + node).resolve("pid"), UTF_8).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }
}
