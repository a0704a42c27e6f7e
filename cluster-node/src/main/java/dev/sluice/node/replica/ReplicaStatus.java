package dev.sluice.node.replica;

/**
 * A snapshot of one local replica, for the API, the CLI and management. Cheap to build, never
 * blocks.
 *
 * @param node id of the node holding this replica
 * @param role {@code leader} or {@code follower}
 * @param leo log end offset
 * @param hw high watermark
 * @param state FSM state of a follower ({@code leading} on the leader)
 * @param lagBytes bytes this replica is behind its leader (0 on the leader)
 */
public record ReplicaStatus(
    int node, String role, long leo, long hw, String state, long lagBytes, long logStartOffset) {}
