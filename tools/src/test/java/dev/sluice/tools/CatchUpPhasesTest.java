package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CatchUpPhasesTest {

  @Test
  void phasesFollowTheInstantsInTheOrderTheyHappenedAndAddUpToTheTotal() {
    // The log is opened after the member is Up: the controller assigns replicas to Up members.
    CatchUpPhases p = CatchUpPhases.of(1_000, 1_150, 2_400, 2_650, 2_700, 2_710, 4_710, 4_900);

    assertEquals(
        List.of(
            new CatchUpPhases.Phase("launch", "JVM start", 150),
            new CatchUpPhases.Phase("JVM start", "member Up", 1_250),
            new CatchUpPhases.Phase("member Up", "log opened", 250),
            new CatchUpPhases.Phase("log opened", "handshake accepted", 50),
            new CatchUpPhases.Phase("handshake accepted", "first byte", 10),
            new CatchUpPhases.Phase("first byte", "last byte", 2_000),
            new CatchUpPhases.Phase("last byte", "in the in-sync set", 190)),
        p.phases());
    assertEquals(3_900, p.phases().stream().mapToLong(CatchUpPhases.Phase::millis).sum());
    assertEquals(Optional.of(2_000L), p.between(CatchUpPhases.FIRST_BYTE, CatchUpPhases.LAST_BYTE));
    assertEquals(Optional.of(3_900L), p.between(CatchUpPhases.LAUNCH, CatchUpPhases.IN_SYNC));
    assertEquals(List.of(), p.missing());
  }

  @Test
  void aLogOpenedBeforeTheMemberIsUpComesFirstAndTiesKeepTheCatchUpOrder() {
    CatchUpPhases p = CatchUpPhases.of(0, 100, 900, 300, 1_000, 1_000, 1_000, 1_200);

    assertEquals(
        List.of(
            "launch",
            "JVM start",
            "log opened",
            "member Up",
            "handshake accepted",
            "first byte",
            "last byte",
            "in the in-sync set"),
        p.milestones().stream().map(CatchUpPhases.Milestone::name).toList());
  }

  @Test
  void unreportedInstantsAreLeftOutAndNamed() {
    CatchUpPhases p = CatchUpPhases.of(0, 100, 500, 600, 700, -1, -1, -1);

    assertEquals(List.of("first byte", "last byte", "in the in-sync set"), p.missing());
    assertEquals(4, p.phases().size());
    assertEquals(Optional.empty(), p.between(CatchUpPhases.FIRST_BYTE, CatchUpPhases.LAST_BYTE));
    String table = print(p.table());
    assertTrue(table.contains("not reported") && table.contains("first byte, last byte"), table);
  }

  @Test
  void readsTheInstantsOfTheReplicaFromAManagementAnswer() throws IOException {
    JsonNode answer =
        ApiJson.mapper()
            .readTree(
                """
                {"node": 2, "jvmStartMillis": 1100, "memberUpMillis": 2000, "replicas": [
                  {"topic": "other", "partition": 0, "catchUp": {"logOpenedMillis": 1}},
                  {"topic": "t", "partition": 0, "catchUp": {
                    "logOpenedMillis": 2100, "handshakeAcceptedMillis": 2200,
                    "firstByteMillis": 2210, "lastByteMillis": 3210, "inSyncSinceMillis": 3300}}]}
                """);

    CatchUpPhases p = CatchUpPhases.fromReplicas(answer, "t", 0, 1000).orElseThrow();

    assertEquals(
        List.of(1000L, 1100L, 2000L, 2100L, 2200L, 2210L, 3210L, 3300L),
        p.milestones().stream().map(CatchUpPhases.Milestone::millis).toList());
    assertEquals(Optional.empty(), CatchUpPhases.fromReplicas(answer, "t", 1, 1000));
    String table = print(p.table());
    assertTrue(table.contains("first byte -> last byte") && table.contains("1.00"), table);
    assertTrue(
        table.contains("total: launch -> in the in-sync set") && table.contains("2.30"), table);
  }

  private static String print(Table table) {
    StringWriter s = new StringWriter();
    try (PrintWriter out = new PrintWriter(s)) {
      table.print(out);
    }
    return s.toString();
  }
}
