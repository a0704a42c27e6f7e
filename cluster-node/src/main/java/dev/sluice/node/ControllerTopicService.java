package dev.sluice.node;

import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.api.ReplicaRole;
import dev.sluice.api.ReplicaState;
import dev.sluice.api.TopicDescription;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.MetadataSnapshot;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.node.http.ApiException;
import dev.sluice.node.http.TopicService;
import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.ReplicaManager;
import dev.sluice.node.replica.ReplicaStatus;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The client API's view of metadata, backed by the controller singleton. Creation asks the
 * controller; reads use this node's latest pushed snapshot (so they work on every node without a
 * round trip), joined for {@code describe} with the live status every node reports for its own
 * replicas.
 *
 * <p>Thread-safety: stateless; reads the published metadata and asks actors.
 */
public final class ControllerTopicService implements TopicService {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final ActorRef<Controller.Command> controller;
  private final AppliedMetadata metadata;

  public ControllerTopicService(
      ActorSystem<?> system, ActorRef<Controller.Command> controller, AppliedMetadata metadata) {
    this.system = system;
    this.controller = controller;
    this.metadata = metadata;
  }

  @Override
  public CompletionStage<TopicDescription> create(
      String name, int partitions, int replicationFactor) {
    return AskPattern.<Controller.Command, Controller.CreateTopicReply>ask(
            controller,
            replyTo -> new Controller.CreateTopic(name, partitions, replicationFactor, replyTo),
            ASK_TIMEOUT,
            system.scheduler())
        .thenApply(
            reply -> {
              if (reply instanceof Controller.TopicCreated created) {
                return created.topic();
              }
              Controller.TopicRejected rejected = (Controller.TopicRejected) reply;
              throw new ApiException(httpStatus(rejected.status()), rejected.message());
            })
        // Answer once this node has applied the new assignment, so that a produce sent right
        // after the 201 finds its partition.
        .thenCompose(
            topic ->
                metadata
                    .await(s -> s.topics().stream().anyMatch(t -> t.name().equals(name)))
                    .orTimeout(ASK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .thenApply(applied -> describe(topic, Map.of())));
  }

  @Override
  public CompletionStage<List<TopicDescription>> list() {
    List<TopicDescription> topics = new ArrayList<>();
    for (TopicMetadata t : snapshot().topics()) {
      topics.add(describe(t, Map.of()));
    }
    return CompletableFuture.completedFuture(topics);
  }

  @Override
  public CompletionStage<TopicDescription> describe(String name) {
    TopicMetadata topic = topic(name);
    return statuses(name).thenApply(statuses -> describe(topic, statuses));
  }

  @Override
  public CompletionStage<PartitionLocation> locate(String topicName, int partition) {
    TopicMetadata topic = topic(topicName);
    if (partition < 0 || partition >= topic.partitions().size()) {
      throw new ApiException(
          404,
          "topic "
              + topicName
              + " has no partition "
              + partition
              + " (partitions 0.."
              + (topic.partitions().size() - 1)
              + ")");
    }
    PartitionAssignment p = topic.partition(partition);
    Map<Integer, String> live = snapshot().liveNodes();
    Optional<URI> leader =
        p.hasLeader() ? Optional.ofNullable(live.get(p.leader())).map(this::api) : Optional.empty();
    List<URI> replicas = new ArrayList<>();
    leader.ifPresent(replicas::add);
    for (int node : p.inSync()) {
      String address = live.get(node);
      if (address != null && node != p.leader()) {
        replicas.add(api(address));
      }
    }
    int leaderNode = leader.isPresent() ? p.leader() : PartitionAssignment.NO_LEADER;
    return CompletableFuture.completedFuture(new PartitionLocation(leaderNode, leader, replicas));
  }

  private URI api(String encodedAddress) {
    return NodeAddress.parse(encodedAddress).apiUri();
  }

  private MetadataSnapshot snapshot() {
    MetadataSnapshot s = metadata.get();
    if (s == null) {
      throw new ApiException(503, "this node has not received cluster metadata yet; retry");
    }
    return s;
  }

  private TopicMetadata topic(String name) {
    return snapshot().topics().stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new ApiException(404, "unknown topic " + name));
  }

