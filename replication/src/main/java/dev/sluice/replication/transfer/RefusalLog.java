package dev.sluice.replication.transfer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Logs each {@link PeerViolation} at WARN, once, but folds repeats so that a flood of connections
 * cannot flood the log: the first violation of a (remote host, kind) pair is logged at once; later
 * ones of the same pair within {@link #FOLD} are counted, and the count is logged as one line
 * ({@link #flush}, called periodically, or the next violation of that pair after the window).
 *
 * <p>Thread-safe: the windows are guarded by this object's monitor; lines are written after it is
 * released.
 */
final class RefusalLog {
  static final Duration FOLD = Duration.ofSeconds(10);

  /** Windows kept before expired ones are dropped on the next violation. */
  private static final int PRUNE_ABOVE = 1024;

  private record Key(String host, PeerViolation.Kind kind) {}

  private static final class Window {
    final long startNanos;
    int folded;
    String last;

    Window(long startNanos) {
      this.startNanos = startNanos;
    }
  }

  private final Consumer<String> warn;
  private final LongSupplier nanoClock;
  private final Map<Key, Window> windows = new HashMap<>();

  RefusalLog(Consumer<String> warn, LongSupplier nanoClock) {
    this.warn = warn;
    this.nanoClock = nanoClock;
  }

  /** Logs {@code v}, or counts it if its host and kind were logged less than 10 s ago. */
  void log(PeerViolation v) {
    List<String> lines = new ArrayList<>(2);
    synchronized (this) {
      long now = nanoClock.getAsLong();
      Key key = new Key(v.remote().getAddress().getHostAddress(), v.kind());
      Window w = windows.get(key);
      if (w != null && now - w.startNanos < FOLD.toNanos()) {
        w.folded++;
        w.last = v.getMessage();
        return;
      }
      if (w != null && w.folded > 0) {
        lines.add(summary(key, w));
      }
      if (windows.size() > PRUNE_ABOVE) {
        expire(now, lines);
      }
      windows.put(key, new Window(now));
      lines.add(v.getMessage());
    }
    lines.forEach(warn);
  }

  /** Logs the count of every window that ended with folded violations, and forgets it. */
  void flush() {
    List<String> lines = new ArrayList<>();
    synchronized (this) {
      expire(nanoClock.getAsLong(), lines);
    }
    lines.forEach(warn);
  }

  private void expire(long now, List<String> lines) {
    for (Iterator<Map.Entry<Key, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, Window> e = it.next();
      Window w = e.getValue();
      if (now - w.startNanos >= FOLD.toNanos()) {
        if (w.folded > 0) {
          lines.add(summary(e.getKey(), w));
        }
        it.remove();
      }
    }
  }

  private static String summary(Key key, Window w) {
    return w.folded
        + " more refusal(s) of kind "
        + key.kind()
        + " from "
        + key.host()
        + " within "
        + FOLD.toSeconds()
        + " s, the last: "
        + w.last;
  }
}
