package dev.sluice.node.management;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Liveness of a node: the process works. Alive while the actor system is not terminated and its
 * default dispatcher still runs work (the check runs a task there and answers from it), so a
 * process whose threads are all stuck answers {@code /alive} late and pekko-management's check
 * timeout turns that into a failure. Nothing about the cluster or the replicas: restarting a
 * process does not cure those, and a liveness probe that fails for them makes a restart loop.
 *
 * <p>Configured as {@code pekko.management.health-checks.liveness-checks.sluice-process};
 * pekko-management creates it with the classic ActorSystem and calls it for every {@code GET
 * /alive}. Thread-safety: stateless.
 */
public final class NodeLivenessCheck implements Supplier<CompletionStage<Boolean>> {

  /** Why the node is not alive. */
  public static final class NotAliveException extends RuntimeException {
    public NotAliveException(String message) {
      super(message);
    }
  }

  private final ActorSystem system;

  public NodeLivenessCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    if (system.getWhenTerminated().toCompletableFuture().isDone()) {
      return CompletableFuture.failedFuture(
          new NotAliveException("the actor system " + system.name() + " has terminated"));
    }
    return CompletableFuture.supplyAsync(() -> true, system.dispatcher());
  }
}
