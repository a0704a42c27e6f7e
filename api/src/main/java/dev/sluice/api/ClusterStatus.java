package dev.sluice.api;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code GET /cluster/status} answers: the cluster at a glance, as the answering node sees it.
 * Membership comes from that node's view of the Pekko cluster, partitions from the controller
 * metadata it applied, and stalled replicas from every node that answered in time (a node that did
 * not is listed in {@code unansweredNodes}, so that "no stalled replicas" is never claimed for it).
 *
 * <p>Thread-safety: immutable.
 *
 * @param node id of the node that answered
 * @param controller where the controller runs
 * @param members every cluster member, by address
 * @param partitions the partition counts an operator alerts on, with the partitions named
 * @param leadersPerNode partitions each live node leads, by node id (0 for a live node leading
 *     none)
 * @param stalledReplicas replicas the stall watchdog of their node flags, by topic, partition, node
 * @param unansweredNodes live nodes whose stalled replicas are unknown (they did not answer)
 */
public record ClusterStatus(
    int node,
    Controller controller,
    List<Member> members,
    Partitions partitions,
    Map<Integer, Integer> leadersPerNode,
    List<StalledReplica> stalledReplicas,
    List<Integer> unansweredNodes) {

  /** A node id the answering node cannot name (a member that registered with no controller). */
  public static final int UNKNOWN_NODE = -1;

  public ClusterStatus {
    members = members == null ? List.of() : List.copyOf(members);
    leadersPerNode =
        leadersPerNode == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(leadersPerNode));
    stalledReplicas = stalledReplicas == null ? List.of() : List.copyOf(stalledReplicas);
    unansweredNodes = unansweredNodes == null ? List.of() : List.copyOf(unansweredNodes);
    partitions = partitions == null ? Partitions.NONE : partitions;
    controller = controller == null ? Controller.UNKNOWN : controller;
  }

  /**
   * The member the controller singleton runs on: the oldest member that is Up (or leaving).
   *
   * @param node its node id, {@value ClusterStatus#UNKNOWN_NODE} if not known
   * @param address its cluster address, empty when the cluster has no such member
   */
  public record Controller(int node, String address) {
    public static final Controller UNKNOWN = new Controller(UNKNOWN_NODE, "");

    public Controller {
      address = address == null ? "" : address;
    }
  }

  /**
   * One cluster member.
   *
   * @param node its node id, {@value ClusterStatus#UNKNOWN_NODE} while it has not registered
   * @param address its cluster address
   * @param status Pekko's member status: {@code Joining}, {@code Up}, {@code Leaving}, ...
   * @param reachable false while the failure detector of some member reports it unreachable
   */
  public record Member(int node, String address, String status, boolean reachable) {}

  /**
   * Partition counts over the whole cluster, from the controller's metadata.
   *
   * @param total every partition of every topic
   * @param underReplicated partitions whose in-sync set is smaller than their replicas
   * @param underMinInSync partitions with fewer in-sync replicas than min-in-sync-replicas:
   *     acks=all produce is refused there
   * @param offline partitions without a leader
   */
  public record Partitions(
      int total,
      List<PartitionRef> underReplicated,
      List<PartitionRef> underMinInSync,
      List<PartitionRef> offline) {
    public static final Partitions NONE = new Partitions(0, List.of(), List.of(), List.of());

    public Partitions {
      underReplicated = underReplicated == null ? List.of() : List.copyOf(underReplicated);
      underMinInSync = underMinInSync == null ? List.of() : List.copyOf(underMinInSync);
      offline = offline == null ? List.of() : List.copyOf(offline);
    }
  }

  /**
   * One partition in a list of {@link Partitions}.
   *
   * @param leader node id of the leader, {@value PartitionDescription#NO_LEADER} when offline
   * @param replicas every replica, preferred leader first
   * @param inSync the in-sync replicas
   */
  public record PartitionRef(
      String topic, int partition, int leader, List<Integer> replicas, List<Integer> inSync) {
    public PartitionRef {
      replicas = replicas == null ? List.of() : List.copyOf(replicas);
      inSync = inSync == null ? List.of() : List.copyOf(inSync);
    }
  }

  /**
   * A replica its node's stall watchdog flags: behind its leader without progress.
   *
   * @param node the node holding the replica
   * @param stallCount stalls in the current episode
   * @param unhealthy escalated to the top level: stalled again and again despite transfer restarts
   *     and smaller frames
   */
  public record StalledReplica(
      String topic, int partition, int node, int stallCount, boolean unhealthy) {}
}
