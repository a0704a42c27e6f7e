package dev.sluice.node.controller;

import dev.sluice.node.controller.Controller.InSyncSetRejected;
import dev.sluice.node.controller.Controller.Status;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a leader's in-sync update may be applied, as Kafka's controller judges AlterPartition:
 * only the leader of the current epoch may change the set (a deposed leader is fenced), the set
 * must hold the leader and only replicas, and a replica may join only while it is live (a dead node
 * in the set would hold the high watermark back and could be elected). Shrinking is always allowed.
 * Pure and thread-safe.
 */
final class InSyncRules {

  private InSyncRules() {}

  static Optional<InSyncSetRejected> check(
      String topic,
      PartitionAssignment current,
      int leaderEpoch,
      List<Integer> inSync,
      Map<Integer, String> liveNodes) {
    String tp = topic + "-" + current.partition();
    if (leaderEpoch != current.leaderEpoch()) {
      String kind = leaderEpoch < current.leaderEpoch() ? "stale" : "unknown";
      return reject(
          Status.CONFLICT,
          kind
              + " leader epoch "
              + leaderEpoch
              + " for "
              + tp
              + ": the current leader epoch is "
              + current.leaderEpoch());
    }
    if (!current.hasLeader()) {
      return reject(Status.CONFLICT, tp + " is offline: no leader may change its in-sync set");
    }
    if (!inSync.contains(current.leader())) {
      return reject(
          Status.BAD_REQUEST,
          "in-sync set " + inSync + " of " + tp + " must contain its leader " + current.leader());
    }
    for (Integer node : inSync) {
      if (!current.replicas().contains(node)) {
        return reject(
            Status.BAD_REQUEST,
            "node "
                + node
                + " is not a replica of "
                + tp
                + " (replicas "
                + current.replicas()
                + ")");
      }
      if (!current.inSync().contains(node) && !liveNodes.containsKey(node)) {
        return reject(
            Status.CONFLICT,
            "node " + node + " cannot join the in-sync set of " + tp + ": it is not live");
      }
    }
    return Optional.empty();
  }

  private static Optional<InSyncSetRejected> reject(Status status, String message) {
    return Optional.of(new InSyncSetRejected(status, message));
  }
}
