package dev.sluice.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.WatchdogState;
import java.nio.file.Path;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration follows the replicas, by node, in a private MBeanServer. */
class JmxRegistryTest {
  @TempDir Path dir;
  final MBeanServer server = MBeanServerFactory.newMBeanServer();
  LocalReplicas replicas;

  @AfterEach
  void close() {
    if (replicas != null) {
      replicas.close();
    }
  }

  @Test
  void namesCarryTheNodeAndQuoteOnlyWhatNeedsIt() {
    assertEquals(
        "dev.sluice:type=Replica,node=3,topic=orders.v2-x_y,partition=11",
        JmxRegistry.replicaName(3, new PartitionId("orders.v2-x_y", 11)).toString());
    ObjectName odd = JmxRegistry.replicaName(3, new PartitionId("a,b=c:\"d\"", 0));
    assertEquals("a,b=c:\"d\"", ObjectName.unquote(odd.getKeyProperty("topic")));
    assertEquals("dev.sluice:type=Node,node=3", JmxRegistry.nodeName(3).toString());
  }

  @Test
  void syncRegistersOpenReplicasAndRemovesClosedOnes() throws Exception {
    replicas = NodeFixtures.replicas(dir);
    WatchdogState watchdog = new WatchdogState();
    JmxRegistry registry =
        new JmxRegistry(server, new NodeState.Components(1, replicas, watchdog), () -> true);
    JmxRegistry otherNode =
        new JmxRegistry(
            server, new NodeState.Components(2, NodeFixtures.noReplicas(), watchdog), () -> true);
    PartitionId a0 = new PartitionId("a", 0);
    registry.registerNode();
    otherNode.registerNode();
    replicas.open(a0);
    registry.sync();

    ObjectName replicaA0 = JmxRegistry.replicaName(1, a0);
    assertTrue(server.isRegistered(replicaA0));
    assertEquals("follower", server.getAttribute(replicaA0, "Role"));
    assertEquals(0L, server.getAttribute(replicaA0, "LogEndOffset"));
    assertEquals(1, server.getAttribute(JmxRegistry.nodeName(1), "ReplicaCount"));

    replicas.open(new PartitionId("a", 1));
    registry.sync();
    assertEquals(2, replicaBeans(1).size());

    replicas.close(); // closes and forgets every replica
    registry.sync();
    assertEquals(List.of(), replicaBeans(1));
    assertTrue(server.isRegistered(JmxRegistry.nodeName(1)));

    registry.unregisterAll();
    assertFalse(server.isRegistered(JmxRegistry.nodeName(1)));
    assertTrue(server.isRegistered(JmxRegistry.nodeName(2)), "another node's MBeans stay");
    replicas.open(a0);
    registry.sync();
    assertEquals(List.of(), replicaBeans(1), "a stopped registry registers nothing");
  }

  @Test
  void aLeftoverOfAStoppedNodeWithTheSameIdIsReplaced() throws Exception {
    replicas = NodeFixtures.replicas(dir);
    replicas.open(new PartitionId("a", 0));
    WatchdogState watchdog = new WatchdogState();
    new JmxRegistry(
            server, new NodeState.Components(1, NodeFixtures.noReplicas(), watchdog), () -> true)
        .registerNode();
    new JmxRegistry(server, new NodeState.Components(1, replicas, watchdog), () -> true)
        .registerNode();
    assertEquals(1, server.getAttribute(JmxRegistry.nodeName(1), "ReplicaCount"));
  }

  private List<ObjectName> replicaBeans(int node) throws Exception {
    return List.copyOf(
        server.queryNames(new ObjectName("dev.sluice:type=Replica,node=" + node + ",*"), null));
  }
}
