package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden tests of the wire form. The JSON literals are what the server writes today (field names,
 * field order, {@code -1} for unknown numbers, the role and state labels, the flat error body);
 * records written with {@link ApiJson} must produce them byte for byte, and parsing them (with
 * fields a newer server might add) must give the records back.
 */
class WireFormatTest {
  private static final ObjectMapper JSON = ApiJson.mapper();

  /** A topic as {@code GET /topics/orders} describes it: a leader, two followers, one unknown. */
  private static final String TOPIC =
      """
      {"name": "orders", "partitionCount": 2, "replicationFactor": 3, "partitions": [
        {"partition": 0, "leader": 1, "leaderEpoch": 4, "inSync": [1, 2], "replicas": [
          {"node": 1, "role": "leader", "leo": 12, "hw": 8, "state": "leading", "lagBytes": 0,
           "lastError": "", "backoffMillis": 0, "stalled": false, "stallCount": 0},
          {"node": 2, "role": "follower", "leo": 10, "hw": 8, "state": "catchingUp",
           "lagBytes": 1234, "lastError": "connection reset", "backoffMillis": 200,
           "stalled": true, "stallCount": 3},
          {"node": 3, "role": "follower", "leo": -1, "hw": -1, "state": "unknown", "lagBytes": -1,
           "lastError": "", "backoffMillis": 0, "stalled": false, "stallCount": 0}],
         "preferredLeader": 1},
        {"partition": 1, "leader": -1, "leaderEpoch": 5, "inSync": [2], "replicas": [],
         "preferredLeader": -1}],
       "topicId": "7f9c", "config": {"retention.bytes": "1GiB"}}
      """;

  private static final TopicDescription ORDERS =
      new TopicDescription(
          "orders",
          2,
          3,
          List.of(
              new PartitionDescription(
                  0,
                  1,
                  4,
                  List.of(1, 2),
                  List.of(
                      new ReplicaDescription(
                          1, ReplicaRole.LEADER, 12, 8, ReplicaState.LEADING, 0, "", 0, false, 0),
                      new ReplicaDescription(
                          2,
                          ReplicaRole.FOLLOWER,
                          10,
                          8,
                          ReplicaState.CATCHING_UP,
                          1234,
                          "connection reset",
                          200,
                          true,
                          3),
                      ReplicaDescription.unknown(3, ReplicaRole.FOLLOWER))),
              new PartitionDescription(
                  1, PartitionDescription.NO_LEADER, 5, List.of(2), List.of())),
          "7f9c",
          Map.of("retention.bytes", "1GiB"));

  @Test
  void topicDescriptionIsWrittenAsTheServerWritesIt() throws Exception {
    assertEquals(compact(TOPIC), JSON.writeValueAsString(ORDERS));
  }

  @Test
  void topicDescriptionIsReadBackIncludingFieldsANewerServerAdds() throws Exception {
    assertEquals(ORDERS, JSON.readValue(TOPIC, TopicDescription.class));
    String newer =
        TOPIC
            .replace("\"name\": \"orders\",", "\"name\": \"orders\", \"retention\": {\"ms\": 1},")
            .replace("\"leaderEpoch\": 4,", "\"leaderEpoch\": 4, \"version\": 9,")
            .replace("\"stallCount\": 3}", "\"stallCount\": 3, \"resentBytes\": 77}");
    assertEquals(ORDERS, JSON.readValue(newer, TopicDescription.class));
  }

  @Test
  void aTopicFromAnOlderServerHasNoIdNoSettingsAndItsFirstReplicaAsPreferredLeader()
      throws Exception {
    String older =
        """
        {"name": "t", "partitionCount": 1, "replicationFactor": 2, "partitions": [
          {"partition": 0, "leader": 2, "leaderEpoch": 1, "inSync": [1, 2], "replicas": [
            {"node": 1, "role": "follower", "leo": 1, "hw": 1, "state": "inSync", "lagBytes": 0},
            {"node": 2, "role": "leader", "leo": 1, "hw": 1, "state": "leading",
             "lagBytes": 0}]}]}
        """;

    TopicDescription t = JSON.readValue(older, TopicDescription.class);

    assertEquals(null, t.topicId());
    assertEquals(Map.of(), t.config());
    assertEquals(1, t.partitions().get(0).preferredLeader());
    assertFalse(t.partitions().get(0).preferredLeads());
  }

