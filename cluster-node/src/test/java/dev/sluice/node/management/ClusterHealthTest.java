package dev.sluice.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.api.ClusterStatus.PartitionRef;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterHealthTest {
  private static final Map<Integer, String> IDS = Map.of();

  @Test
  void countsEachKindOfTroubleOverEveryTopic() {
    PartitionAssignment healthy = PartitionAssignment.initial(0, List.of(1, 2, 3), IDS);
    PartitionAssignment under =
        PartitionAssignment.initial(1, List.of(2, 3, 1), IDS).withInSync(List.of(2, 3), IDS);
    PartitionAssignment belowMin =
        PartitionAssignment.initial(2, List.of(3, 1, 2), IDS).withInSync(List.of(3), IDS);
    PartitionAssignment offline =
        PartitionAssignment.initial(0, List.of(3), IDS)
            .withLeader(PartitionAssignment.NO_LEADER, 1);
    MetadataSnapshot snapshot =
        new MetadataSnapshot(
            7,
            List.of(
                new TopicMetadata("orders", List.of(healthy, under, belowMin)),
                new TopicMetadata("logs", List.of(offline))),
            Map.of(1, "a", 2, "b", 4, "d"));

    ClusterHealth health = ClusterHealth.of(snapshot, 2);

    assertEquals(4, health.total());
    assertEquals(
        List.of(
            new PartitionRef("orders", 1, 2, List.of(2, 3, 1), List.of(2, 3)),
            new PartitionRef("orders", 2, 3, List.of(3, 1, 2), List.of(3))),
        health.underReplicated());
    // The leader's rule: fewer in sync than min-in-sync-replicas, even for a topic with fewer
    // replicas than that (acks=all is refused there too).
    assertEquals(
        List.of(
            new PartitionRef("orders", 2, 3, List.of(3, 1, 2), List.of(3)),
            new PartitionRef("logs", 0, -1, List.of(3), List.of(3))),
        health.underMinInSync());
    assertEquals(
        List.of(new PartitionRef("logs", 0, -1, List.of(3), List.of(3))), health.offline());
    // Live nodes lead what they lead, 0 included; node 3 leads but is not live: still counted.
    assertEquals(Map.of(1, 1, 2, 1, 3, 1, 4, 0), health.leadersPerNode());
  }

  @Test
  void aTopicsOwnMinInSyncReplicasDecidesForItsPartitions() {
    PartitionAssignment twoOfThree =
        PartitionAssignment.initial(0, List.of(1, 2, 3), IDS).withInSync(List.of(1, 2), IDS);
    MetadataSnapshot snapshot =
        new MetadataSnapshot(
            3,
            List.of(
                new TopicMetadata(
                    "strict", List.of(twoOfThree), "id-1", Map.of("min-in-sync-replicas", "3")),
                new TopicMetadata("relaxed", List.of(twoOfThree), "id-2", Map.of())),
            Map.of(1, "a", 2, "b", 3, "c"));

    ClusterHealth health = ClusterHealth.of(snapshot, 2);

    assertEquals(
        List.of(new PartitionRef("strict", 0, 1, List.of(1, 2, 3), List.of(1, 2))),
        health.underMinInSync());
    assertEquals(2, health.underReplicated().size());
  }

  @Test
  void nothingIsKnownBeforeTheFirstSnapshot() {
    assertEquals(ClusterHealth.UNKNOWN, ClusterHealth.of(null, 2));
    assertEquals(0, ClusterHealth.UNKNOWN.total());
  }
}
