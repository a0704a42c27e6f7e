package dev.sluice.node.management;

import dev.sluice.api.ClusterStatus.StalledReplica;
import dev.sluice.node.NodeSerializable;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.PartitionReplica;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.watchdog.ReplicaHealth;
import dev.sluice.replication.watchdog.WatchdogState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Answers, for {@code GET /cluster/status} on any node, which of this node's replicas the stall
 * watchdog flags. One per node, registered with the receptionist under {@link #SERVICE_KEY}. It
 * reads the watchdog's published state and the open replicas when asked (no disk, no waiting), so
 * it holds no state of its own.
 */
public final class StalledReplicasReporter {
  public static final ServiceKey<Command> SERVICE_KEY =
      ServiceKey.create(Command.class, "sluice-stalled-replicas");

  public sealed interface Command {}

  /** Asks for this node's stalled replicas. */
  public record GetStalledReplicas(ActorRef<StalledReplicas> replyTo)
      implements Command, NodeSerializable {}

  /** Reply: the replicas of {@code node} the watchdog flags, by topic and partition. */
  public record StalledReplicas(int node, List<StalledReplica> replicas)
      implements NodeSerializable {
    public StalledReplicas {
      replicas = List.copyOf(replicas);
    }
  }

  private StalledReplicasReporter() {}

  public static Behavior<Command> create(
      int nodeId, LocalReplicas replicas, WatchdogState watchdog) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
          return Behaviors.receive(Command.class)
              .onMessage(
                  GetStalledReplicas.class,
                  m -> {
                    m.replyTo()
                        .tell(new StalledReplicas(nodeId, stalled(nodeId, replicas, watchdog)));
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /** The open replicas that the watchdog finds stalled or escalated to unhealthy. */
  static List<StalledReplica> stalled(int nodeId, LocalReplicas replicas, WatchdogState watchdog) {
    List<StalledReplica> out = new ArrayList<>();
    for (PartitionReplica r : replicas.all()) {
      PartitionId tp = r.partitionId();
      Optional<ReplicaHealth> health = watchdog.replica(tp.dirName());
      if (health.isPresent() && (health.get().stalled() || !health.get().healthy())) {
        out.add(
            new StalledReplica(
                tp.topic(),
                tp.partition(),
                nodeId,
                health.get().stallCount(),
                !health.get().healthy()));
      }
    }
    out.sort(
        Comparator.comparing(StalledReplica::topic).thenComparingInt(StalledReplica::partition));
    return out;
  }
}
