package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.ErrorBody;
import dev.sluice.log.producer.ProducerError;
import dev.sluice.replication.leader.PartitionLeader;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * How a leader's refusal of an idempotent batch reaches the client: 409, the rule's name as {@code
 * code}, the producer id, and the expected sequence only when the partition knows one.
 */
class ProducerConflictTest {

  @Test
  void anOutOfOrderSequenceIs409WithCodeProducerAndExpectedSequence() {
    ApiException e =
        ProduceHandler.producerConflict(
            refusal(ProducerError.OUT_OF_ORDER_SEQUENCE, 17, OptionalInt.of(8), "gap at 12"));

    assertEquals(409, e.status());
    assertEquals(
        Map.of(
            ErrorBody.CODE,
            "OUT_OF_ORDER_SEQUENCE",
            ErrorBody.PRODUCER_ID,
            17L,
            ErrorBody.EXPECTED_SEQUENCE,
            8),
        e.body().details());
    assertEquals(
        List.of(ErrorBody.CODE, ErrorBody.PRODUCER_ID, ErrorBody.EXPECTED_SEQUENCE),
        List.copyOf(e.body().details().keySet()),
        "the same field order on every answer");
    assertTrue(e.getMessage().startsWith("gap at 12"), e.getMessage());
    assertTrue(e.getMessage().endsWith("nothing was written"), e.getMessage());
  }

  @Test
  void withoutAKnownSequenceTheFieldIsLeftOut() {
    for (ProducerError error :
        List.of(ProducerError.UNKNOWN_PRODUCER_ID, ProducerError.PRODUCER_FENCED)) {
      ApiException e =
          ProduceHandler.producerConflict(refusal(error, 3, OptionalInt.empty(), "refused"));

      assertEquals(409, e.status());
      assertEquals(
          Map.of(ErrorBody.CODE, error.name(), ErrorBody.PRODUCER_ID, 3L), e.body().details());
    }
  }

  private static PartitionLeader.AppendRefused refusal(
      ProducerError error, long producerId, OptionalInt expected, String message) {
    return new PartitionLeader.AppendRefused(
        PartitionLeader.Refusal.PRODUCER_STATE,
        message,
        Optional.of(new PartitionLeader.ProducerRejection(error, producerId, expected)));
  }
}
