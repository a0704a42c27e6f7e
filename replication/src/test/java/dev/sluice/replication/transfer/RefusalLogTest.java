package dev.sluice.replication.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RefusalLogTest {
  private final List<String> lines = new ArrayList<>();
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final RefusalLog refusals = new RefusalLog(lines::add, nanos::get);

  @Test
  void repeatsOfOneHostAndKindAreFoldedIntoOneLineWithACount() {
    refusals.log(violation("10.0.0.9", 1, PeerViolation.Kind.FRAME_TOO_SMALL));
    refusals.log(violation("10.0.0.9", 2, PeerViolation.Kind.FRAME_TOO_SMALL));
    refusals.log(violation("10.0.0.9", 3, PeerViolation.Kind.FRAME_TOO_SMALL));
    // Another kind from the same host, and the same kind from another host, are their own lines.
    refusals.log(violation("10.0.0.9", 4, PeerViolation.Kind.NOT_A_FOLLOWER));
    refusals.log(violation("10.0.0.8", 5, PeerViolation.Kind.FRAME_TOO_SMALL));
    assertEquals(List.of("refusal 1", "refusal 4", "refusal 5"), lines);

    refusals.flush(); // within the window: nothing yet
    assertEquals(3, lines.size());
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(10));
    refusals.flush();
    assertEquals(
        List.of(
            "refusal 1",
            "refusal 4",
            "refusal 5",
            "2 more refusal(s) of kind FRAME_TOO_SMALL from 10.0.0.9 within 10 s, the last:"
                + " refusal 3"),
        lines);
  }

  @Test
  void aRefusalAfterTheWindowIsLoggedAgainAfterTheCountOfTheFoldedOnes() {
    refusals.log(violation("10.0.0.9", 1, PeerViolation.Kind.TOO_MANY_CONNECTIONS));
    refusals.log(violation("10.0.0.9", 2, PeerViolation.Kind.TOO_MANY_CONNECTIONS));
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(11));
    refusals.log(violation("10.0.0.9", 3, PeerViolation.Kind.TOO_MANY_CONNECTIONS));
    assertEquals(
        List.of(
            "refusal 1",
            "1 more refusal(s) of kind TOO_MANY_CONNECTIONS from 10.0.0.9 within 10 s, the last:"
                + " refusal 2",
            "refusal 3"),
        lines);
  }

  private static PeerViolation violation(String host, int n, PeerViolation.Kind kind) {
    return new PeerViolation(kind, new InetSocketAddress(host, 40000 + n), "refusal " + n);
  }
}
