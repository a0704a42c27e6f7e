package dev.sluice.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the seconds of a follower's catch-up go: the instants the restarted follower node recorded
 * itself (its JVM start, its member Up, its replica's log opened, the leader's first frame, the
 * first and last record bytes received, and since when its applied in-sync set names it), read from
 * its {@code GET /replicas} answer, plus the launch: the launcher's clock just before it forked the
 * follower's JVM (the T0 Kafka's benchmark harness takes), cut into phases between consecutive
 * instants. Not the operating system's start instant of the process: the JDK derives it from the
 * boot time in whole seconds ({@code btime}), so it lies up to a second early (0.62 s on the
 * machine of docs/benchmarks.md).
 *
 * <p>The phases follow the instants in the order they happened, not a fixed order: a node opens the
 * logs of its replicas only once the controller assigned them, which may be after its member is Up.
 * An instant the node did not report (-1) is left out of the phases and listed in {@link #missing}.
 * The phases therefore always add up to the span from the first instant to the last.
 *
 * <p>Thread-safety: immutable.
 *
 * @param milestones the known instants, in the order they happened
 * @param missing names of the instants the node did not report
 */
record CatchUpPhases(List<Milestone> milestones, List<String> missing) {

  static final String LAUNCH = "launch";
  static final String JVM_START = "JVM start";
  static final String LOG_OPENED = "log opened";
  static final String MEMBER_UP = "member Up";
  static final String HANDSHAKE_ACCEPTED = "handshake accepted";
  static final String FIRST_BYTE = "first byte";
  static final String LAST_BYTE = "last byte";
  static final String IN_SYNC = "in the in-sync set";

  /** One instant, in epoch milliseconds. */
  record Milestone(String name, long millis) {}

  /** The span between two consecutive milestones. */
  record Phase(String from, String to, long millis) {
    String label() {
      return from + " -> " + to;
    }

    String seconds() {
      return String.format(Locale.ROOT, "%.2f", millis / 1e3);
    }
  }

  CatchUpPhases {
    milestones = List.copyOf(milestones);
    missing = List.copyOf(missing);
  }

  /**
   * The phases from the instants: each -1 when unknown. Instants at the same millisecond keep the
   * order of the arguments, which is the order a catch-up normally goes through.
   */
  static CatchUpPhases of(
      long launch,
      long jvmStart,
      long memberUp,
      long logOpened,
      long handshakeAccepted,
      long firstByte,
      long lastByte,
      long inSync) {
    List<Milestone> all =
        List.of(
            new Milestone(LAUNCH, launch),
            new Milestone(JVM_START, jvmStart),
            new Milestone(MEMBER_UP, memberUp),
            new Milestone(LOG_OPENED, logOpened),
            new Milestone(HANDSHAKE_ACCEPTED, handshakeAccepted),
            new Milestone(FIRST_BYTE, firstByte),
            new Milestone(LAST_BYTE, lastByte),
            new Milestone(IN_SYNC, inSync));
    List<Milestone> known = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (Milestone m : all) {
      if (m.millis() < 0) {
        missing.add(m.name());
      } else {
        known.add(m);
      }
    }
    known.sort(Comparator.comparingLong(Milestone::millis)); // stable: ties keep argument order
    return new CatchUpPhases(known, missing);
  }

  /**
   * The phases from a follower node's {@code GET /replicas} answer for partition {@code partition}
   * of {@code topic}; empty if the answer does not hold that replica.
   */
  static Optional<CatchUpPhases> fromReplicas(
      JsonNode replicas, String topic, int partition, long launchMillis) {
    for (JsonNode r : replicas.path("replicas")) {
      if (topic.equals(r.path("topic").asText()) && r.path("partition").asInt(-1) == partition) {
        JsonNode c = r.path("catchUp");
        return Optional.of(
            of(
                launchMillis,
                replicas.path("jvmStartMillis").asLong(-1),
                replicas.path("memberUpMillis").asLong(-1),
                c.path("logOpenedMillis").asLong(-1),
                c.path("handshakeAcceptedMillis").asLong(-1),
                c.path("firstByteMillis").asLong(-1),
                c.path("lastByteMillis").asLong(-1),
                c.path("inSyncSinceMillis").asLong(-1)));
      }
    }
    return Optional.empty();
  }

  /** Each span between consecutive known instants. */
  List<Phase> phases() {
    List<Phase> phases = new ArrayList<>();
    for (int i = 1; i < milestones.size(); i++) {
      Milestone from = milestones.get(i - 1);
      Milestone to = milestones.get(i);
      phases.add(new Phase(from.name(), to.name(), to.millis() - from.millis()));
    }
    return phases;
  }

  /**
   * Milliseconds from the instant named {@code from} to the one named {@code to}, if both known.
   */
  Optional<Long> between(String from, String to) {
    Optional<Long> a = at(from);
    Optional<Long> b = at(to);
    return a.isPresent() && b.isPresent() ? Optional.of(b.get() - a.get()) : Optional.empty();
  }

  private Optional<Long> at(String name) {
    return milestones.stream()
        .filter(m -> m.name().equals(name))
        .map(Milestone::millis)
        .findFirst();
  }

  /** The phases as a table: one row each, then the total from the first to the last instant. */
  Table table() {
    Table table = new Table("phase (follower node's own instants)", "seconds");
    for (Phase p : phases()) {
      table.row(p.label(), p.seconds());
    }
    if (milestones.size() > 1) {
      Milestone first = milestones.get(0);
      Milestone last = milestones.get(milestones.size() - 1);
      table.row(
          "total: " + first.name() + " -> " + last.name(),
          new Phase(first.name(), last.name(), last.millis() - first.millis()).seconds());
    }
    if (!missing.isEmpty()) {
      table.row("not reported", String.join(", ", missing));
    }
    return table;
  }
}
