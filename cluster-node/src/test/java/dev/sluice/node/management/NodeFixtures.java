package dev.sluice.node.management;

import dev.sluice.config.SluiceSettings;
import dev.sluice.node.TestNodes;
import dev.sluice.node.replica.LocalReplicas;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** Components of a node for management tests that need no running node. */
final class NodeFixtures {
  private NodeFixtures() {}

  /** Replicas of a node under {@code dir}, none open yet. */
  static LocalReplicas replicas(Path dir) {
    SluiceSettings settings = SluiceSettings.from(TestNodes.singleNode(dir, Map.of()));
    return new LocalReplicas(1, dir.resolve("data"), settings.storage(), Clock.systemUTC());
  }

  /** Replicas that never open anything (no directory is touched). */
  static LocalReplicas noReplicas() {
    return replicas(Path.of(System.getProperty("java.io.tmpdir"), "sluice-management-unused"));
  }
}
