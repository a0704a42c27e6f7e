package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
 */
class LocalClusterIT {

  private static final int NODES = 3;

  /** Far from the defaults (7700) and from other ITs, so that a developer's cluster can run. */
  private static final int BASE_PORT = 27700;

  private static final Duration STARTUP = Duration.ofSeconds(240);
  private static final Duration REQUEST = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process launcher;
  private Thread drain;
  private final List<String> output = new ArrayList<>();
  private final List<Long> nodePids = new ArrayList<>();
  private volatile String lastAnswer = "(none)";

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
    launcher = startLauncher();
    awaitLine("all " + NODES + " nodes up", STARTUP);
    for (int id = 1; id <= NODES; id++) {
      int node = id;
      nodePids.add(readPid(node).orElseThrow(() -> new AssertionError("no pid file of " + node)));
    }

    HttpResponse<String> created =
        await(
            "topic t created through node 2",
            Duration.ofSeconds(60),
            () -> {
              // Right after start-up the controller may not know every node yet (400: not enough
              // nodes for the replication factor) or node 2 may lack metadata (503): retry both.
              HttpResponse<String> r =
                  post(
                      api(2) + "/topics",
                      "{\"name\":\"t\",\"partitions\":6,\"replicationFactor\":3}");
              return r != null && r.statusCode() == 201 ? r : null;
            });
    assertEquals(6, JSON.readTree(created.body()).path("partitionCount").asInt(), created.body());

    JsonNode topic =
        await(
            "topic t described by node 3",
            Duration.ofSeconds(60),
            () -> {
              HttpResponse<String> r = get(api(3) + "/topics/t");
              return r != null && r.statusCode() == 200 ? readTree(r.body()) : null;
            });
    assertEquals(6, topic.path("partitions").size(), topic::toString);
    for (JsonNode partition : topic.path("partitions")) {
      Set<Integer> replicas = new HashSet<>();
      partition.path("replicas").forEach(r -> replicas.add(r.path("node").asInt()));
      assertEquals(3, partition.path("replicas").size(), partition::toString);
      assertEquals(3, replicas.size(), () -> "distinct replicas: " + partition);
    }

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

  private Process startLauncher() throws IOException {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.sluice.node.cli.SluiceCli",
            "local-cluster",
            "--nodes",
            String.valueOf(NODES),
            "--data-dir",
            dir.toString(),
            "--base-port",
            String.valueOf(BASE_PORT),
            "--timeout",
            STARTUP.toSeconds() + "s");
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

  private HttpResponse<String> post(String uri, String json) {
    return send(
        HttpRequest.newBuilder(URI.create(uri))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .timeout(REQUEST)
            .build());
  }

  private HttpResponse<String> get(String uri) {
    return send(HttpRequest.newBuilder(URI.create(uri)).GET().timeout(REQUEST).build());
  }

  /** The response, or null when the node did not answer (still starting). */
  private HttpResponse<String> send(HttpRequest request) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(UTF_8));
      lastAnswer =
          request.method()
              + " "
              + request.uri()
              + " -> "
              + response.statusCode()
              + " "
              + response.body();
      System.out.println("[it] " + lastAnswer);
      return response;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static JsonNode readTree(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }

  private static String api(int node) {
    return "http://127.0.0.1:" + (BASE_PORT + 10 * (node - 1));
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
