package dev.sluice.node.management;

import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one node's MBeans in an MBeanServer in line with its replicas.
 *
 * <p>The MBeanServer itself is the record of what is registered: {@link #sync} registers an MBean
 * for every open replica that has none and unregisters this node's replica MBeans whose replica is
 * gone, so nothing here can drift from what JMX shows. Names carry the node id because several
 * nodes share the platform MBeanServer in tests. Thread-safe: the methods are serialized, and after
 * {@link #unregisterAll} a late sync registers nothing.
 */
final class JmxRegistry {
  private static final Logger log = LoggerFactory.getLogger(JmxRegistry.class);
  static final String DOMAIN = "dev.sluice";
  private static final Pattern PLAIN_VALUE = Pattern.compile("[A-Za-z0-9._-]+");

  private final MBeanServer server;
  private final NodeState.Components node;
  private final BooleanSupplier ready;
  private boolean closed;

  /**
   * @param ready what {@code /ready} answers, for the node MBean
   */
  JmxRegistry(MBeanServer server, NodeState.Components node, BooleanSupplier ready) {
    this.server = server;
    this.node = node;
    this.ready = ready;
  }

  static ObjectName nodeName(int nodeId) {
    return name("type=Node,node=" + nodeId);
  }

  static ObjectName replicaName(int nodeId, PartitionId tp) {
    return name(
        "type=Replica,node="
            + nodeId
            + ",topic="
            + value(tp.topic())
            + ",partition="
            + tp.partition());
  }

  private static ObjectName replicaPattern(int nodeId) {
    return name("type=Replica,node=" + nodeId + ",*");
  }

  /** Topic names are plain today; quote anything that is not, rather than fail to register. */
  private static String value(String raw) {
    return PLAIN_VALUE.matcher(raw).matches() ? raw : ObjectName.quote(raw);
  }

  private static ObjectName name(String keys) {
    try {
      return new ObjectName(DOMAIN + ":" + keys);
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException("invalid JMX name " + DOMAIN + ":" + keys, e);
    }
  }

  synchronized void registerNode() {
    register(nodeName(node.nodeId()), new NodeBean(node, ready));
  }

  /** Registers the MBeans of new replicas and removes those of closed ones. */
  synchronized void sync() {
    if (closed) {
      return;
    }
    Set<ObjectName> open = new HashSet<>();
    for (PartitionReplica replica : node.replicas().all()) {
      PartitionId tp = replica.partitionId();
      ObjectName name = replicaName(node.nodeId(), tp);
      open.add(name);
      if (!server.isRegistered(name)) {
        register(name, new ReplicaBean(node.replicas(), tp, node.watchdog()));
      }
    }
    for (ObjectName registered : server.queryNames(replicaPattern(node.nodeId()), null)) {
      if (!open.contains(registered)) {
        unregister(registered);
      }
    }
  }

  /** Removes every MBean of this node: the node is stopping. */
  synchronized void unregisterAll() {
    closed = true;
    for (ObjectName registered : server.queryNames(replicaPattern(node.nodeId()), null)) {
      unregister(registered);
    }
    unregister(nodeName(node.nodeId()));
  }

  /**
   * Registers {@code bean}; a leftover of an earlier node with the same id in this JVM (a test that
   * did not stop its node) is replaced, so the live node is the one JMX shows.
   */
  private void register(ObjectName name, Object bean) {
    try {
      try {
        server.registerMBean(bean, name);
      } catch (InstanceAlreadyExistsException e) {
        log.warn("JMX name {} was taken, presumably by a stopped node; replacing it", name);
        unregister(name);
        server.registerMBean(bean, name);
      }
    } catch (JMException e) {
      log.warn("could not register JMX MBean {}", name, e);
    }
  }

  private void unregister(ObjectName name) {
    try {
      server.unregisterMBean(name);
    } catch (InstanceNotFoundException e) {
      // already gone: the goal is reached
    } catch (JMException e) {
      log.warn("could not unregister JMX MBean {}", name, e);
    }
  }
}
