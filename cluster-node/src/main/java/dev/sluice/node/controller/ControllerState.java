package dev.sluice.node.controller;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.sluice.node.controller.Controller.Event;
import dev.sluice.node.controller.Controller.Event.InSyncSetChanged;
import dev.sluice.node.controller.Controller.Event.LeaderElected;
import dev.sluice.node.controller.Controller.Event.NodeJoined;
import dev.sluice.node.controller.Controller.Event.NodeLeft;
import dev.sluice.node.controller.Controller.Event.PartitionsAdded;
import dev.sluice.node.controller.Controller.Event.ProducerIdsAllocated;
import dev.sluice.node.controller.Controller.Event.TopicConfigChanged;
import dev.sluice.node.controller.Controller.Event.TopicCreated;
import dev.sluice.node.controller.Controller.Event.TopicDeleted;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The controller's durable state: topics with their assignments, the live nodes, the storage id
 * each node registered with, and where the next block of producer ids starts. Immutable; {@link
 * #apply} returns a new state. Also decides, purely, which events a membership change causes, so
 * failover rules are testable without actors.
 *
 * <p>Live nodes are part of the durable state (as {@code NodeJoined} / {@code NodeLeft} events)
 * rather than volatile: elections are derived from the event log alone, so a controller that
 * recovers on another node knows which replicas were live when each leader was chosen, and can
 * check replication factors before the membership listener has spoken.
 *
 * <p>Election rule (docs/replication.md, "Failover: no acknowledged record is lost", section 6
 * "Eligible leaders"): a replica is <em>eligible</em> to lead a partition when it is live, in the
 * in-sync set, and its node's current storage id is the one recorded for its membership (an unknown
 * id on either side is accepted, as before ids existed). A leader is always the first eligible
 * replica in preferred order; with none, the partition goes or stays offline, unless the {@link
 * ElectionPolicy} allows an unclean election. A node that registers with another storage id than
 * the one recorded for it (its disk was wiped or replaced) leads nothing and leaves every in-sync
 * set that has a leader; an offline partition keeps it in its in-sync set with the old id, so that
 * only the old disk can bring the partition back cleanly.
 *
 * @param revision number of events applied; grows with every change
 * @param topics topic name to metadata, sorted by name
 * @param liveNodes node id to its registered address, sorted by id
 * @param storageIds node id to the storage id it last registered with, sorted by id; kept after the
 *     node leaves, so that its return with another disk is recognized even where no id was recorded
 *     for its membership. A node that registered without one has no entry
 * @param deletedTopics every deleted topic, oldest first (see {@link DeletedTopic}); absent from
 *     snapshots written before topics could be deleted
 * @param nextProducerId the first producer id never handed out ({@link ProducerIdsAllocated}):
 *     every id below it belongs to a block some node received, so ids stay unique for the cluster's
 *     lifetime; 0 in snapshots written before producer ids existed (none was given out)
 */
