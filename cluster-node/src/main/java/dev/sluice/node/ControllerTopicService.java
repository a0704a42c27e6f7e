package dev.sluice.node;

import dev.sluice.api.LeaderMoves;
import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.api.ReplicaRole;
import dev.sluice.api.ReplicaState;
import dev.sluice.api.TopicDeleted;
import dev.sluice.api.TopicDescription;
import dev.sluice.config.SettingsException;
import dev.sluice.config.StorageSettings;
import dev.sluice.config.TopicSettings;
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
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The client API's view of metadata, backed by the controller singleton. Changes (create, delete,
 * add partitions, settings, leader rebalance) ask the controller and answer once this node has
 * applied the result, so that the next request to this node sees it; reads use this node's latest
 * pushed snapshot (so they work on every node without a round trip), joined for {@code describe}
 * with the live status every node reports for its own replicas.
 *
 * <p>Topic settings are checked here, against this node's storage settings, with the rules the node
 * applies to its own ({@link TopicSettings#parse}); the controller stores them as given. A settings
 * change sends the topic's whole new settings: of two changes at the same moment the later wins.
 *
 * <p>Thread-safety: stateless; reads the published metadata and asks actors.
 */
public final class ControllerTopicService implements TopicService {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final ActorRef<Controller.Command> controller;
  private final AppliedMetadata metadata;
  private final StorageSettings storage;

  /**
   * @param storage this node's storage settings: topic settings are checked against them
   */
  public ControllerTopicService(
      ActorSystem<?> system,
      ActorRef<Controller.Command> controller,
      AppliedMetadata metadata,
      StorageSettings storage) {
    this.system = system;
    this.controller = controller;
    this.metadata = metadata;
    this.storage = storage;
  }

  @Override
  public CompletionStage<TopicDescription> create(
      String name, int partitions, int replicationFactor, Map<String, String> config) {
    Map<String, String> settings;
    try {
      settings = checkedSettings(config, replicationFactor);
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
    return AskPattern.<Controller.Command, Controller.CreateTopicReply>ask(
            controller,
            replyTo ->
                new Controller.CreateTopic(name, partitions, replicationFactor, settings, replyTo),
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
                applied(
                        s ->
                            s.topic(name)
                                .map(t -> Objects.equals(t.topicId(), topic.topicId()))
                                .orElse(false))
                    .thenApply(applied -> describe(topic, Map.of())));
  }

  @Override
  public CompletionStage<TopicDeleted> delete(String name) {
    return change(replyTo -> new Controller.DeleteTopic(name, replyTo))
        .thenCompose(
            deleted ->
                applied(
                        s ->
                            s.topic(name)
                                .map(t -> !Objects.equals(t.topicId(), deleted.topicId()))
                                .orElse(true))
                    .thenApply(
                        s ->
                            new TopicDeleted(
                                deleted.name(), deleted.topicId(), deleted.partitions().size())));
  }

  @Override
  public CompletionStage<TopicDescription> addPartitions(String name, int partitions) {
    return change(replyTo -> new Controller.AddPartitions(name, partitions, replyTo))
        .thenCompose(
            grown ->
                applied(
                    s ->
                        s.topic(name)
                            .map(t -> t.partitions().size() >= grown.partitions().size())
                            .orElse(true)))
        .thenCompose(s -> describe(name));
  }

  @Override
  public CompletionStage<TopicDescription> alterConfig(String name, Map<String, String> changes) {
    Map<String, String> merged;
    try {
      TopicMetadata topic = topic(name);
      merged = new TreeMap<>(topic.config());
      for (Map.Entry<String, String> e : changes.entrySet()) {
        if (e.getValue() == null || e.getValue().isBlank()) {
          if (!TopicSettings.keys().contains(e.getKey())) {
            throw new ApiException(
                400,
                "invalid topic setting: "
                    + e.getKey()
                    + ": unknown topic setting; known are "
                    + String.join(", ", TopicSettings.keys()));
          }
          merged.remove(e.getKey());
        } else {
          merged.put(e.getKey(), e.getValue());
        }
      }
      merged = checkedSettings(merged, topic.replicationFactor());
    } catch (ApiException e) {
      return CompletableFuture.failedFuture(e);
    }
    Map<String, String> settings = merged;
    return change(replyTo -> new Controller.AlterTopicConfig(name, settings, replyTo))
        .thenCompose(
            changed ->
                applied(
                    s -> s.topic(name).map(t -> t.config().equals(changed.config())).orElse(true)))
        .thenCompose(s -> describe(name));
  }

  @Override
  public CompletionStage<LeaderMoves> rebalanceLeaders() {
    return AskPattern.<Controller.Command, Controller.LeadersMoved>ask(
            controller, Controller.RebalanceLeaders::new, ASK_TIMEOUT, system.scheduler())
        .thenApply(
            moved ->
                new LeaderMoves(
                    moved.moves().stream()
                        .map(
                            m ->
                                new LeaderMoves.Move(
                                    m.topic(), m.partition(), m.from(), m.to(), m.leaderEpoch()))
                        .toList()));
  }

  /**
   * The settings as given, checked with the node rules for a topic of {@code replicationFactor}
   * replicas; a 400 naming every bad key, value and limit.
   */
  private Map<String, String> checkedSettings(Map<String, String> config, int replicationFactor) {
    if (config.isEmpty()) {
      return Map.of();
    }
    try {
      return TopicSettings.parse(config, storage, Math.max(1, replicationFactor)).overrides();
    } catch (SettingsException e) {
      throw new ApiException(400, "invalid topic setting: " + String.join("; ", e.violations()));
    }
  }

  /** Asks the controller for a topic change; a refusal fails the stage with its status. */
  private CompletionStage<TopicMetadata> change(
      Function<ActorRef<Controller.TopicChangeReply>, Controller.Command> command) {
    return AskPattern.<Controller.Command, Controller.TopicChangeReply>ask(
            controller, command::apply, ASK_TIMEOUT, system.scheduler())
        .thenApply(
            reply -> {
              if (reply instanceof Controller.TopicChanged changed) {
                return changed.topic();
              }
              Controller.TopicRejected rejected = (Controller.TopicRejected) reply;
              throw new ApiException(httpStatus(rejected.status()), rejected.message());
            });
  }

  /** Completes once this node has applied a snapshot in which {@code condition} holds. */
  private CompletableFuture<MetadataSnapshot> applied(Predicate<MetadataSnapshot> condition) {
    return metadata.await(condition).orTimeout(ASK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
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
              p.partition(),
              p.leader(),
              p.leaderEpoch(),
              p.inSync(),
              replicas,
              p.replicas().get(0)));
    }
    return new TopicDescription(
        topic.name(),
        topic.partitions().size(),
        topic.replicationFactor(),
        partitions,
        topic.topicId(),
        topic.config());
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
