package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The controller pushes whole snapshots to remote nodes, so one must fit an Artery frame (256 KiB
 * by default, larger messages are dropped): with the serializer settings of {@code
 * sluice-controller.conf}, a topic of the largest allowed partition count does.
 */
class MetadataSnapshotSizeTest {

  private static final int ARTERY_FRAME_BYTES = 256 * 1024;

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          "MetadataSnapshotSizeTest",
          ConfigFactory.parseString(
                  "pekko.actor.serialization-bindings {\n"
                      + "  \"dev.sluice.node.controller.ControllerSerializable\" = jackson-cbor\n"
                      + "}\n"
                      + "sluice.controller.h2-path = unused")
              .withFallback(ConfigFactory.parseResources("sluice-controller.conf"))
              .withFallback(ConfigFactory.defaultReference())
              .resolve());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void snapshotOfTheLargestTopicFitsOneArteryFrameAndRoundTrips() {
    List<List<Integer>> replicas =
        ReplicaPlacement.assign(List.of(1, 2, 3, 4, 5), Controller.MAX_PARTITIONS, 3, 0);
    Map<Integer, String> storageIds = new HashMap<>();
    for (int node = 1; node <= 5; node++) {
      storageIds.put(node, UUID.randomUUID().toString());
    }
    List<PartitionAssignment> partitions = new ArrayList<>();
    for (int p = 0; p < replicas.size(); p++) {
      partitions.add(PartitionAssignment.initial(p, replicas.get(p), storageIds));
    }
    MetadataSnapshot snapshot =
        new MetadataSnapshot(
            7, List.of(new TopicMetadata("orders", partitions)), Map.of(1, "node-1", 2, "node-2"));
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

    byte[] bytes = serialization.serialize(snapshot).get();
    Object back =
        serialization
            .deserialize(
                bytes,
                serialization.findSerializerFor(snapshot).identifier(),
                MetadataSnapshot.class.getName())
            .get();

    assertTrue(bytes.length < ARTERY_FRAME_BYTES / 4, bytes.length + " bytes");
    assertEquals(snapshot, back);
  }
}
