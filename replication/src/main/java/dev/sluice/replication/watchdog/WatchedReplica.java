package dev.sluice.replication.watchdog;

import dev.sluice.replication.follower.FollowerStatus;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A local follower replica as the {@link StallWatchdog} sees it: a status to sample and two
 * remedies. The node adapts its follower actor to this (the remedies become {@code tell}s), so the
 * watchdog depends on nothing but the published {@link FollowerStatus}.
 *
 * <p>Every method is called on the watchdog's actor thread and must not block.
 */
public interface WatchedReplica {

  /** The status the follower publishes; read on every watchdog tick. */
  FollowerStatus status();

  /** Drop the current transfer and start again on a fresh connection, resuming from the log. */
  void restartTransfer(String reason);

  /**
   * Ask for frames of at most {@code peer-max-bytes / divisor} from now on; 1 restores the full
   * frame size.
   */
  void limitFrames(int divisor);

  /** Adapts a status and two callbacks (typically {@code tell}s to the follower actor). */
  static WatchedReplica of(
      FollowerStatus status, Consumer<String> restartTransfer, IntConsumer limitFrames) {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(restartTransfer, "restartTransfer");
    Objects.requireNonNull(limitFrames, "limitFrames");
    return new WatchedReplica() {
      @Override
      public FollowerStatus status() {
        return status;
      }

      @Override
      public void restartTransfer(String reason) {
        restartTransfer.accept(reason);
      }

      @Override
      public void limitFrames(int divisor) {
        limitFrames.accept(divisor);
      }
    };
  }
}
