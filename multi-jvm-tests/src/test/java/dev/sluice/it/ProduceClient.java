package dev.sluice.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Produces single records to a {@link NodeCluster} the way a plain HTTP client would (over HTTPS
 * with the cluster's CA and admin token when the cluster is secure): it sends to the node it
 * believes leads the partition, follows 307 redirects to the leader (remembering it), and moves on
 * to the next node when a node cannot be reached. Every request has a deadline.
 *
 * <p>The outcome says what the client may conclude: {@link Acked} is a promise of the cluster;
 * {@link Failed} with {@link Failure#NOT_SENT} means nothing was written; any other failure may or
 * may not have left the record in the log.
 *
 * <p>Thread-safe: one instance may serve several writer threads (each request is independent; the
 * leader hints are a concurrent map).
 */
final class ProduceClient {
  private static final int MAX_REDIRECTS = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  enum Acks {
    ALL("all"),
    LEADER("leader");

    final String query;

    Acks(String query) {
      this.query = query;
    }
  }

  enum Failure {
    /** No connection could be made: nothing was sent, nothing was written. */
    NOT_SENT,
    /** The node answered with an error status (503, 500, a redirect loop, ...). */
    REJECTED,
    /** No answer within the request deadline (a paused or overloaded node). */
    TIMED_OUT,
    /** The connection broke after the request went out (a node killed under it). */
    BROKEN
  }

  sealed interface Outcome permits Acked, Failed {}

  /** Answered 200: the record is at {@code offset}, acknowledged by node {@code node}. */
  record Acked(long offset, int node) implements Outcome {}

  record Failed(Failure failure, int node, String detail) implements Outcome {}

  private final NodeCluster cluster;
  private final Duration requestTimeout;
  private final HttpClient http;
  private final Map<String, Integer> leaderHints = new ConcurrentHashMap<>();

  ProduceClient(NodeCluster cluster, Duration requestTimeout) {
    this.cluster = cluster;
    this.requestTimeout = requestTimeout;
    this.http =
        cluster.security().httpClientBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  }

  Outcome produce(String topic, int partition, byte[] value, Acks acks) {
    int hint =
        leaderHints.getOrDefault(
            topic + "-" + partition, 1 + Math.floorMod(partition, cluster.size()));
    return produce(topic, partition, value, acks, hint);
  }

  /** Sends to node {@code firstNode} first, whatever this client believes about the leader. */
  Outcome produce(String topic, int partition, byte[] value, Acks acks, int firstNode) {
    String key = topic + "-" + partition;
    int node = firstNode;
    String path = "/topics/" + topic + "/partitions/" + partition + "/records?acks=" + acks.query;
    for (int hop = 0; ; hop++) {
      HttpResponse<String> r;
      try {
        r =
            http.send(
                cluster
                    .apiRequest(node, path)
                    .timeout(requestTimeout)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(value))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (HttpConnectTimeoutException | ConnectException e) {
        leaderHints.put(key, next(node));
        return new Failed(Failure.NOT_SENT, node, e.toString());
      } catch (HttpTimeoutException e) {
        leaderHints.put(key, next(node));
        return new Failed(Failure.TIMED_OUT, node, "no answer within " + requestTimeout);
      } catch (IOException e) {
        leaderHints.put(key, next(node));
        return new Failed(Failure.BROKEN, node, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Failed(Failure.BROKEN, node, "interrupted");
      }
      if (r.statusCode() == 200) {
        leaderHints.put(key, node);
        try {
          return new Acked(JSON.readTree(r.body()).get("offset").asLong(), node);
        } catch (IOException | RuntimeException e) {
          throw new AssertionError("node " + node + " answered 200 without an offset: " + r.body());
        }
      }
      if (r.statusCode() == 307 && hop < MAX_REDIRECTS) {
        OptionalInt target =
            r.headers()
                .firstValue("Location")
                .map(URI::create)
                .map(u -> cluster.nodeWithApiPort(u.getPort()))
                .orElse(OptionalInt.empty());
        if (target.isEmpty()) {
          return new Failed(Failure.REJECTED, node, "307 to an unknown node: " + r.headers().map());
        }
        node = target.getAsInt();
        leaderHints.put(key, node);
        continue;
      }
      return new Failed(Failure.REJECTED, node, r.statusCode() + " " + r.body());
    }
  }

  /** Reads the record at {@code offset} from node {@code node}: status and body. */
  HttpResponse<byte[]> read(int node, String topic, int partition, long offset)
      throws IOException, InterruptedException {
    return http.send(
        cluster
            .apiRequest(
                node, "/topics/" + topic + "/partitions/" + partition + "/records/" + offset)
            .timeout(requestTimeout)
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private int next(int node) {
    List<Integer> nodes = cluster.nodes();
    return nodes.get((nodes.indexOf(node) + 1) % nodes.size());
  }
}
