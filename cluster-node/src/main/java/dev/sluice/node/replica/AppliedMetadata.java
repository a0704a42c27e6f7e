package dev.sluice.node.replica;

import dev.sluice.node.controller.MetadataSnapshot;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The newest controller metadata this node has applied (its local replicas are open and assigned
 * when a snapshot appears here), plus waiters for a condition on it: a topic creation answers only
 * once this node can serve the new partitions. Thread-safe.
 */
public final class AppliedMetadata {
  private volatile MetadataSnapshot current;
  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();

  private record Waiter(
      Predicate<MetadataSnapshot> condition, CompletableFuture<MetadataSnapshot> done) {}

  public MetadataSnapshot get() {
    return current;
  }

  /** Publishes a snapshot whose assignments have been applied locally. */
  public void publish(MetadataSnapshot snapshot) {
    current = snapshot;
    for (Waiter w : waiters) {
      if (w.condition.test(snapshot)) {
        waiters.remove(w);
        w.done.complete(snapshot);
      }
    }
  }

  /** Completes with the first applied snapshot that satisfies {@code condition}. */
  public CompletableFuture<MetadataSnapshot> await(Predicate<MetadataSnapshot> condition) {
    CompletableFuture<MetadataSnapshot> done = new CompletableFuture<>();
    Waiter w = new Waiter(condition, done);
    waiters.add(w);
    MetadataSnapshot now = current;
    if (now != null && condition.test(now) && waiters.remove(w)) {
      done.complete(now);
    }
    done.whenComplete((s, t) -> waiters.remove(w));
    return done;
  }
}
