package dev.sluice.node;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a node process whose actor system does not finish terminating after the node's shutdown
 * closed every log: past {@code sluice.node.shutdown-hang-timeout} it logs what it waited for and
 * every thread's stack at ERROR, then halts the JVM with {@link #EXIT_CODE}, for its supervisor
 * (systemd, {@code local-cluster}, the multi-JVM test harness) to start it again.
 *
 * <p>Why: Pekko 1.2.1's Artery waits for every connection stream when it shuts its transport down,
 * without a deadline. A node the cluster downed after a long pause was seen stuck there for good
 * ("Remote daemon shut down; proceeding with flushing remote transports", never "Remoting shut
 * down"): every Sluice actor stopped, every log closed, and {@code SluiceNode.runBlocking} waiting
 * for a termination that never came, so the node never rejoined. Halting is safe at that point: the
 * logs carry their clean-shutdown marker, so it costs no more than {@code kill -9} and less
 * recovery.
 *
 * <p>Only the node process arms a guard ({@link SluiceNode#runBlocking}): nodes started in a JVM
 * that hosts other things (tests run several nodes in one) must never halt it. What follows the
 * shutdown decides the exit ({@link Then}): a node the cluster removed would have rejoined, so it
 * halts with {@link #EXIT_CODE} to be started again; a node asked to leave would have exited with
 * 0, so it halts with 0 and stays down; a shutdown for the JVM's own exit (SIGTERM) is left alone,
 * as Pekko's shutdown hook gives up after its phases' timeouts and the JVM ends anyway.
 *
 * <p>The decision is made here and nowhere else; the timer, the halt and the thread dump are
 * injected so that tests drive it without halting or waiting. Thread-safety: {@link #logsClosed}
 * may be called from any thread; the check runs once, on the timer's thread.
 */
final class ShutdownGuard {
  /**
   * The exit status of a halted node: {@code EX_SOFTWARE} of {@code sysexits.h}, an internal error.
   * Supervisors restart a node that exits with it; a node that stopped on request exits otherwise.
   */
  static final int EXIT_CODE = 70;

  private static final String TIMEOUT_KEY = "sluice.node.shutdown-hang-timeout";

  private static final Logger log = LoggerFactory.getLogger(ShutdownGuard.class);

  /** What the process does once the actor system has terminated. */
  enum Then {
    /** Starts a new incarnation (the cluster removed the node): a hang halts with 70. */
    REJOINS,
    /**
     * Ends with 0 (the node was asked to leave): a hang halts with 0, the exit it would have had.
     */
    STOPS,
    /** Nothing: the JVM itself is exiting (SIGTERM) and Pekko's hook ends it; no guard. */
    JVM_EXITS
  }

  /** Runs a task once after a delay. */
  @FunctionalInterface
  interface Timer {
    void schedule(Duration delay, Runnable task);
  }

  /** Ends the JVM with a status, as {@link Runtime#halt} does. */
  @FunctionalInterface
  interface Halt {
    void halt(int status);
  }

  private final String node;
  private final Duration timeout;
  private final Timer timer;
  private final Halt halt;
  private final Supplier<String> threadDump;

  /**
   * @param node names the node in the log line (e.g. "Sluice node 2")
   * @param timeout how long termination may take once the logs are closed
   */
  ShutdownGuard(
      String node, Duration timeout, Timer timer, Halt halt, Supplier<String> threadDump) {
    this.node = node;
    this.timeout = timeout;
    this.timer = timer;
    this.halt = halt;
    this.threadDump = threadDump;
  }

  /** The guard of a node process: a daemon timer thread, {@link Runtime#halt}, a real dump. */
  static ShutdownGuard forProcess(String node, Duration timeout) {
    Executor ownThread =
        task -> {
          // Its own thread: the check must run even when every pool of the process is stuck.
          Thread thread = new Thread(task, "sluice-shutdown-guard");
          thread.setDaemon(true);
          thread.start();
        };
    Timer timer =
        (delay, task) ->
            CompletableFuture.runAsync(
                task,
                CompletableFuture.delayedExecutor(
                    delay.toNanos(), TimeUnit.NANOSECONDS, ownThread));
    return new ShutdownGuard(
        node, timeout, timer, Runtime.getRuntime()::halt, ShutdownGuard::allThreads);
  }

  /**
   * The node's shutdown has closed every log: from now on, {@code terminated} must complete within
   * the timeout, or the JVM is halted.
   *
   * @param reason why the node shuts down, for the log line
   * @param then what the process does after the termination
   * @param terminated completes when the actor system has terminated
   */
  void logsClosed(String reason, Then then, CompletionStage<?> terminated) {
    if (then == Then.JVM_EXITS) {
      return;
    }
    CompletableFuture<?> done = terminated.toCompletableFuture();
    timer.schedule(
        timeout,
        () -> {
          if (!done.isDone()) {
            hung(reason, then);
          }
        });
  }

  private void hung(String reason, Then then) {
    int status = then == Then.REJOINS ? EXIT_CODE : 0;
    log.error(
        "{} did not finish terminating its actor system within {} ({}) after its shutdown ({})"
            + " closed every log: waited for the actor system's termination (Pekko's"
            + " actor-system-terminate phase, which ends with the remoting transport's shutdown);"
            + " halting the JVM with exit code {} {}. Threads:\n{}",
        node,
        timeout,
        TIMEOUT_KEY,
        reason,
        status,
        then == Then.REJOINS
            ? "for its supervisor to start it again"
            : "as the node was stopping on request",
        threadDump.get());
    halt.halt(status);
  }

  /** Every live thread with its whole stack and the locks it holds or waits for. */
  static String allThreads() {
    StringBuilder out = new StringBuilder();
    for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      out.append('"')
          .append(t.getThreadName())
          .append("\" #")
          .append(t.getThreadId())
          .append(t.isDaemon() ? " daemon" : "")
          .append(' ')
          .append(t.getThreadState());
      if (t.getLockName() != null) {
        out.append(" on ").append(t.getLockName());
      }
      if (t.getLockOwnerName() != null) {
        out.append(" owned by \"").append(t.getLockOwnerName()).append('"');
      }
      out.append('\n');
      // ThreadInfo.toString() cuts the stack after 8 frames; a hang is often deeper.
      StackTraceElement[] stack = t.getStackTrace();
      for (int depth = 0; depth < stack.length; depth++) {
        out.append("\tat ").append(stack[depth]).append('\n');
        for (MonitorInfo m : t.getLockedMonitors()) {
          if (m.getLockedStackDepth() == depth) {
            out.append("\t- locked ").append(m).append('\n');
          }
        }
      }
      for (LockInfo l : t.getLockedSynchronizers()) {
        out.append("\t- holds ").append(l).append('\n');
      }
      out.append('\n');
    }
    return out.toString();
  }
}
