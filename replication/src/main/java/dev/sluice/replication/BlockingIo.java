package dev.sluice.replication;

import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The one thread pool of a node for work that blocks on files: appends and high-watermark
 * checkpoints of the partition leaders, the followers' frame applies and log cuts, the leaders'
 * segment reads, opening logs, and Pekko's own file streams ({@code FileIO}, {@code
 * unfoldResource}), which pick this dispatcher by default. It is Pekko's {@code
 * default-blocking-io-dispatcher}; the node sizes it in {@code sluice-defaults.conf}, nowhere else.
 *
 * <p>Why one pool: two pools of the same size each sat half idle while the other queued, and a
 * thread count per pool is a tuning knob nobody could reason about. Work on this pool never waits
 * for other work on it, so sharing it cannot deadlock.
 */
public final class BlockingIo {
  /** The dispatcher's config path. */
  public static final String DISPATCHER_ID = "pekko.actor.default-blocking-io-dispatcher";

  /** Selects the dispatcher when spawning an actor that blocks on files. */
  public static final DispatcherSelector SELECTOR = DispatcherSelector.fromConfig(DISPATCHER_ID);

  private BlockingIo() {}

  /** The pool as an executor, for futures that read or write files. */
  public static Executor executor(ActorSystem<?> system) {
    return system.dispatchers().lookup(SELECTOR);
  }
}
