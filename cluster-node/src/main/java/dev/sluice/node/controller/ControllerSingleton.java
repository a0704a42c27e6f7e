package dev.sluice.node.controller;

import dev.sluice.config.LeaderBalanceSettings;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * Runs the {@link Controller} as a cluster singleton: on the oldest node, moved by Pekko when that
 * node leaves, and reached from every node through a proxy that buffers while it moves.
 *
 * <p>Wherever the singleton starts, it first makes sure the journal schema exists ({@link
 * #prepareJournal}), stashing commands meanwhile, so the controller never recovers from missing
 * tables on a fresh database. The journal itself is configured by {@code sluice-controller.conf}.
 */
public final class ControllerSingleton {

  /** Name of the singleton actor (and of its manager and proxy) on every node. */
  public static final String NAME = "sluice-controller";

  /** Commands that arrive while the schema is prepared; the proxy buffers more while it moves. */
  private static final int STASH_CAPACITY = 10_000;

  /**
   * Attempts to create the schema: with the pool's 5 s connection timeout and the backoff, all of
   * them fit within a node's 60 s start-up timeout.
   */
  private static final int PREPARE_ATTEMPTS = 6;

  private ControllerSingleton() {}

  /**
   * Starts the singleton manager on this node and returns the proxy to the controller. Call once
   * per node after the ActorSystem starts; the cluster must be joined for the controller to run.
   * Every node must pass the same {@code policy}: the controller runs with the one of the node that
   * hosts it. A second call returns the proxy of the manager already started (its policy stays).
   * Leaders move back to preferred replicas only when asked ({@link Controller.RebalanceLeaders}).
   */
  public static ActorRef<Controller.Command> init(ActorSystem<?> system, ElectionPolicy policy) {
    return init(system, policy, LeaderBalanceSettings.MANUAL);
  }

  /**
   * As {@link #init(ActorSystem, ElectionPolicy)}, with the preferred-leader balance the controller
   * runs when it is hosted here.
   */
  public static ActorRef<Controller.Command> init(
      ActorSystem<?> system, ElectionPolicy policy, LeaderBalanceSettings balance) {
    // Journal failures are retried inside the controller; this restarts it after anything else
    // (a bug), because a cluster whose controller stopped can never fail a leader over again.
    Behavior<Controller.Command> supervised =
        Behaviors.supervise(afterSchemaPrepared(policy, balance))
            .onFailure(
                SupervisorStrategy.restartWithBackoff(
                    Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
    return ClusterSingleton.get(system).init(SingletonActor.of(supervised, NAME));
  }

  /**
   * Creates the journal, tag and snapshot tables unless they exist, on whichever database {@code
   * sluice.controller.journal} selects. Safe to run from every node at once: statements that fail
   * because a table exists are ignored. Fails when the database cannot be reached in six attempts
   * (about 40 s).
   *
   * <p>Retried because a first connection can time out without anything being wrong: when the nodes
   * of one machine start together, they race to open the shared H2 file (AUTO_SERVER), and on a
   * busy machine the loser waited longer than the pool's 5 s connection timeout, which made its
   * start fail.
   */
  public static CompletionStage<Done> prepareJournal(ActorSystem<?> system) {
    return Patterns.retry(
        () -> SchemaUtils.createIfNotExists(system),
        PREPARE_ATTEMPTS,
        Duration.ofMillis(500),
        Duration.ofSeconds(4),
        0.2,
        system);
  }

  private static Behavior<Controller.Command> afterSchemaPrepared(
      ElectionPolicy policy, LeaderBalanceSettings balance) {
    return Behaviors.withStash(
        STASH_CAPACITY,
        stash ->
            Behaviors.setup(
                context -> {
                  context.pipeToSelf(
                      prepareJournal(context.getSystem()),
                      (done, error) ->
                          new Controller.JournalPrepared(error == null ? null : error.toString()));
                  return preparing(context, stash, policy, balance);
                }));
  }

  private static Behavior<Controller.Command> preparing(
      ActorContext<Controller.Command> context,
      StashBuffer<Controller.Command> stash,
      ElectionPolicy policy,
      LeaderBalanceSettings balance) {
    return Behaviors.receive(Controller.Command.class)
        .onMessage(
            Controller.JournalPrepared.class,
            prepared -> {
              if (prepared.failure() != null) {
                // Start anyway: the controller's backoff retries recovery until the database
                // answers, which beats a singleton that never starts.
                context
                    .getLog()
                    .warn("Could not prepare the controller journal: {}", prepared.failure());
              }
              return stash.unstashAll(Controller.create(policy, balance));
            })
        .onAnyMessage(
            command -> {
              stash.stash(command);
              return Behaviors.same();
            })
        .build();
  }
}
