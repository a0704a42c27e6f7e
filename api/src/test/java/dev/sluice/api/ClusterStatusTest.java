package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden test of {@code GET /cluster/status}: what the server writes (field names and order) and
 * what the client reads back, a field a newer server adds included.
 */
class ClusterStatusTest {
  private static final ObjectMapper JSON = ApiJson.mapper();

  private static final String STATUS =
      """
      {"node": 2,
       "controller": {"node": 1, "address": "pekko://sluice@127.0.0.1:7710"},
       "members": [
         {"node": 1, "address": "pekko://sluice@127.0.0.1:7710", "status": "Up", "reachable": true},
         {"node": -1, "address": "pekko://sluice@127.0.0.1:7730", "status": "Joining",
          "reachable": false}],
       "partitions": {"total": 3,
         "underReplicated": [
           {"topic": "orders", "partition": 1, "leader": 2, "replicas": [3, 2, 1],
            "inSync": [2, 1]}],
         "underMinInSync": [],
         "offline": [
           {"topic": "logs", "partition": 0, "leader": -1, "replicas": [3], "inSync": [3]}]},
       "leadersPerNode": {"1": 1, "2": 1},
       "stalledReplicas": [
         {"topic": "orders", "partition": 0, "node": 2, "stallCount": 3, "unhealthy": true}],
       "unansweredNodes": [3]}
      """;

  private static final ClusterStatus VALUE =
      new ClusterStatus(
          2,
          new ClusterStatus.Controller(1, "pekko://sluice@127.0.0.1:7710"),
          List.of(
              new ClusterStatus.Member(1, "pekko://sluice@127.0.0.1:7710", "Up", true),
              new ClusterStatus.Member(
                  ClusterStatus.UNKNOWN_NODE, "pekko://sluice@127.0.0.1:7730", "Joining", false)),
          new ClusterStatus.Partitions(
              3,
              List.of(
                  new ClusterStatus.PartitionRef("orders", 1, 2, List.of(3, 2, 1), List.of(2, 1))),
              List.of(),
              List.of(
                  new ClusterStatus.PartitionRef(
                      "logs", 0, PartitionDescription.NO_LEADER, List.of(3), List.of(3)))),
          Map.of(2, 1, 1, 1),
          List.of(new ClusterStatus.StalledReplica("orders", 0, 2, 3, true)),
          List.of(3));

  @Test
  void writtenAsTheServerWritesIt() throws Exception {
    assertEquals(JSON.readTree(STATUS).toString(), JSON.writeValueAsString(VALUE));
  }

  @Test
  void readBackIncludingFieldsANewerServerAdds() throws Exception {
    assertEquals(VALUE, JSON.readValue(STATUS, ClusterStatus.class));
    String newer = STATUS.replace("\"node\": 2,", "\"node\": 2, \"version\": \"9.9\",");
    assertEquals(VALUE, JSON.readValue(newer, ClusterStatus.class));
  }

  @Test
  void anEmptyAnswerReadsAsNothingKnown() throws Exception {
    ClusterStatus empty = JSON.readValue("{\"node\": 4}", ClusterStatus.class);
    assertEquals(ClusterStatus.Controller.UNKNOWN, empty.controller());
    assertEquals(ClusterStatus.Partitions.NONE, empty.partitions());
    assertEquals(List.of(), empty.members());
    assertEquals(Map.of(), empty.leadersPerNode());
  }
}
