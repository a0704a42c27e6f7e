package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident of docs/incident.md, replayed on three nodes in one JVM with {@code peer-max-bytes =
 * 1 MiB}: a topic with three replicas, some records, one follower stopped, records of 1 MiB − 1, 1
 * MiB, 1 MiB + 1, 8 MiB and 64 MiB produced, the follower restarted. It catches up by itself, comes
 * back into the in-sync set, and all three replicas hold byte-identical logs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FollowerRestartThenOversizedBatchesCatchUpTest {
  private static final int MIB = 1024 * 1024;
  private static final String TOPIC = "incident";

  @TempDir static Path dir;
  private TestCluster cluster;

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void restartedFollowerCatchesUpRecordsLargerThanTheFrameLimit() throws Exception {
    // 1. three storage nodes
    cluster =
        TestCluster.start(
            dir,
            3,
            Map.of(
                "sluice.replication.peer-max-bytes", "1MiB",
                "sluice.storage.max-batch-bytes", "128MiB",
                "sluice.storage.segment-bytes", "256MiB"));
    // 2. a partition with three replicas
    cluster.awaitCondition(
        () ->
            cluster
                    .post(
                        1,
                        "/topics",
                        "{\"name\":\"" + TOPIC + "\",\"partitions\":1,\"replicationFactor\":3}")
                    .statusCode()
                == 201,
        "topic created on all three nodes");
    JsonNode partition = cluster.describe(1, TOPIC).get("partitions").get(0);
    int leader = partition.get("leader").asInt();
    int follower = partition.get("replicas").get(2).get("node").asInt();
    assertTrue(leader != follower);

    // a node that does not lead the partition sends producers to the one that does
    int notLeader = leader == 1 ? 2 : 1;
    var redirected =
        cluster.send(
            java.net.http.HttpRequest.newBuilder(
                    cluster.uri(notLeader, "/topics/" + TOPIC + "/partitions/0/records"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x"))
                .build());
    assertEquals(307, redirected.statusCode(), redirected.body());
    assertEquals(
        cluster.uri(leader, "/topics/" + TOPIC + "/partitions/0/records").toString(),
        redirected.headers().firstValue("Location").orElseThrow());

    // 3. some records, acknowledged by all three replicas
    Random random = new Random(4472);
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      values.add(bytes(random, 100 + i));
      assertEquals(i, cluster.produce(leader, TOPIC, 0, values.get(i)));
    }

    // 4. restart one follower: it stops, leaves the in-sync set, and misses what follows
    cluster.stopNode(follower);
    int survivor = otherThan(leader, follower);
    cluster.awaitCondition(
        () -> !inSync(cluster.describe(survivor, TOPIC)).contains(follower),
        "node " + follower + " out of the in-sync set");

    // 5. records around and far above peer-max-bytes
    for (int size : new int[] {MIB - 1, MIB, MIB + 1, 8 * MIB, 64 * MIB}) {
      byte[] value = bytes(random, size);
      values.add(value);
      assertEquals(values.size() - 1, cluster.produce(leader, TOPIC, 0, value));
    }

    cluster.startNode(follower);
    long end = values.size();
    cluster.awaitCondition(
        () -> {
          JsonNode p = cluster.describe(leader, TOPIC).get("partitions").get(0);
          return inSync(cluster.describe(leader, TOPIC)).contains(follower)
              && replica(p, follower).get("leo").asLong() == end
              && replica(p, follower).get("hw").asLong() == end;
        },
        "node " + follower + " caught up to offset " + end + " and back in sync");

    Path leaderLog = cluster.dataDir(leader).resolve(TOPIC + "-0");
    for (int node = 1; node <= 3; node++) {
      assertSameSegments(leaderLog, cluster.dataDir(node).resolve(TOPIC + "-0"));
    }
    // and the restarted follower serves every value, byte for byte
    for (int offset = 0; offset < values.size(); offset++) {
      var read =
          cluster
              .node(follower)
              .replicas()
              .get(new PartitionId(TOPIC, 0))
              .orElseThrow()
              .log()
              .locate(offset)
              .orElseThrow();
      assertEquals(values.get(offset).length, read.valueLength(), "offset " + offset);
      if (read.valueLength() <= MIB) {
        assertArrayEquals(values.get(offset), read.readValue(), "offset " + offset);
      }
    }
  }

  private static void assertSameSegments(Path expected, Path actual) throws IOException {
    List<Path> want = segments(expected);
    List<Path> got = segments(actual);
    assertEquals(
        want.stream().map(p -> p.getFileName().toString()).toList(),
        got.stream().map(p -> p.getFileName().toString()).toList(),
        "segment files of " + actual);
    for (int i = 0; i < want.size(); i++) {
      assertEquals(-1L, Files.mismatch(want.get(i), got.get(i)), got.get(i) + " differs");
    }
  }

  private static List<Path> segments(Path partitionDir) throws IOException {
    try (Stream<Path> files = Files.list(partitionDir)) {
      return files.filter(p -> p.toString().endsWith(".log")).sorted().toList();
    }
  }

  private static List<Integer> inSync(JsonNode topic) {
    List<Integer> out = new ArrayList<>();
    topic.get("partitions").get(0).get("inSync").forEach(n -> out.add(n.asInt()));
    return out;
  }

  private static JsonNode replica(JsonNode partition, int node) {
    for (JsonNode r : partition.get("replicas")) {
      if (r.get("node").asInt() == node) {
        return r;
      }
    }
    throw new AssertionError("no replica on node " + node + " in " + partition);
  }

  private static int otherThan(int a, int b) {
    for (int n = 1; n <= 3; n++) {
      if (n != a && n != b) {
        return n;
      }
    }
    throw new IllegalArgumentException();
  }

  private static byte[] bytes(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }
}
