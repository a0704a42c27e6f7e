package dev.sluice.replication.transfer;

import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The leader's registry of served connections and of connections still waiting for their handshake,
 * which bounds what one peer can hold open.
 *
 * <ul>
 *   <li>Served connections are keyed by peer (certificate node id, or the claimed id without TLS)
 *       and partition, one per pair. A new handshake for the same pair <em>replaces</em> the older
 *       connection: a follower reconnects while the leader may still hold its half-open socket
 *       until the idle timeout, and refusing the new one would stall replication that long.
 *   <li>Connections for partitions the peer no longer follows are pruned first; then the peer may
 *       hold at most as many connections as partitions it follows here.
 *   <li>At most {@code maxPendingHandshakes} accepted connections may be waiting for a handshake.
 * </ul>
 *
 * <p>The registry only decides; the caller closes the connections {@link Admission#closed} names,
 * after the decision, outside the lock. Thread-safe: every method is synchronized and runs no
 * foreign code but the {@code stillFollowed} predicate, which must not block.
 *
 * @param <C> the connection handle
 */
public final class PeerConnections<C> {

  /**
   * What {@link #admit} decided: whether the new connection is served, the peer's count of
   * connections after the decision (the new one included when admitted, or what it would have
   * made), the limit, and the older connections the caller must close now (replaced or pruned).
   */
  public record Admission<C>(boolean admitted, int open, int limit, List<C> closed) {
    /** The refusal to send when not admitted. */
    public Optional<HandshakeChecks.Refusal> refusal(int peer) {
      if (admitted) {
        return Optional.empty();
      }
      return Optional.of(
          new HandshakeChecks.Refusal(
              RejectReason.TOO_MANY_CONNECTIONS,
              PeerViolation.Kind.TOO_MANY_CONNECTIONS,
              "node "
                  + peer
                  + " would hold "
                  + open
                  + " connections, but follows "
                  + limit
                  + " partition(s) on this leader"));
    }
  }

  private final int maxPendingHandshakes;
  private final Map<Integer, Map<PartitionId, C>> served = new HashMap<>();
  private int pending;

  public PeerConnections(int maxPendingHandshakes) {
    if (maxPendingHandshakes < 1) {
      throw new IllegalArgumentException(
          "max pending handshakes " + maxPendingHandshakes + " is below 1");
    }
    this.maxPendingHandshakes = maxPendingHandshakes;
  }

  /**
   * Counts an accepted connection as waiting for its handshake; false (and nothing counted) when
   * {@code maxPendingHandshakes} are already waiting.
   */
  public synchronized boolean startHandshake() {
    if (pending >= maxPendingHandshakes) {
      return false;
    }
    pending++;
    return true;
  }

  /** A connection counted by {@link #startHandshake} sent its handshake or ended. */
  public synchronized void endHandshake() {
    if (pending <= 0) {
      throw new IllegalStateException("no handshake is pending");
    }
    pending--;
  }

  public synchronized int pendingHandshakes() {
    return pending;
  }

  /**
   * Registers {@code connection} as {@code peer}'s connection for {@code partition} if the peer
   * stays within {@code limit} connections once its connection for the same partition is replaced
   * and those for partitions failing {@code stillFollowed} are pruned. Pruned connections go
   * whatever the decision; the replaced one only when the new one is admitted.
   */
  public synchronized Admission<C> admit(
      int peer,
      PartitionId partition,
      C connection,
      Predicate<PartitionId> stillFollowed,
      int limit) {
    Map<PartitionId, C> mine = served.computeIfAbsent(peer, p -> new LinkedHashMap<>());
    List<C> closed = new ArrayList<>();
    for (Iterator<Map.Entry<PartitionId, C>> it = mine.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<PartitionId, C> e = it.next();
      if (!e.getKey().equals(partition) && !stillFollowed.test(e.getKey())) {
        closed.add(e.getValue());
        it.remove();
      }
    }
    int open = mine.size() + (mine.containsKey(partition) ? 0 : 1);
    if (open > limit) {
      if (mine.isEmpty()) {
        served.remove(peer);
      }
      return new Admission<>(false, open, limit, List.copyOf(closed));
    }
    C replaced = mine.put(partition, connection);
    if (replaced != null && replaced != connection) {
      closed.add(replaced);
    }
    return new Admission<>(true, open, limit, List.copyOf(closed));
  }

  /**
   * Forgets {@code connection} when it ended; a no-op if a newer connection replaced it or it was
   * never admitted.
   */
  public synchronized void release(int peer, PartitionId partition, C connection) {
    Map<PartitionId, C> mine = served.get(peer);
    if (mine != null && mine.get(partition) == connection) {
      mine.remove(partition);
      if (mine.isEmpty()) {
        served.remove(peer);
      }
    }
  }

  /** Connections {@code peer} holds now. */
  public synchronized int open(int peer) {
    Map<PartitionId, C> mine = served.get(peer);
    return mine == null ? 0 : mine.size();
  }
}
