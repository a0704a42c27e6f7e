package dev.sluice.node.cluster;

import dev.sluice.node.NodeSerializable;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * One cluster as one of its nodes sees it: its Up members, each as a unique address ({@code
 * pekko://sluice@host:port#uid}: two incarnations of a node at one address are different members),
 * and the address of its oldest Up member. Empty when the node that answers is not Up itself.
 *
 * <p>{@link #isIslandNextTo} is the rule a node applies to find out that it formed a cluster of its
 * own next to the real one: a pure function of two views, the same on both sides, so that of two
 * clusters exactly one gives way.
 *
 * @param members the Up members' unique addresses
 * @param oldest the oldest Up member's address (without uid); empty when there is no Up member
 */
public record ClusterView(List<String> members, String oldest) implements NodeSerializable {

  public ClusterView {
    members = List.copyOf(new TreeSet<>(members));
  }

  /** The view of a node that is not Up: it belongs to no cluster yet (or any more). */
  public static ClusterView none() {
    return new ClusterView(List.of(), "");
  }

  /**
   * Whether {@code self}, a member of this cluster, is on an island: {@code other} (the cluster of
   * a configured seed node) is a different cluster, since the two have no member in common, and
   * this one gives way to it: it has fewer Up members, or as many and its oldest member's address
   * is the higher (the cluster whose oldest member has the lower address stays; the unique
   * addresses decide the tie of two incarnations of one node).
   *
   * <p>Not an island: a view in which {@code self} is not Up (it is not a member of anything yet),
   * an empty {@code other} (its node is not Up: forming or joining), or any member in common (one
   * cluster seen by two nodes whose gossip has not converged yet).
   */
  public boolean isIslandNextTo(ClusterView other, String self) {
    if (!members.contains(self) || other.members.isEmpty()) {
      return false;
    }
    if (!Collections.disjoint(members, other.members)) {
      return false;
    }
    if (members.size() != other.members.size()) {
      return members.size() < other.members.size();
    }
    int byOldest = oldest.compareTo(other.oldest);
    if (byOldest != 0) {
      return byOldest > 0;
    }
    return members.get(0).compareTo(other.members.get(0)) > 0;
  }
}
