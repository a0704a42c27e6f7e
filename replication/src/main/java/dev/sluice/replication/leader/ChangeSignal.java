package dev.sluice.replication.leader;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.Done;

/**
 * Wakes waiters after a state change (an append, a high-watermark move, a leadership change)
 * without polling or blocking a thread. The writer changes its state first and then calls {@link
 * #signal()}; a waiter takes the current future, then checks its condition, so a change between the
 * two is never missed. Thread-safe.
 */
public final class ChangeSignal {
  private final AtomicReference<CompletableFuture<Done>> next =
      new AtomicReference<>(new CompletableFuture<>());

  /** Wakes every current waiter. */
  public void signal() {
    next.getAndSet(new CompletableFuture<>()).complete(Done.getInstance());
  }

  /** Completes when {@code condition} holds: now, or after a later signal finds it true. */
  public CompletionStage<Done> await(BooleanSupplier condition) {
    CompletableFuture<Done> f = next.get();
    if (condition.getAsBoolean()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return f.thenCompose(d -> await(condition));
  }
}
