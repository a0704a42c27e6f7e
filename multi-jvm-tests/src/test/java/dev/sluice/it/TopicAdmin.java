package dev.sluice.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.node.replica.ReplicaDirectories;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Topic administration of the lifecycle tests over a {@link NodeCluster}'s client API (admin
 * token), and what a node's data directory holds of a topic.
 */
final class TopicAdmin {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final NodeCluster cluster;

  TopicAdmin(NodeCluster cluster) {
    this.cluster = cluster;
  }

  /** Sends a request with a JSON body (or none) to node {@code node}'s client API. */
  HttpResponse<String> send(int node, String method, String path, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder r = cluster.apiRequest(node, path).timeout(TIMEOUT);
    if (json == null) {
      r.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      r.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    return cluster.http().send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code DELETE /topics/{t}} through node {@code node}; the answer must be 200. */
  JsonNode delete(int node, String topic) throws IOException, InterruptedException {
    return expect(200, send(node, "DELETE", "/topics/" + topic, null));
  }

  /** {@code POST /topics} with settings; the answer must be 201. */
  JsonNode create(int node, String topic, int partitions, int rf, String configJson)
      throws IOException, InterruptedException {
    String body =
        "{\"name\":\""
            + topic
            + "\",\"partitions\":"
            + partitions
            + ",\"replicationFactor\":"
            + rf
            + ",\"config\":"
            + configJson
            + "}";
    return expect(201, send(node, "POST", "/topics", body));
  }

  /** {@code PATCH /topics/{t}/config}; the answer must be 200. */
  JsonNode alter(int node, String topic, String configJson)
      throws IOException, InterruptedException {
    return expect(
        200,
        send(node, "PATCH", "/topics/" + topic + "/config", "{\"config\":" + configJson + "}"));
  }

  static JsonNode expect(int status, HttpResponse<String> r) throws IOException {
    if (r.statusCode() != status) {
      throw new AssertionError(
          r.request().method() + " " + r.uri() + " answered " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /**
   * The directories under node {@code node}'s data directory that belong to {@code topic} (any of
   * its partitions) or are leftovers of a removal ({@code .deleted}).
   */
  List<Path> dataOf(int node, String topic) throws IOException {
    List<Path> found = new ArrayList<>();
    Path dir = cluster.dataDir(node);
    if (!Files.isDirectory(dir)) {
      return found;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p)
            && (name.matches(java.util.regex.Pattern.quote(topic) + "-\\d+")
                || name.endsWith(ReplicaDirectories.DELETED_SUFFIX))) {
          found.add(p);
        }
      }
    }
    return found;
  }

  /** Waits until node {@code node} holds no directory of {@code topic} and no removal leftover. */
  void awaitNoDataOf(int node, String topic, Duration timeout) throws InterruptedException {
    Await.value(
        () -> {
          try {
            return dataOf(node, topic).isEmpty() ? Optional.of(true) : Optional.empty();
          } catch (IOException e) {
            return Optional.empty();
          }
        },
        timeout,
        Duration.ofMillis(200),
        "node " + node + " holds no data of topic " + topic,
        () -> {
          try {
            return dataOf(node, topic).toString();
          } catch (IOException e) {
            return e.toString();
          }
        });
  }

  /** The topic id a replica directory records, empty if none. */
  static Optional<String> topicId(Path replicaDir) throws IOException {
    return ReplicaDirectories.topicId(replicaDir);
  }

  /** The log start offset of a replica as its node's management API reports it. */
  Optional<Long> logStart(int node, String topic, int partition) {
    return cluster
        .localReplicas(node)
        .flatMap(
            json -> {
              for (JsonNode r : json.path("replicas")) {
                if (topic.equals(r.path("topic").asText())
                    && r.path("partition").asInt() == partition) {
                  return Optional.of(r.path("status").path("logStartOffset").asLong());
                }
              }
              return Optional.empty();
            });
  }
}
