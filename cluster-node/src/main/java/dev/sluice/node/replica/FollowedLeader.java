package dev.sluice.node.replica;

import java.util.Objects;

/**
 * What a follower replica last followed, as its partition directory records it ({@link
 * FollowedLeaderFile}): the leader node and epoch the controller assigned, where that leader's
 * replication server listened, and the topic incarnation the replica belongs to. A restarted node
 * starts its follower toward this leader before the first metadata arrives; the metadata then
 * confirms or replaces it.
 *
 * @param leader the leading node's id
 * @param leaderEpoch the leader epoch of that assignment
 * @param host the leader's replication host, as the metadata's node address named it
 * @param port the leader's replication port
 * @param topicId the id of the topic incarnation the replica belongs to
 */
public record FollowedLeader(int leader, int leaderEpoch, String host, int port, String topicId) {

  /** The longest host or topic id recorded, in characters: a longer one is no real value. */
  static final int MAX_TEXT = 255;

  public FollowedLeader {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(topicId, "topicId");
    if (leader < 0) {
      throw new IllegalArgumentException("leader node " + leader + " is negative");
    }
    if (leaderEpoch < 0) {
      throw new IllegalArgumentException("leader epoch " + leaderEpoch + " is negative");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("replication port " + port + " is outside 1..65535");
    }
    requireText("host", host);
    requireText("topic id", topicId);
  }

  private static void requireText(String what, String value) {
    if (value.isEmpty() || value.length() > MAX_TEXT) {
      throw new IllegalArgumentException(
          what + " of " + value.length() + " characters is outside 1.." + MAX_TEXT);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= ' ' || c == '=' || c == 0x7f) {
        throw new IllegalArgumentException(
            what + " '" + value + "' holds a blank, control or '=' character at " + i);
      }
    }
  }
}