  /** Node -> partition -> status, from every node that answers in time. */
  private CompletionStage<Map<Integer, Map<Integer, ReplicaStatus>>> statuses(String topic) {
    CompletionStage<Receptionist.Listing> listing =
        AskPattern.ask(
            system.receptionist(),
            replyTo -> Receptionist.find(ReplicaManager.SERVICE_KEY, replyTo),
            STATUS_TIMEOUT,
            system.scheduler());
    return listing.thenCompose(
        l -> {
          List<CompletableFuture<ReplicaManager.Statuses>> asks = new ArrayList<>();
          for (ActorRef<ReplicaManager.Command> manager :
              l.getServiceInstances(ReplicaManager.SERVICE_KEY)) {
            asks.add(
                AskPattern.<ReplicaManager.Command, ReplicaManager.Statuses>ask(
                        manager,
                        replyTo -> new ReplicaManager.GetStatuses(topic, replyTo),
                        STATUS_TIMEOUT,
                        system.scheduler())
                    .toCompletableFuture()
                    .exceptionally(t -> null));
          }
          return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
              .thenApply(
                  done -> {
                    Map<Integer, Map<Integer, ReplicaStatus>> byNode = new HashMap<>();
                    for (CompletableFuture<ReplicaManager.Statuses> f : asks) {
                      ReplicaManager.Statuses s = f.join();
                      if (s != null) {
                        Map<Integer, ReplicaStatus> m = new HashMap<>();
                        s.replicas().forEach(r -> m.put(r.partition().partition(), r));
                        byNode.put(s.node(), m);
                      }
                    }
                    return byNode;
                  });
        });
  }

  private static TopicDescription describe(
      TopicMetadata topic, Map<Integer, Map<Integer, ReplicaStatus>> statuses) {
    List<PartitionDescription> partitions = new ArrayList<>();
    for (PartitionAssignment p : topic.partitions()) {
      List<ReplicaDescription> replicas = new ArrayList<>();
      ReplicaStatus leader = statuses.getOrDefault(p.leader(), Map.of()).get(p.partition());
      for (int node : p.replicas()) {
        replicas.add(
            describe(node, p, statuses.getOrDefault(node, Map.of()).get(p.partition()), leader));
      }
      partitions.add(
          new PartitionDescription(
              p.partition(), p.leader(), p.leaderEpoch(), p.inSync(), replicas));
    }
    return new TopicDescription(
        topic.name(), topic.partitions().size(), topic.replicationFactor(), partitions);
  }

  /**
   * One replica as the assignment places it, with what its node reported ({@code status}, null if
   * it did not answer). The lag of a follower is the leader's measurement when the leader reported
   * one: a follower cannot know how far behind it is.
   */
  private static ReplicaDescription describe(
      int node, PartitionAssignment p, ReplicaStatus status, ReplicaStatus leader) {
    ReplicaRole role = node == p.leader() ? ReplicaRole.LEADER : ReplicaRole.FOLLOWER;
    if (status == null) {
      return ReplicaDescription.unknown(node, role);
    }
    long lag = status.lagBytes();
    if (node == p.leader()) {
      lag = 0;
    } else if (leader != null && leader.followerLagBytes().containsKey(node)) {
      lag = leader.followerLagBytes().get(node);
    }
    return new ReplicaDescription(
        node,
        role,
        status.leo(),
        status.hw(),
        displayState(status.state(), node, p),
        lag,
        status.lastError(),
        status.backoffMillis(),
        status.stalled(),
        status.stallCount());
  }

  /**
   * The follower FSM says {@code inSync} when its log reached the leader's end; the in-sync set is
   * the controller's decision. A caught-up follower the controller has not (re)admitted yet is
   * shown as {@code caughtUp}, never as {@code inSync}.
   */
  static ReplicaState displayState(ReplicaState reported, int node, PartitionAssignment p) {
    if (reported == ReplicaState.IN_SYNC && !p.inSync().contains(node)) {
      return ReplicaState.CAUGHT_UP;
    }
    return reported;
  }

  private static int httpStatus(Controller.Status status) {
    return switch (status) {
      case BAD_REQUEST -> 400;
      case NOT_FOUND -> 404;
      case CONFLICT -> 409;
    };
  }
}
