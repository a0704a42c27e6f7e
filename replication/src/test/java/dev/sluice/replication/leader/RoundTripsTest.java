package dev.sluice.replication.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundTripsTest {
  private final List<Long> samples = new ArrayList<>();

  @Test
  void eachAppendGivesOneSamplePerFollowerWhenFirstCovered() {
    RoundTrips trips = new RoundTrips(List.of(2, 3));
    trips.appended(10, 1_000);
    trips.appended(20, 1_500);

    trips.reported(2, 10, 1_700, true, samples::add);
    assertEquals(List.of(700L), samples);
    trips.reported(2, 20, 2_000, true, samples::add);
    assertEquals(List.of(700L, 500L), samples);
    trips.reported(2, 20, 9_000, true, samples::add); // a keep-alive confirms nothing new
    assertEquals(2, samples.size());

    trips.reported(3, 20, 3_000, true, samples::add); // one report covering both appends
    assertEquals(List.of(700L, 500L, 2_000L, 1_500L), samples);
    assertEquals(0, trips.pendingCount(), "covered by every follower: forgotten");
  }

  @Test
  void aFollowerOutsideTheInSyncSetGivesNoSampleButItsPositionCounts() {
    RoundTrips trips = new RoundTrips(List.of(2));
    trips.appended(10, 0);
    trips.reported(2, 10, 5_000_000, false, samples::add);
    assertEquals(List.of(), samples);

    trips.appended(11, 6_000_000);
    trips.reported(2, 11, 6_000_400, true, samples::add);
    assertEquals(List.of(400L), samples, "only the append made after its last report");
  }

  @Test
  void aSilentFollowerKeepsAtMostTheBoundOfAppends() {
    RoundTrips trips = new RoundTrips(List.of(2, 3));
    for (int i = 1; i <= RoundTrips.MAX_PENDING + 5; i++) {
      trips.appended(i, i);
      trips.reported(2, i, i, true, samples::add);
    }
    assertEquals(RoundTrips.MAX_PENDING, trips.pendingCount());
    assertEquals(RoundTrips.MAX_PENDING + 5, samples.size());
  }
}
