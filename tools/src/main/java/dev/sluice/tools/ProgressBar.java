package dev.sluice.tools;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar for large transfers, redrawn in place with {@code \r} on stderr: {@code
 * [##### ] 42% 420.0/1000.0 MiB 85.3 MiB/s}. Shown only for transfers above {@link
 * #THRESHOLD_BYTES} and only when asked for (stderr is a terminal, or {@code --progress});
 * otherwise {@link #disabled()} stands in so callers need no branches.
 *
 * <p>Thread-safety: methods are synchronized, because an upload is read by the HTTP client's
 * threads while the command thread finishes the bar.
 */
final class ProgressBar {

  /** Smaller transfers finish before a bar would tell anyone anything. */
  static final long THRESHOLD_BYTES = 4L << 20;

  private static final double MIB = 1024.0 * 1024.0;
  private static final int WIDTH = 20;

  /** Redrawing on every buffer would cost more than the transfer on a fast link. */
  private static final long REDRAW_NANOS = 100_000_000L;

  private static final ProgressBar DISABLED = new ProgressBar(null, 0, () -> 0L);

  private final PrintWriter err;
  private final long total;
  private final LongSupplier nanoClock;
  private long done;
  private long startNanos;
  private long lastDrawNanos;
  private boolean drawn;
  private int longestLine;

  /**
   * @param total expected bytes, or a negative number when unknown (no bar, only amount and rate)
   */
  ProgressBar(PrintWriter err, long total, LongSupplier nanoClock) {
    this.err = err;
    this.total = total;
    this.nanoClock = nanoClock;
    this.startNanos = nanoClock.getAsLong();
  }

  static ProgressBar disabled() {
    return DISABLED;
  }

  /** A bar for a transfer of {@code size} bytes, or a disabled one when it is not wanted. */
  static ProgressBar forTransfer(long size, boolean wanted, PrintWriter err) {
    return wanted && size > THRESHOLD_BYTES
        ? new ProgressBar(err, size, System::nanoTime)
        : DISABLED;
  }

  boolean enabled() {
    return err != null;
  }

  /** Wraps a stream so that reading it advances the bar. */
  InputStream track(InputStream in) {
    return enabled() ? new Tracking(in) : in;
  }

  synchronized void advance(long bytes) {
    if (!enabled()) {
      return;
    }
    done += bytes;
    long now = nanoClock.getAsLong();
    if (!drawn || now - lastDrawNanos >= REDRAW_NANOS) {
      draw(now);
    }
  }

  /** Starts counting again, e.g. when a redirect makes the upload start over on another node. */
  synchronized void restart() {
    done = 0;
    startNanos = nanoClock.getAsLong();
  }

  /** Draws the final state and ends the line, so later output starts on a line of its own. */
  synchronized void finish() {
    if (!enabled()) {
      return;
    }
    draw(nanoClock.getAsLong());
    err.println();
    err.flush();
  }

  synchronized String render(long nowNanos) {
    double elapsedSeconds = (nowNanos - startNanos) / 1e9;
    double rate = elapsedSeconds > 0 ? done / MIB / elapsedSeconds : 0.0;
    if (total < 0) {
      return String.format(Locale.ROOT, "%.1f MiB %.1f MiB/s", done / MIB, rate);
    }
    long shown = Math.min(done, total);
    return String.format(
        Locale.ROOT,
        "%s %d%% %.1f/%.1f MiB %.1f MiB/s",
        bar(shown, total, WIDTH),
        percent(shown, total),
        shown / MIB,
        total / MIB,
        rate);
  }

  /**
   * {@code [##### ]}: {@code width} cells, as many filled as {@code done} is a share of {@code
   * total} (0 to {@code total}); all filled when {@code total} is 0.
   */
  static String bar(long done, long total, int width) {
    int filled = total == 0 ? width : (int) (done * width / total);
    return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
  }

  /** The share {@code done} (0 to {@code total}) is of {@code total}, in whole percent. */
  static int percent(long done, long total) {
    return total == 0 ? 100 : (int) (done * 100 / total);
  }

  private void draw(long now) {
    String line = render(now);
    // Blank out what is left of a longer previous line (the rate can get shorter).
    String padding = " ".repeat(Math.max(0, longestLine - line.length()));
    longestLine = Math.max(longestLine, line.length());
    err.print("\r" + line + padding);
    err.flush();
    drawn = true;
    lastDrawNanos = now;
  }

  private final class Tracking extends FilterInputStream {
    Tracking(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        advance(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        advance(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      advance(skipped);
      return skipped;
    }
  }
}
