package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NemesisPlanTest {

  @Test
  void aSeedAlwaysGivesTheSamePlan() {
    assertEquals(
        Nemesis.plan(42, Duration.ofSeconds(150), 3), Nemesis.plan(42, Duration.ofSeconds(150), 3));
    assertNotEquals(
        Nemesis.plan(42, Duration.ofSeconds(150), 3), Nemesis.plan(43, Duration.ofSeconds(150), 3));
  }

  @Test
  void everyPlanPausesALeaderAndKillsALeaderAndAFollower() {
    for (long seed = 0; seed < 50; seed++) {
      List<Nemesis.Step> plan = Nemesis.plan(seed, Duration.ofSeconds(30), 3);
      Set<Nemesis.Kind> kinds =
          plan.stream()
              .map(Nemesis.Step::kind)
              .collect(Collectors.toCollection(() -> EnumSet.noneOf(Nemesis.Kind.class)));
      assertEquals(EnumSet.allOf(Nemesis.Kind.class), kinds, "seed " + seed + ": " + plan);
    }
  }

  @Test
  void pausesOutlastTheSplitBrainResolverAndStepsStayInRange() {
    for (long seed = 0; seed < 50; seed++) {
      for (Nemesis.Step s : Nemesis.plan(seed, Duration.ofSeconds(300), 3)) {
        assertTrue(s.partition() >= 0 && s.partition() < 3, s.toString());
        if (s.kind() == Nemesis.Kind.PAUSE_LEADER) {
          assertTrue(s.faultFor().compareTo(Nemesis.MIN_PAUSE) >= 0, s.toString());
        }
      }
    }
  }

  @Test
  void aLongerBudgetPlansMoreFaults() {
    int shortPlan = Nemesis.plan(7, Duration.ofSeconds(90), 3).size();
    int longPlan = Nemesis.plan(7, Duration.ofSeconds(600), 3).size();
    assertTrue(longPlan > shortPlan, shortPlan + " steps vs " + longPlan);
  }
}
