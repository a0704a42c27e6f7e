package dev.sluice.node.management;

import dev.sluice.api.ClusterStatus;
import dev.sluice.api.ClusterStatus.StalledReplica;
import dev.sluice.node.NodeAddress;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.http.ApiException;
import dev.sluice.node.http.StatusService;
import dev.sluice.node.replica.AppliedMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * {@code GET /cluster/status} of one node: its view of the cluster's membership, the controller's
 * location, the partition health of the metadata it applied ({@link ClusterHealth}), and the
 * stalled replicas every node's {@link StalledReplicasReporter} reports (asked in parallel; a node
 * that does not answer within {@link #ASK_TIMEOUT} is listed as unanswered, not as healthy).
 *
 * <p>The controller is a cluster singleton, which Pekko runs on the oldest member that is Up (or
 * leaving): that member is reported as its location.
 *
 * <p>Thread-safety: stateless; reads published state and asks actors.
 */
public final class ClusterStatusService implements StatusService {
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

  private final ActorSystem<?> system;
  private final int nodeId;
  private final AppliedMetadata metadata;
  private final int minInSyncReplicas;

  public ClusterStatusService(
      ActorSystem<?> system, int nodeId, AppliedMetadata metadata, int minInSyncReplicas) {
    this.system = system;
    this.nodeId = nodeId;
    this.metadata = metadata;
    this.minInSyncReplicas = minInSyncReplicas;
  }

  @Override
  public CompletionStage<ClusterStatus> status() {
    MetadataSnapshot snapshot = metadata.get();
    if (snapshot == null) {
      return CompletableFuture.failedFuture(
          new ApiException(503, "this node has not received cluster metadata yet; retry"));
    }
    Map<String, Integer> ids = new HashMap<>();
    snapshot
        .liveNodes()
        .forEach((id, encoded) -> ids.put(NodeAddress.parse(encoded).clusterAddress(), id));
    CurrentClusterState cluster = Cluster.get(system).state();
    ClusterHealth health = ClusterHealth.of(snapshot, minInSyncReplicas);
    return stalledReplicas()
        .thenApply(
            answers -> {
              List<StalledReplica> stalled = new ArrayList<>();
              answers.values().forEach(stalled::addAll);
              stalled.sort(
                  Comparator.comparing(StalledReplica::topic)
                      .thenComparingInt(StalledReplica::partition)
                      .thenComparingInt(StalledReplica::node));
              Set<Integer> unanswered = new TreeSet<>(snapshot.liveNodes().keySet());
              unanswered.removeAll(answers.keySet());
              return new ClusterStatus(
                  nodeId,
                  controller(cluster, ids),
                  members(cluster, ids),
                  health.partitions(),
                  health.leadersPerNode(),
                  stalled,
                  List.copyOf(unanswered));
            });
  }

  static List<ClusterStatus.Member> members(CurrentClusterState state, Map<String, Integer> ids) {
    Set<Member> unreachable = new HashSet<>(state.getUnreachable());
    List<ClusterStatus.Member> members = new ArrayList<>();
    for (Member m : state.getMembers()) {
      String address = m.address().toString();
      members.add(
          new ClusterStatus.Member(
              ids.getOrDefault(address, ClusterStatus.UNKNOWN_NODE),
              address,
              m.status().toString(),
              !unreachable.contains(m)));
    }
    members.sort(
        Comparator.comparingInt(
                (ClusterStatus.Member m) -> m.node() < 0 ? Integer.MAX_VALUE : m.node())
            .thenComparing(ClusterStatus.Member::address));
    return members;
  }

  static ClusterStatus.Controller controller(CurrentClusterState state, Map<String, Integer> ids) {
    Member oldest = null;
    for (Member m : state.getMembers()) {
      boolean eligible = m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving();
      if (eligible && (oldest == null || m.isOlderThan(oldest))) {
        oldest = m;
      }
    }
    if (oldest == null) {
      return ClusterStatus.Controller.UNKNOWN;
    }
    String address = oldest.address().toString();
    return new ClusterStatus.Controller(
        ids.getOrDefault(address, ClusterStatus.UNKNOWN_NODE), address);
  }

  /** Node id to its stalled replicas, from every reporter that answered in time. */
  private CompletionStage<Map<Integer, List<StalledReplica>>> stalledReplicas() {
    CompletionStage<Receptionist.Listing> listing =
        AskPattern.ask(
            system.receptionist(),
            replyTo -> Receptionist.find(StalledReplicasReporter.SERVICE_KEY, replyTo),
            ASK_TIMEOUT,
            system.scheduler());
    return listing.thenCompose(
        l -> {
          List<CompletableFuture<StalledReplicasReporter.StalledReplicas>> asks = new ArrayList<>();
          for (ActorRef<StalledReplicasReporter.Command> reporter :
              l.getServiceInstances(StalledReplicasReporter.SERVICE_KEY)) {
            asks.add(
                AskPattern
                    .<StalledReplicasReporter.Command, StalledReplicasReporter.StalledReplicas>ask(
                        reporter,
                        StalledReplicasReporter.GetStalledReplicas::new,
                        ASK_TIMEOUT,
                        system.scheduler())
                    .toCompletableFuture()
                    .exceptionally(t -> null));
          }
          return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
              .thenApply(
                  done -> {
                    Map<Integer, List<StalledReplica>> byNode = new HashMap<>();
                    for (CompletableFuture<StalledReplicasReporter.StalledReplicas> f : asks) {
                      StalledReplicasReporter.StalledReplicas answer = f.join();
                      if (answer != null) {
                        byNode.put(answer.node(), answer.replicas());
                      }
                    }
                    return byNode;
                  });
        });
  }
}
