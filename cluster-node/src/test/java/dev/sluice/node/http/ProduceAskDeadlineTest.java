package dev.sluice.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.replication.protocol.PartitionId;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The produce request's single deadline: an append the leader did not answer in time is reported as
 * possibly written, and the acks=all commit wait gets only what the append left of the request
 * timeout.
 */
class ProduceAskDeadlineTest {
  private static final PartitionId TP = new PartitionId("events", 2);

  @Test
  void anUnansweredAppendIs503SayingTheRecordsMayHaveBeenWritten() {
    RuntimeException e =
        ProduceHandler.appendAskFailed(
            TP,
            new CompletionException(new AskTimeoutException("Ask timed out on [Actor] after")),
            Duration.ofSeconds(30));
    ApiException api = assertInstanceOf(ApiException.class, e);
    assertEquals(503, api.status());
    String m = api.getMessage();
    assertTrue(m.contains(TP.toString()), m);
    assertTrue(m.contains("sluice.api.request-timeout = 30000ms"), m);
    assertTrue(m.contains("may have been written at an unknown offset"), m);
    assertTrue(m.contains("a retry may write them twice"), m);
  }

  @Test
  void anyOtherFailureOfTheAppendPassesThrough() {
    IllegalStateException cause = new IllegalStateException("no leader actor attached");
    assertSame(
        cause,
        ProduceHandler.appendAskFailed(TP, new CompletionException(cause), Duration.ofSeconds(1)));
  }

  @Test
  void theCommitWaitGetsWhatTheAppendLeftOfTheTimeout() {
    long deadline = 10_000_000_000L;
    assertEquals(Duration.ofSeconds(4), ProduceHandler.remaining(deadline, 6_000_000_000L));
    // A spent deadline still looks once, briefly, for a commit that already happened.
    assertEquals(Duration.ofMillis(1), ProduceHandler.remaining(deadline, deadline));
    assertEquals(Duration.ofMillis(1), ProduceHandler.remaining(deadline, deadline + 5));
  }
}
