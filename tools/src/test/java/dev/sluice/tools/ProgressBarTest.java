package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

  private static final long MIB = 1L << 20;
  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong();
  private final StringWriter err = new StringWriter();

  private ProgressBar bar(long total) {
    return new ProgressBar(new PrintWriter(err), total, clock::get);
  }

  @Test
  void rendersBarPercentAmountAndRate() {
    ProgressBar bar = bar(1000 * MIB);
    clock.set(5 * SECOND);
    bar.advance(420 * MIB);

    assertEquals("[########            ] 42% 420.0/1000.0 MiB 84.0 MiB/s", bar.render(5 * SECOND));
  }

  @Test
  void anUnknownTotalShowsAmountAndRateOnly() {
    ProgressBar bar = bar(-1);
    bar.advance(3 * MIB);

    assertEquals("3.0 MiB 1.5 MiB/s", bar.render(2 * SECOND));
  }

  @Test
  void restartCountsFromZeroAgain() {
    ProgressBar bar = bar(10 * MIB);
    bar.advance(6 * MIB);
    clock.set(SECOND);
    bar.restart();

    assertEquals("[                    ] 0% 0.0/10.0 MiB 0.0 MiB/s", bar.render(SECOND));
  }

  @Test
  void trackingAStreamAdvancesTheBarAndFinishEndsTheLine() throws IOException {
    ProgressBar bar = bar(8);
    try (InputStream in = bar.track(new ByteArrayInputStream(new byte[8]))) {
      in.readAllBytes();
    }
    bar.finish();

    assertTrue(err.toString().startsWith("\r[####################] 100% "), err::toString);
    assertTrue(err.toString().endsWith(System.lineSeparator()), err::toString);
  }

  @Test
  void onlyLargeWantedTransfersGetABar() {
    PrintWriter out = new PrintWriter(err);
    assertFalse(ProgressBar.forTransfer(ProgressBar.THRESHOLD_BYTES, true, out).enabled());
    assertFalse(ProgressBar.forTransfer(ProgressBar.THRESHOLD_BYTES + 1, false, out).enabled());
    assertTrue(ProgressBar.forTransfer(ProgressBar.THRESHOLD_BYTES + 1, true, out).enabled());

    InputStream in = new ByteArrayInputStream(new byte[1]);
    assertSame(in, ProgressBar.disabled().track(in));
  }
}
