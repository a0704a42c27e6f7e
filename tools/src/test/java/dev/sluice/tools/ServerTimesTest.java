package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerTimesTest {

  /** A node's scrape as Micrometer's Prometheus registry writes it (buckets left out). */
  private static String scrape(
      double produceCount, double produceSum, double forceCount, double forceSum) {
    return String.join(
        "\n",
        "# HELP sluice_produce_latency_seconds Produce requests",
        "# TYPE sluice_produce_latency_seconds histogram",
        "sluice_produce_latency_seconds_count{acks=\"all\",} " + produceCount,
        "sluice_produce_latency_seconds_sum{acks=\"all\",} " + produceSum,
        "sluice_produce_latency_seconds_count{acks=\"leader\",} 1000.0",
        "sluice_produce_latency_seconds_sum{acks=\"leader\",} 99.0",
        "sluice_produce_latency_seconds_max{acks=\"all\",} 0.5",
        "sluice_replication_round_trip_seconds_count " + 2 * produceCount,
        "sluice_replication_round_trip_seconds_sum " + produceSum / 2,
        "sluice_log_force_seconds_count " + forceCount,
        "sluice_log_force_seconds_sum " + forceSum,
        "sluice_log_force_seconds_countless 7.0",
        "");
  }

  @Test
  void deltasCountOnlyTheMeasuredPartAndTheSeriesAsked() {
    ServerTimes times =
        new ServerTimes(
            1,
            Map.of(1, scrape(10, 0.5, 4, 0.04), 2, scrape(0, 0, 3, 0.03)),
            Map.of(1, scrape(110, 3.5, 54, 1.04), 2, scrape(0, 0, 23, 0.43)));
    ServerTimes.Delta produce = times.delta(1, ServerTimes.PRODUCE, "acks=\"all\"");
    assertEquals(100, produce.count());
    assertEquals(30.0, produce.meanMillis(), 1e-9, "3 s over 100 requests");
    assertEquals(200, times.delta(1, ServerTimes.ROUND_TRIP, "").count());
    assertEquals(20, times.delta(2, ServerTimes.FORCE, "").count());
    assertEquals(20.0, times.delta(2, ServerTimes.FORCE, "").meanMillis(), 1e-9);
    assertEquals(0, times.delta(3, ServerTimes.FORCE, "").count(), "a node never scraped");
    assertTrue(Double.isNaN(times.delta(2, ServerTimes.PRODUCE, "").meanMillis()));
  }

  @Test
  void aMetricIsNotConfusedWithOneWhoseNameStartsWithIt() {
    String text = scrape(1, 1, 5, 2);
    assertEquals(5, ServerTimes.total(text, "sluice_log_force_seconds_count", ""));
    assertEquals(1001, ServerTimes.total(text, "sluice_produce_latency_seconds_count", ""));
    assertEquals(0, ServerTimes.total(text, "sluice_absent_count", ""));
  }

  @Test
  void theBreakdownPrintsEachNodeAndKeyValueLines() {
    ServerTimes times =
        new ServerTimes(
            2,
            Map.of(1, scrape(0, 0, 0, 0), 2, scrape(0, 0, 0, 0)),
            Map.of(1, scrape(0, 0, 10, 0.2), 2, scrape(50, 1.5, 20, 0.3)));
    StringWriter text = new StringWriter();
    times.print(new PrintWriter(text));
    String printed = text.toString();
    assertTrue(printed.contains("2 (leader)"), printed);
    assertTrue(printed.contains("server_produce_ms_mean=30.0"), printed);
    assertTrue(printed.contains("round_trip_ms_mean=7.5"), printed);
    assertTrue(printed.contains("forces_node1=10"), printed);
    assertTrue(printed.contains("force_ms_mean_node1=20.0"), printed);
    assertTrue(printed.contains("force_ms_mean_node2=15.0"), printed);
  }
}