public record ControllerState(
    long revision,
    Map<String, TopicMetadata> topics,
    Map<Integer, String> liveNodes,
    Map<Integer, String> storageIds,
    List<DeletedTopic> deletedTopics,
    long nextProducerId)
    implements ControllerSerializable {

  /** A state without deleted topics or producer ids given out. */
  public ControllerState(
      long revision,
      Map<String, TopicMetadata> topics,
      Map<Integer, String> liveNodes,
      Map<Integer, String> storageIds) {
    this(revision, topics, liveNodes, storageIds, List.of(), 0);
  }

  @JsonCreator
  public ControllerState {
    if (nextProducerId < 0) {
      throw new IllegalArgumentException("next producer id " + nextProducerId + " is negative");
    }
    deletedTopics = deletedTopics == null ? List.of() : List.copyOf(deletedTopics);
    topics = Collections.unmodifiableMap(new TreeMap<>(topics));
    liveNodes = Collections.unmodifiableMap(new TreeMap<>(liveNodes));
    // Absent from snapshots written before storage ids existed.
    storageIds =
        Collections.unmodifiableMap(
            storageIds == null ? new TreeMap<>() : new TreeMap<>(storageIds));
  }

  public static ControllerState empty() {
    return new ControllerState(0, Map.of(), Map.of(), Map.of());
  }

  /** The events a change causes, in the order they must be persisted, and what to log about it. */
  public record Changes(List<Event> events, List<Notice> notices) {
    public static final Changes NONE = new Changes(List.of(), List.of());

    public Changes {
      events = List.copyOf(events);
      notices = List.copyOf(notices);
    }
  }

  /**
   * A line for the operator about a decision: an election, a partition going offline or coming
   * back, a replaced disk. Decided here, logged by the {@link Controller}.
   */
  public record Notice(Severity severity, String message) {
    public enum Severity {
      INFO,
      WARN
    }
  }

  public Optional<TopicMetadata> topic(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  /** Partitions over all topics; the start offset of the next topic's placement. */
  public int totalPartitions() {
    return topics.values().stream().mapToInt(t -> t.partitions().size()).sum();
  }

  public MetadataSnapshot toSnapshot() {
    return new MetadataSnapshot(revision, List.copyOf(topics.values()), liveNodes, deletedTopics);
  }

  /** The storage ids of those of {@code nodes} that registered one. */
  public Map<Integer, String> storageIdsOf(Collection<Integer> nodes) {
    Map<Integer, String> ids = new TreeMap<>();
    for (Integer node : nodes) {
      String id = storageIds.get(node);
      if (id != null) {
        ids.put(node, id);
      }
    }
    return ids;
  }

  /**
   * Whether {@code node} may lead {@code p}: live, in sync, and holding the disk its membership was
   * recorded with (an unknown id, recorded or current, is accepted).
   */
  public boolean eligible(PartitionAssignment p, int node) {
    if (!liveNodes.containsKey(node) || !p.inSync().contains(node)) {
      return false;
    }
    String recorded = p.recordedStorageId(node);
    String current = storageIds.get(node);
    return recorded == null || current == null || recorded.equals(current);
  }

  public ControllerState apply(Event event) {
    if (event instanceof TopicCreated e) {
      return next(withTopic(topics, e.topic()), liveNodes, storageIds);
    } else if (event instanceof TopicDeleted e) {
      Map<String, TopicMetadata> rest = new TreeMap<>(topics);
      rest.remove(e.topic());
      List<DeletedTopic> deleted = new ArrayList<>(deletedTopics);
      deleted.add(new DeletedTopic(e.topic(), e.topicId(), e.partitions()));
      return new ControllerState(
          revision + 1, rest, liveNodes, storageIds, deleted, nextProducerId);
    } else if (event instanceof PartitionsAdded e) {
      TopicMetadata t =
          Objects.requireNonNull(
              topics.get(e.topic()), () -> "event for unknown topic " + e.topic());
      return next(withTopic(topics, t.withPartitionsAdded(e.partitions())), liveNodes, storageIds);
    } else if (event instanceof TopicConfigChanged e) {
      TopicMetadata t =
          Objects.requireNonNull(
              topics.get(e.topic()), () -> "event for unknown topic " + e.topic());
      return next(withTopic(topics, t.withConfig(e.config())), liveNodes, storageIds);
    } else if (event instanceof LeaderElected e) {
      PartitionAssignment p = partition(e.topic(), e.partition());
      return withPartition(e.topic(), p.withLeader(e.leader(), e.leaderEpoch()));
    } else if (event instanceof InSyncSetChanged e) {
      PartitionAssignment p = partition(e.topic(), e.partition());
      // Events written before storage ids existed carry none: members keep what they had.
      Map<Integer, String> ids =
          e.inSyncStorageIds() != null ? e.inSyncStorageIds() : p.inSyncStorageIds();
      return withPartition(e.topic(), p.withInSync(e.inSync(), ids));
    } else if (event instanceof NodeJoined e) {
      Map<Integer, String> live = new TreeMap<>(liveNodes);
      live.put(e.nodeId(), e.address());
      Map<Integer, String> ids = new TreeMap<>(storageIds);
      if (e.storageId() != null) {
        ids.put(e.nodeId(), e.storageId());
      } else {
        ids.remove(e.nodeId());
      }
      return next(topics, live, ids);
    } else if (event instanceof ProducerIdsAllocated e) {
      // Never back: a block is handed out once, even if an event ever named an older range.
      long next = Math.max(nextProducerId, e.firstId() + e.count());
      return new ControllerState(revision + 1, topics, liveNodes, storageIds, deletedTopics, next);
    } else if (event instanceof NodeLeft e) {
      Map<Integer, String> live = new TreeMap<>(liveNodes);
      live.remove(e.nodeId());
      return next(topics, live, storageIds);
    }
    throw new IllegalArgumentException("unknown controller event " + event);
  }

  /**
   * The event that hands out the next {@code count} producer ids, from {@link #nextProducerId} on.
   *
   * @throws IllegalArgumentException if {@code count} is not between 1 and {@code maxCount}, or the
   *     ids would pass {@link Long#MAX_VALUE}
   */
  public ProducerIdsAllocated allocateProducerIds(int count, int maxCount) {
    if (count < 1 || count > maxCount) {
      throw new IllegalArgumentException(
          "a block of " + count + " producer ids; a block holds 1 to " + maxCount);
    }
    if (nextProducerId > Long.MAX_VALUE - count) {
      throw new IllegalArgumentException(
          "a block of "
              + count
              + " producer ids from "
              + nextProducerId
              + " would pass the largest id "
              + Long.MAX_VALUE
              + "; the cluster has run out of producer ids");
    }
    return new ProducerIdsAllocated(nextProducerId, count);
  }

  /**
   * The event that makes {@code inSync} the in-sync set of {@code p}: members that stay keep their
   * recorded storage ids, members that join are tied to their node's current one. The set is put in
   * replica order; the event is at the partition's current leader epoch.
   */
  public InSyncSetChanged inSyncChange(String topic, PartitionAssignment p, List<Integer> inSync) {
    List<Integer> members = p.replicas().stream().filter(inSync::contains).toList();
    Map<Integer, String> ids = new TreeMap<>();
    for (Integer node : members) {
      String id = p.inSync().contains(node) ? p.recordedStorageId(node) : storageIds.get(node);
      if (id != null) {
        ids.put(node, id);
      }
    }
    return new InSyncSetChanged(topic, p.partition(), p.leaderEpoch(), members, ids);
  }

  /**
   * Events for a node leaving: it leaves the live set, and every in-sync set of a partition that
   * has a leader; each partition it led fails over to its first eligible replica with a bumped
   * epoch; with no eligible replica it goes offline (leader -1, epoch bumped, in-sync set kept),
   * unless the policy allows an unclean election and some replica is live.
   */
  public Changes nodeDown(int nodeId, ElectionPolicy policy) {
    if (!liveNodes.containsKey(nodeId)) {
      return Changes.NONE;
    }
    Plan plan = new Plan(this, policy);
    plan.add(new NodeLeft(nodeId));
    for (TopicMetadata topic : topics.values()) {
      for (int i = 0; i < topic.partitions().size(); i++) {
        PartitionAssignment p = plan.partition(topic.name(), i);
        if (p.leader() == nodeId) {
          plan.failOver(topic.name(), p, nodeId, "node " + nodeId + " left");
        } else if (p.hasLeader() && p.inSync().contains(nodeId)) {
          plan.add(plan.state.inSyncChange(topic.name(), p, without(p.inSync(), nodeId)));
        }
      }
    }
    return plan.changes();
  }

  /**
   * Events for a node registering: nothing if it is live with the same address and storage id;
   * otherwise it enters the live set with them. If its storage id differs from the one recorded for
   * an in-sync membership (or, where none is recorded, from the id it registered with before), that
   * membership's data is gone: a partition it leads fails over as if it had left, a partition with
   * another leader drops it from the in-sync set, an offline partition keeps it but will not elect
   * it. Then every offline partition it is a replica of holds an election.
   */
  public Changes nodeUp(int nodeId, String address, String storageId, ElectionPolicy policy) {
    String previous = storageIds.get(nodeId);
    if (address.equals(liveNodes.get(nodeId)) && Objects.equals(storageId, previous)) {
      return Changes.NONE;
    }
    Plan plan = new Plan(this, policy);
    plan.add(new NodeJoined(nodeId, address, storageId));
    if (storageId != null && previous != null && !previous.equals(storageId)) {
      plan.warn(
          "Node %d registered with storage id %s, before with %s: its data directory was wiped or"
              + " replaced since, it holds none of the data of its in-sync memberships",
          nodeId, storageId, previous);
    }
    if (storageId != null) {
      for (TopicMetadata topic : topics.values()) {
        for (int i = 0; i < topic.partitions().size(); i++) {
          plan.dropStaleMembership(topic.name(), i, nodeId, storageId, previous);
        }
      }
    }
    for (TopicMetadata topic : topics.values()) {
      for (int i = 0; i < topic.partitions().size(); i++) {
        PartitionAssignment p = plan.partition(topic.name(), i);
        if (!p.hasLeader() && p.replicas().contains(nodeId)) {
          plan.electOffline(topic.name(), p);
        }
      }
    }
    return plan.changes();
  }

  private PartitionAssignment partition(String topic, int partition) {
    TopicMetadata t =
        Objects.requireNonNull(topics.get(topic), () -> "event for unknown topic " + topic);
    return t.partition(partition);
  }

  private ControllerState withPartition(String topic, PartitionAssignment changed) {
    return next(withTopic(topics, topics.get(topic).withPartition(changed)), liveNodes, storageIds);
  }

  private ControllerState next(
      Map<String, TopicMetadata> newTopics, Map<Integer, String> live, Map<Integer, String> ids) {
    return new ControllerState(revision + 1, newTopics, live, ids, deletedTopics, nextProducerId);
  }

  /**
   * A partition whose leader is not its preferred replica (the first), although that replica may
   * lead: live, in the in-sync set and on the disk its membership was recorded with.
   */
  private boolean preferredCanTakeOver(PartitionAssignment p) {
    int preferred = p.replicas().get(0);
    return p.hasLeader() && p.leader() != preferred && eligible(p, preferred);
  }

  /**
   * Events that give leadership back to preferred replicas (docs/replication.md, "Preferred
   * leaders"): each partition whose preferred replica is eligible (live, in sync, on its recorded
   * disk) but does not lead gets it as leader with a bumped epoch, as in a failover. The in-sync
   * set stays as it is: the old leader follows, and cuts whatever it holds that is not committed.
   *
   * <p>An in-sync replica holds every committed record (the high watermark waits for the maximal
   * in-sync set), so the move loses no acknowledged record; the old leader's acks=all requests in
   * flight fail with "may or may not be committed", as on every leader change.
   *
   * @param imbalancePercent with automatic balance: a node's partitions move only when more than
   *     this share of those it prefers (percent) is led elsewhere and could move; a manual
   *     rebalance passes 0, which moves every partition that can
   */
  public Changes preferredLeaderMoves(int imbalancePercent) {
    Map<Integer, Integer> preferredCount = new TreeMap<>();
    Map<Integer, Integer> movable = new TreeMap<>();
    for (TopicMetadata topic : topics.values()) {
      for (PartitionAssignment p : topic.partitions()) {
        int preferred = p.replicas().get(0);
        preferredCount.merge(preferred, 1, Integer::sum);
        if (preferredCanTakeOver(p)) {
          movable.merge(preferred, 1, Integer::sum);
        }
      }
    }
    Plan plan = new Plan(this, ElectionPolicy.CLEAN_ONLY);
    for (TopicMetadata topic : topics.values()) {
      for (PartitionAssignment p : topic.partitions()) {
        int preferred = p.replicas().get(0);
        if (!preferredCanTakeOver(p)) {
          continue;
        }
        long share = 100L * movable.getOrDefault(preferred, 0) / preferredCount.get(preferred);
        if (imbalancePercent > 0 && share <= imbalancePercent) {
          continue;
        }
        int epoch = p.leaderEpoch() + 1;
        plan.add(new LeaderElected(topic.name(), p.partition(), preferred, epoch));
        plan.info(
            "Partition %s-%d: leadership back to its preferred replica %d (from %d) at epoch %d",
            topic.name(), p.partition(), preferred, p.leader(), epoch);
      }
    }
    return plan.changes();
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

  /**
   * Why no replica of {@code p} other than {@code excluded} is eligible: either the live in-sync
   * replicas all hold another disk than recorded, or none is live.
   */
  private String noEligibleReason(PartitionAssignment p, int excluded) {
    List<String> replaced = new ArrayList<>();
    for (Integer node : p.inSync()) {
      if (node != excluded && liveNodes.containsKey(node) && !eligible(p, node)) {
        replaced.add(
            "node "
                + node
                + " (recorded storage id "
                + p.recordedStorageId(node)
                + ", now "
                + storageIds.get(node)
                + ")");
      }
    }
    if (!replaced.isEmpty()) {
      return "its only live in-sync replicas have a changed storage id: "
          + String.join(", ", replaced);
    }
    String which =
        p.inSync().contains(excluded) ? "no other in-sync replica" : "no in-sync replica";
    return which + " is live (in-sync set " + p.inSync() + ")";
  }

  /**
   * A decision in progress: events are applied to {@link #state} as they are added, so each step
   * decides on the state the previous ones left.
   */
  private static final class Plan {
    private ControllerState state;
    private final ElectionPolicy policy;
    private final List<Event> events = new ArrayList<>();
    private final List<Notice> notices = new ArrayList<>();

    Plan(ControllerState start, ElectionPolicy policy) {
      this.state = start;
      this.policy = policy;
    }

    void add(Event event) {
      events.add(event);
      state = state.apply(event);
    }

    PartitionAssignment partition(String topic, int partition) {
      return state.partition(topic, partition);
    }

    Changes changes() {
      return new Changes(events, notices);
    }

    void info(String format, Object... args) {
      notices.add(new Notice(Notice.Severity.INFO, String.format(format, args)));
    }

    void warn(String format, Object... args) {
      notices.add(new Notice(Notice.Severity.WARN, String.format(format, args)));
    }

    /** {@code p}'s leader {@code lost} is gone: elect another replica, or take it offline. */
    void failOver(String topic, PartitionAssignment p, int lost, String why) {
      List<Integer> remaining = without(p.inSync(), lost);
      Optional<Integer> successor =
          remaining.stream().filter(r -> state.eligible(p, r)).findFirst();
      if (successor.isPresent()) {
        int epoch = p.leaderEpoch() + 1;
        add(state.inSyncChange(topic, p, remaining));
        add(new LeaderElected(topic, p.partition(), successor.get(), epoch));
        info(
            "Partition %s-%d: leader %d lost (%s); node %d leads at epoch %d",
            topic, p.partition(), lost, why, successor.get(), epoch);
      } else {
        noEligibleReplica(topic, p, lost, "leader " + lost + " lost (" + why + ")");
      }
    }

    /** An offline partition elects its first eligible replica, if one is live now. */
    void electOffline(String topic, PartitionAssignment p) {
      Optional<Integer> leader = p.inSync().stream().filter(r -> state.eligible(p, r)).findFirst();
      if (leader.isPresent()) {
        int epoch = p.leaderEpoch() + 1;
        add(new LeaderElected(topic, p.partition(), leader.get(), epoch));
        info(
            "Partition %s-%d is back online: in-sync replica %d leads at epoch %d",
            topic, p.partition(), leader.get(), epoch);
      } else {
        noEligibleReplica(topic, p, PartitionAssignment.NO_LEADER, "it is offline");
      }
    }

    /**
     * No replica but {@code excluded} is eligible: an unclean election if the policy allows one and
     * a replica is live, else offline with a bumped epoch (a partition already offline stays so,
     * without an event).
     */
    private void noEligibleReplica(
        String topic, PartitionAssignment p, int excluded, String situation) {
      String reason = state.noEligibleReason(p, excluded);
      int epoch = p.leaderEpoch() + 1;
      Optional<Integer> anyLive =
          p.replicas().stream()
              .filter(r -> r != excluded && state.liveNodes.containsKey(r))
              .findFirst();
      if (policy == ElectionPolicy.UNCLEAN_ALLOWED && anyLive.isPresent()) {
        int leader = anyLive.get();
        // Its log is the truth from now on, on the disk it has now (even if it was in sync before
        // with another one).
        add(
            new InSyncSetChanged(
                topic,
                p.partition(),
                p.leaderEpoch(),
                List.of(leader),
                state.storageIdsOf(List.of(leader))));
        add(new LeaderElected(topic, p.partition(), leader, epoch));
        warn(
            "Partition %s-%d: unclean election: %s and %s; node %d leads at epoch %d with the"
                + " data it has: acknowledged records may be lost",
            topic, p.partition(), situation, reason, leader, epoch);
      } else if (p.hasLeader()) {
        add(new LeaderElected(topic, p.partition(), PartitionAssignment.NO_LEADER, epoch));
        warn(
            "Partition %s-%d is offline at epoch %d: %s and %s; it stays offline until an"
                + " eligible replica returns",
            topic, p.partition(), epoch, situation, reason);
      }
    }

    /**
     * Partition {@code i} of {@code topic} no longer holds {@code nodeId}'s in-sync data if the
     * node's new {@code storageId} differs from the one its membership is tied to (recorded, or
     * else the one it registered with before). Such a membership is first pinned to the old id when
     * none was recorded, so that the node stays ineligible there whatever happens next.
     */
    void dropStaleMembership(
        String topic, int i, int nodeId, String storageId, String previousStorageId) {
      PartitionAssignment p = partition(topic, i);
      if (!p.inSync().contains(nodeId)) {
        return;
      }
      String recorded = p.recordedStorageId(nodeId);
      String expected = recorded != null ? recorded : previousStorageId;
      if (expected == null || expected.equals(storageId)) {
        return;
      }
      if (recorded == null) {
        Map<Integer, String> pinned = new TreeMap<>(p.inSyncStorageIds());
        pinned.put(nodeId, expected);
        add(new InSyncSetChanged(topic, i, p.leaderEpoch(), p.inSync(), pinned));
        p = partition(topic, i);
      }
      if (p.leader() == nodeId) {
        warn(
            "Partition %s-%d: its leader, node %d, came back with storage id %s instead of %s:"
                + " failing over as if it had left",
            topic, i, nodeId, storageId, expected);
        failOver(topic, p, nodeId, "its disk was replaced");
      } else if (p.hasLeader()) {
        warn(
            "Partition %s-%d: node %d came back with storage id %s instead of %s: it leaves the"
                + " in-sync set and catches up from leader %d",
            topic, i, nodeId, storageId, expected, p.leader());
        add(state.inSyncChange(topic, p, without(p.inSync(), nodeId)));
      } else {
        warn(
            "Partition %s-%d (offline): node %d came back with storage id %s instead of %s: it"
                + " is not eligible to lead it",
            topic, i, nodeId, storageId, expected);
      }
    }
  }
}