  @Test
  void topicLifecycleBodiesAreWhatClientAndServerExchange() throws Exception {
    assertEquals(
        "{\"name\":\"orders\",\"partitions\":2,\"replicationFactor\":3,"
            + "\"config\":{\"flush\":\"os\"}}",
        JSON.writeValueAsString(new CreateTopicRequest("orders", 2, 3, Map.of("flush", "os"))));
    assertEquals(
        new CreateTopicRequest("orders", 2, 3, Map.of("flush", "os")),
        JSON.readValue(
            "{\"name\":\"orders\",\"partitions\":2,\"replicationFactor\":3,"
                + "\"config\":{\"flush\":\"os\"}}",
            CreateTopicRequest.class));
    assertEquals("{\"partitions\":4}", JSON.writeValueAsString(new AddPartitionsRequest(4)));
    assertEquals(
        new AddPartitionsRequest(4),
        JSON.readValue("{\"partitions\":4}", AddPartitionsRequest.class));
    Map<String, String> changes = new LinkedHashMap<>();
    changes.put("flush", "os");
    changes.put("retention.bytes", null);
    String alter = "{\"config\":{\"flush\":\"os\",\"retention.bytes\":null}}";
    assertEquals(alter, JSON.writeValueAsString(new AlterTopicConfigRequest(changes)));
    assertEquals(
        new AlterTopicConfigRequest(changes), JSON.readValue(alter, AlterTopicConfigRequest.class));
    String deleted = "{\"name\":\"orders\",\"topicId\":\"7f9c\",\"partitionCount\":3}";
    assertEquals(deleted, JSON.writeValueAsString(new TopicDeleted("orders", "7f9c", 3)));
    assertEquals(
        new TopicDeleted("orders", "7f9c", 3), JSON.readValue(deleted, TopicDeleted.class));
    String moves =
        "{\"moves\":[{\"topic\":\"orders\",\"partition\":1,\"from\":2,\"to\":1,"
            + "\"leaderEpoch\":5}]}";
    LeaderMoves m = new LeaderMoves(List.of(new LeaderMoves.Move("orders", 1, 2, 1, 5)));
    assertEquals(moves, JSON.writeValueAsString(m));
    assertEquals(m, JSON.readValue(moves, LeaderMoves.class));
  }

  @Test
  void topicListWrapsTheDescriptions() throws Exception {
    String list = "{\"topics\": [" + TOPIC + "]}";
    TopicList topics = new TopicList(List.of(ORDERS));
    assertEquals(compact(list), JSON.writeValueAsString(topics));
    assertEquals(topics, JSON.readValue(list, TopicList.class));
    assertEquals("{\"topics\":[]}", JSON.writeValueAsString(new TopicList(List.of())));
  }

  @Test
  void everyReplicaStateAndRoleHasTodaysLabel() throws Exception {
    assertEquals(
        List.of(
            "loading",
            "connecting",
            "truncating",
            "catchingUp",
            "caughtUp",
            "inSync",
            "backingOff",
            "leading",
            "unknown",
            "closed"),
        Arrays.stream(ReplicaState.values()).map(ReplicaState::label).toList());
    assertEquals(
        List.of("leader", "follower"),
        Arrays.stream(ReplicaRole.values()).map(ReplicaRole::label).toList());
    for (ReplicaState state : ReplicaState.values()) {
      String json = "\"" + state.label() + "\"";
      assertEquals(json, JSON.writeValueAsString(state));
      assertEquals(state, JSON.readValue(json, ReplicaState.class));
      assertEquals(state.label(), state.toString());
    }
    for (ReplicaRole role : ReplicaRole.values()) {
      String json = "\"" + role.label() + "\"";
      assertEquals(json, JSON.writeValueAsString(role));
      assertEquals(role, JSON.readValue(json, ReplicaRole.class));
      assertEquals(role.label(), role.toString());
    }
  }

  @Test
  void aStateThisClientDoesNotKnowReadsAsUnknownButAnUnknownRoleIsRefused() throws Exception {
    String replica =
        """
        {"node": 4, "role": "follower", "leo": 1, "hw": 1, "state": "rebalancing", "lagBytes": 0,
         "lastError": "", "backoffMillis": 0, "stalled": false, "stallCount": 0}
        """;
    assertEquals(ReplicaState.UNKNOWN, JSON.readValue(replica, ReplicaDescription.class).state());
    InvalidFormatException e =
        assertThrows(
            InvalidFormatException.class,
            () ->
                JSON.readValue(
                    replica.replace("\"follower\"", "\"observer\""), ReplicaDescription.class));
    assertEquals("observer", e.getValue());
  }

  @Test
  void produceResponseIsTheFirstAndLastOffsetAndTheCount() throws Exception {
    String single = "{\"offset\":42,\"lastOffset\":42,\"count\":1}";
    assertEquals(single, JSON.writeValueAsString(new ProduceResponse(42)));
    assertEquals(new ProduceResponse(42), JSON.readValue(single, ProduceResponse.class));
    String batch = "{\"offset\":42,\"lastOffset\":1041,\"count\":1000}";
    assertEquals(batch, JSON.writeValueAsString(new ProduceResponse(42, 1041, 1000)));
    assertEquals(new ProduceResponse(42, 1041, 1000), JSON.readValue(batch, ProduceResponse.class));
  }

