package dev.sluice.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a produce benchmark's time went on the servers: the difference between two scrapes of each
 * node's {@code /metrics} (Prometheus text), taken when the measured part started and when it
 * ended. Reads the leader's produce latency ({@code acks=all}, arrival to answer) and replication
 * round trip (append to an in-sync follower's durable report), and every node's segment forces
 * ({@code sluice_log_force_seconds}): counts and means over the measured part only.
 *
 * <p>Thread-safety: immutable.
 */
record ServerTimes(int leader, Map<Integer, String> before, Map<Integer, String> after) {

  static final String PRODUCE = "sluice_produce_latency_seconds";
  static final String ROUND_TRIP = "sluice_replication_round_trip_seconds";
  static final String FORCE = "sluice_log_force_seconds";

  /** A timer's samples and total seconds between the two scrapes. */
  record Delta(double count, double seconds) {
    double meanMillis() {
      return count == 0 ? Double.NaN : seconds / count * 1000;
    }
  }

  /**
   * {@code metric}'s delta on {@code node}, over its series whose labels contain {@code labels}.
   */
  Delta delta(int node, String metric, String labels) {
    String b = before.get(node);
    String a = after.get(node);
    if (b == null || a == null) {
      return new Delta(0, 0);
    }
    return new Delta(
        total(a, metric + "_count", labels) - total(b, metric + "_count", labels),
        total(a, metric + "_sum", labels) - total(b, metric + "_sum", labels));
  }

  /**
   * The sum of the values of the series named {@code name} whose label set contains {@code labels}
   * (empty: every series) in a Prometheus text exposition; 0 when there is none.
   */
  static double total(String text, String name, String labels) {
    double total = 0;
    for (String line : text.split("\n")) {
      if (!line.startsWith(name) || line.length() == name.length()) {
        continue;
      }
      char next = line.charAt(name.length());
      if (next != '{' && next != ' ') {
        continue; // another metric whose name starts with this one
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      if (!labels.isEmpty() && !series.contains(labels)) {
        continue;
      }
      try {
        total += Double.parseDouble(line.substring(space + 1).trim());
      } catch (NumberFormatException e) {
        // NaN or a malformed sample: not a count or a sum of ours.
      }
    }
    return total;
  }

  /** The breakdown as table lines and {@code key=value} lines. */
  void print(PrintWriter out) {
    out.println();
    out.println("server side, measured part (from each node's /metrics)");
    Table table = new Table("node", "produce (arrival to answer)", "round trip", "forces");
    Map<Integer, String> nodes = new TreeMap<>(after);
    List<String> keys = new ArrayList<>();
    for (int node : nodes.keySet()) {
      Delta force = delta(node, FORCE, "");
      String produce = "";
      String roundTrip = "";
      if (node == leader) {
        Delta p = delta(node, PRODUCE, "acks=\"all\"");
        Delta r = delta(node, ROUND_TRIP, "");
        produce = String.format(Locale.ROOT, "%.0f, mean %.1f ms", p.count(), p.meanMillis());
        roundTrip = String.format(Locale.ROOT, "%.0f, mean %.1f ms", r.count(), r.meanMillis());
        keys.add(String.format(Locale.ROOT, "server_produce_ms_mean=%.1f", p.meanMillis()));
        keys.add(String.format(Locale.ROOT, "round_trip_ms_mean=%.1f", r.meanMillis()));
      }
      table.row(
          node + (node == leader ? " (leader)" : ""),
          produce,
          roundTrip,
          String.format(Locale.ROOT, "%.0f, mean %.1f ms", force.count(), force.meanMillis()));
      keys.add(String.format(Locale.ROOT, "forces_node%d=%.0f", node, force.count()));
      keys.add(String.format(Locale.ROOT, "force_ms_mean_node%d=%.1f", node, force.meanMillis()));
    }
    table.print(out);
    out.println();
    keys.forEach(out::println);
    out.flush();
  }
}
