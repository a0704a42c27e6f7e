package dev.sluice.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The exposition format, byte for byte. */
class PrometheusTextTest {

  @Test
  void familiesHaveHelpAndTypeThenTheirSamples() {
    String text =
        new PrometheusText()
            .family("sluice_replica_stalls_total", PrometheusText.Type.COUNTER, "Stalls.")
            .sample("sluice_replica_stalls_total", 2, "topic", "t", "partition", "0")
            .family("sluice_node_ready", PrometheusText.Type.GAUGE, "Ready.")
            .sample("sluice_node_ready", 1)
            .toString();
    assertEquals(
        """
        # HELP sluice_replica_stalls_total Stalls.
        # TYPE sluice_replica_stalls_total counter
        sluice_replica_stalls_total{topic="t",partition="0"} 2
        # HELP sluice_node_ready Ready.
        # TYPE sluice_node_ready gauge
        sluice_node_ready 1
        """,
        text);
  }

  @Test
  void labelValuesAndHelpAreEscaped() {
    String text =
        new PrometheusText()
            .family("m", PrometheusText.Type.GAUGE, "a \\ b\nc")
            .sample("m", -1, "l", "x\"y\\z\nw")
            .toString();
    assertEquals("# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{l=\"x\\\"y\\\\z\\nw\"} -1\n", text);
  }

  @Test
  void labelsComeInPairs() {
    assertThrows(
        IllegalArgumentException.class, () -> new PrometheusText().sample("m", 1, "lonely"));
  }
}
