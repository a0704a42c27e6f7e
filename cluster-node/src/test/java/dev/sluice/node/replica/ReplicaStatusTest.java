package dev.sluice.node.replica;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.sluice.api.ReplicaRole;
import dev.sluice.api.ReplicaState;
import dev.sluice.replication.follower.FollowerState;
import dev.sluice.replication.protocol.PartitionId;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The status a node sends for {@code GET /topics/{t}}, and the states it shows. */
class ReplicaStatusTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "ReplicaStatusTest",
          ConfigFactory.parseString(
              "pekko.actor.serialization-bindings {\n"
                  + "  \"dev.sluice.node.NodeSerializable\" = jackson-cbor\n"
                  + "}"));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void statusesCrossToAnotherNodeUnchanged() {
    ReplicaStatus leader =
        new ReplicaStatus(
            new PartitionId("orders", 3),
            1,
            ReplicaRole.LEADER,
            ReplicaState.LEADING,
            120,
            118,
            7,
            4096,
            2,
            0,
            Map.of(2, 300L, 3, -1L),
            "",
            0,
            false,
            0,
            1,
            0,
            0);
    ReplicaStatus follower =
        new ReplicaStatus(
            new PartitionId("orders", 4),
            1,
            ReplicaRole.FOLLOWER,
            ReplicaState.BACKING_OFF,
            90,
            80,
            0,
            2048,
            1,
            -1,
            Map.of(),
            "IOException: connection reset",
            400,
            true,
            2,
            5,
            1_000_000,
            4096);

    ReplicaManager.Statuses sent = new ReplicaManager.Statuses(1, List.of(leader, follower));

    assertEquals(sent, testKit.serializationTestKit().verifySerialization(sent, true));
  }

  @ParameterizedTest
  @EnumSource(FollowerState.class)
  void aFollowerShowsItsStateMachinesStateByItsLabel(FollowerState state) {
    assertEquals(state.label(), ReplicaStatus.state(state).label());
  }
}