  @Test
  void createTopicRequestIsWhatTheClientSendsAndTheReplicationFactorDefaultsToOne()
      throws Exception {
    String full = "{\"name\":\"orders\",\"partitions\":2,\"replicationFactor\":3}";
    assertEquals(full, JSON.writeValueAsString(new CreateTopicRequest("orders", 2, 3)));
    assertEquals(
        new CreateTopicRequest("orders", 2, 3), JSON.readValue(full, CreateTopicRequest.class));
    // The body ClientApiTest and the README's curl example send.
    assertEquals(
        new CreateTopicRequest("orders", 2, 1),
        JSON.readValue("{\"name\":\"orders\",\"partitions\":2}", CreateTopicRequest.class));
    assertEquals(new CreateTopicRequest("orders", 2, 1), new CreateTopicRequest("orders", 2));
  }

  @Test
  void createTopicRequestWithoutNameOrPartitionsIsRefusedNamingTheField() {
    MismatchedInputException noName =
        assertThrows(
            MismatchedInputException.class,
            () -> JSON.readValue("{\"partitions\":1}", CreateTopicRequest.class));
    assertTrue(noName.getOriginalMessage().contains("'name'"), noName.getOriginalMessage());
    MismatchedInputException noPartitions =
        assertThrows(
            MismatchedInputException.class,
            () -> JSON.readValue("{\"name\":\"orders\"}", CreateTopicRequest.class));
    assertTrue(
        noPartitions.getOriginalMessage().contains("'partitions'"),
        noPartitions.getOriginalMessage());
  }

  @Test
  void errorBodiesAreFlatWithTheMessageFirst() throws Exception {
    Map<String, Object> range = new LinkedHashMap<>();
    range.put(ErrorBody.LOG_START_OFFSET, 0L);
    range.put(ErrorBody.HIGH_WATERMARK, 5L);
    String outOfRange =
        "{\"error\":\"offset 9 of orders-0 is out of range: readable offsets are [0, 5)\","
            + "\"logStartOffset\":0,\"highWatermark\":5}";
    ErrorBody body =
        new ErrorBody("offset 9 of orders-0 is out of range: readable offsets are [0, 5)", range);
    assertEquals(outOfRange, JSON.writeValueAsString(body));
    ErrorBody read = JSON.readValue(outOfRange, ErrorBody.class);
    assertEquals(body.error(), read.error());
    assertEquals(List.of("logStartOffset", "highWatermark"), List.copyOf(read.details().keySet()));
    assertEquals(5, read.longDetail(ErrorBody.HIGH_WATERMARK).getAsLong());
    assertEquals(0, read.longDetail(ErrorBody.LOG_START_OFFSET).getAsLong());

    Map<String, Object> limit = new LinkedHashMap<>();
    limit.put(ErrorBody.MAX_BATCH_BYTES, 1024L);
    limit.put(ErrorBody.MAX_VALUE_BYTES, 900L);
    assertEquals(
        "{\"error\":\"too big\",\"maxBatchBytes\":1024,\"maxValueBytes\":900}",
        JSON.writeValueAsString(new ErrorBody("too big", limit)));
    assertEquals(
        "{\"error\":\"written, not acknowledged\",\"offset\":7}",
        JSON.writeValueAsString(
            new ErrorBody("written, not acknowledged", Map.of(ErrorBody.OFFSET, 7L))));
    assertEquals(
        "{\"error\":\"acks = x: must be all or leader\"}",
        JSON.writeValueAsString(new ErrorBody("acks = x: must be all or leader")));
  }

  @Test
  void aBodyWithoutAnErrorFieldIsNotAnErrorBody() {
    JsonProcessingException e =
        assertThrows(
            JsonProcessingException.class,
            () -> JSON.readValue("{\"message\":\"Bad Gateway\"}", ErrorBody.class));
    // A client falls back to the raw text of such a body (a proxy's page, say).
    assertEquals(
        "not a Sluice error body: no \"error\" field among [message]", e.getCause().getMessage());
    assertThrows(
        JsonProcessingException.class, () -> JSON.readValue("\"Bad Gateway\"", ErrorBody.class));
  }

  @Test
  void redirectBodyCarriesTheTarget() throws Exception {
    String target = "http://127.0.0.1:7701/topics/orders/partitions/0/records?acks=all";
    String json = "{\"redirect\":\"" + target + "\"}";
    assertEquals(json, JSON.writeValueAsString(new RedirectBody(target)));
    assertEquals(new RedirectBody(target), JSON.readValue(json, RedirectBody.class));
  }

  @Test
  void headerNamesAndMediaTypesAreTodays() {
    assertEquals("X-Sluice-Key", Headers.KEY);
    assertEquals("X-Sluice-Offset", Headers.OFFSET);
    assertEquals("X-Sluice-Next-Offset", Headers.NEXT_OFFSET);
    assertEquals("X-Sluice-High-Watermark", Headers.HIGH_WATERMARK);
    assertEquals("X-Sluice-Log-Start-Offset", Headers.LOG_START_OFFSET);
    assertEquals("application/json", MediaTypes.JSON);
    assertEquals("application/octet-stream", MediaTypes.OCTET_STREAM);
  }

  /** The literal with its whitespace removed and its field order kept. */
  private static String compact(String json) throws JsonProcessingException {
    return JSON.writeValueAsString(JSON.readTree(json));
  }
}
