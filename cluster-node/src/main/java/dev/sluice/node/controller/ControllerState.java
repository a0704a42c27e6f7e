package dev.sluice.node.controller;

import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.Event.InSyncSetChanged;
import dev.sluice.node.controller.Controller.Event.LeaderElected;
import dev.sluice.node.controller.Controller.Event.NodeJoined;
import dev.sluice.node.controller.Controller.Event.NodeLeft;
import dev.sluice.node.controller.Controller.Event.TopicCreated;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The controller's durable state: topics with their assignments, and the live nodes. Immutable;
 * {@link #apply} returns a new state. Also decides, purely, which events a membership change
 * causes, so failover rules are testable without actors.
 *
 * <p>Live nodes are part of the durable state (as {@code NodeJoined} / {@code NodeLeft} events)
 * rather than volatile: elections are derived from the event log alone, so a controller that
 * recovers on another node knows which replicas were live when each leader was chosen, and can
 * check replication factors before the membership listener has spoken. The listener corrects the
 * recovered view with {@link Controller.SyncLiveNodes}.
 *
 * @param revision number of events applied; grows with every change
 * @param topics topic name to metadata, sorted by name
 * @param liveNodes node id to its registered address, sorted by id
 */
public record ControllerState(
    long revision, Map<String, TopicMetadata> topics, Map<Integer, String> liveNodes)
    implements ControllerSerializable {

  public ControllerState {
    topics = Collections.unmodifiableMap(new TreeMap<>(topics));
    liveNodes = Collections.unmodifiableMap(new TreeMap<>(liveNodes));
  }

  public static ControllerState empty() {
    return new ControllerState(0, Map.of(), Map.of());
  }

  public Optional<TopicMetadata> topic(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  /** Partitions over all topics; the start offset of the next topic's placement. */
  public int totalPartitions() {
    return topics.values().stream().mapToInt(t -> t.partitions().size()).sum();
  }

  public MetadataSnapshot toSnapshot() {
    return new MetadataSnapshot(revision, List.copyOf(topics.values()), liveNodes);
  }

  public ControllerState apply(Event event) {
    if (event instanceof TopicCreated e) {
      return next(withTopic(topics, e.topic()), liveNodes);
    } else if (event instanceof LeaderElected e) {
      PartitionAssignment p = partition(e.topic(), e.partition());
      return withPartition(e.topic(), p.withLeader(e.leader(), e.leaderEpoch()));
    } else if (event instanceof InSyncSetChanged e) {
      return withPartition(e.topic(), partition(e.topic(), e.partition()).withInSync(e.inSync()));
    } else if (event instanceof NodeJoined e) {
      Map<Integer, String> live = new TreeMap<>(liveNodes);
      live.put(e.nodeId(), e.address());
      return next(topics, live);
    } else if (event instanceof NodeLeft e) {
      Map<Integer, String> live = new TreeMap<>(liveNodes);
      live.remove(e.nodeId());
      return next(topics, live);
    }
    throw new IllegalArgumentException("unknown controller event " + event);
  }

  public ControllerState applyAll(List<? extends Event> events) {
    ControllerState state = this;
    for (Event event : events) {
      state = state.apply(event);
    }
    return state;
  }

  /**
   * Events for a node leaving: it leaves the live set, and every in-sync set it was in; each
   * partition it led gets a new leader from the in-sync set among live nodes (preferred order) and
   * a bumped epoch, or goes offline (leader -1, epoch bumped) when no in-sync replica is live,
   * because unclean election is off. An offline partition keeps its last in-sync set so that one of
   * those replicas may lead again when it returns.
   */
  public List<Event> nodeDown(int nodeId) {
    if (!liveNodes.containsKey(nodeId)) {
      return List.of();
    }
    List<Event> events = new ArrayList<>();
    events.add(new NodeLeft(nodeId));
    for (TopicMetadata topic : topics.values()) {
      for (PartitionAssignment p : topic.partitions()) {
        if (p.leader() == nodeId) {
          events.addAll(electAfterLeaderLoss(topic.name(), p, nodeId));
        } else if (p.hasLeader() && p.inSync().contains(nodeId)) {
          events.add(
              new InSyncSetChanged(
                  topic.name(), p.partition(), p.leaderEpoch(), without(p.inSync(), nodeId)));
        }
      }
    }
    return List.copyOf(events);
  }

  /**
   * Events for a node joining (or re-registering with a new address): it enters the live set, and
   * every offline partition whose last in-sync set holds it elects it, a clean election.
   */
  public List<Event> nodeUp(int nodeId, String address) {
    if (address.equals(liveNodes.get(nodeId))) {
      return List.of();
    }
    List<Event> events = new ArrayList<>();
    events.add(new NodeJoined(nodeId, address));
    for (TopicMetadata topic : topics.values()) {
      for (PartitionAssignment p : topic.partitions()) {
        if (!p.hasLeader() && p.inSync().contains(nodeId)) {
          events.add(new LeaderElected(topic.name(), p.partition(), nodeId, p.leaderEpoch() + 1));
        }
      }
    }
    return List.copyOf(events);
  }

  /**
   * Events that bring the live set to exactly {@code members}: the nodes missing from it go down
   * first (so their partitions fail over to nodes that are still members), then new or moved nodes
   * come up.
   */
  public List<Event> syncLiveNodes(Map<Integer, String> members) {
    List<Event> events = new ArrayList<>();
    ControllerState state = this;
    for (Integer nodeId : liveNodes.keySet()) {
      if (!members.containsKey(nodeId)) {
        List<Event> down = state.nodeDown(nodeId);
        events.addAll(down);
        state = state.applyAll(down);
      }
    }
    for (Map.Entry<Integer, String> member : new TreeMap<>(members).entrySet()) {
      List<Event> up = state.nodeUp(member.getKey(), member.getValue());
      events.addAll(up);
      state = state.applyAll(up);
    }
    return List.copyOf(events);
  }

  private List<Event> electAfterLeaderLoss(String topic, PartitionAssignment p, int lost) {
    Optional<Integer> successor =
        p.inSync().stream().filter(r -> r != lost && liveNodes.containsKey(r)).findFirst();
    int epoch = p.leaderEpoch() + 1;
    if (successor.isEmpty()) {
      return List.of(new LeaderElected(topic, p.partition(), PartitionAssignment.NO_LEADER, epoch));
    }
    return List.of(
        new InSyncSetChanged(topic, p.partition(), p.leaderEpoch(), without(p.inSync(), lost)),
        new LeaderElected(topic, p.partition(), successor.get(), epoch));
  }

  private PartitionAssignment partition(String topic, int partition) {
    TopicMetadata t =
        Objects.requireNonNull(topics.get(topic), () -> "event for unknown topic " + topic);
    return t.partition(partition);
  }

  private ControllerState withPartition(String topic, PartitionAssignment changed) {
    return next(withTopic(topics, topics.get(topic).withPartition(changed)), liveNodes);
  }

  private ControllerState next(Map<String, TopicMetadata> newTopics, Map<Integer, String> live) {
    return new ControllerState(revision + 1, newTopics, live);
  }

  private static Map<String, TopicMetadata> withTopic(
      Map<String, TopicMetadata> topics, TopicMetadata topic) {
    Map<String, TopicMetadata> copy = new TreeMap<>(topics);
    copy.put(topic.name(), topic);
    return copy;
  }

  private static List<Integer> without(List<Integer> nodes, int nodeId) {
    return nodes.stream().filter(n -> n != nodeId).toList();
  }
}
