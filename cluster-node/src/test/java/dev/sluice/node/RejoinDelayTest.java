package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;

class RejoinDelayTest {

  @Test
  void growsWhileRemovalsRepeatAndResetsAfterAStableIncarnation() {
    Duration d = RejoinDelay.next(Duration.ZERO, Duration.ofSeconds(3));
    assertEquals(Duration.ofSeconds(1), d);
    d = RejoinDelay.next(d, Duration.ofSeconds(20));
    assertEquals(Duration.ofSeconds(2), d);
    for (int i = 0; i < 10; i++) {
      d = RejoinDelay.next(d, Duration.ofSeconds(20));
    }
    assertEquals(Duration.ofSeconds(30), d);
    assertEquals(Duration.ofSeconds(1), RejoinDelay.next(d, Duration.ofMinutes(5)));
  }

  @Test
  void onlyARemovalByTheClusterBringsTheNodeBack() {
    assertTrue(SluiceNode.rejoins(CoordinatedShutdown.clusterDowningReason()));
    assertTrue(SluiceNode.rejoins(CoordinatedShutdown.clusterJoinUnsuccessfulReason()));
    assertFalse(SluiceNode.rejoins(CoordinatedShutdown.jvmExitReason()));
    assertFalse(SluiceNode.rejoins(CoordinatedShutdown.clusterLeavingReason()));
    assertFalse(SluiceNode.rejoins(CoordinatedShutdown.unknownReason()));
  }
}
