package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.client.RecordMetadata;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The summary {@code produce --lines/--ndjson} prints: totals, then offsets per partition. */
class ProduceSummaryTest {

  @Test
  void printsTotalsThenTheFirstAndLastOffsetOfEachPartition() {
    ProduceSummary summary = new ProduceSummary("orders");
    summary.acknowledged(new RecordMetadata("orders", 2, 41), 1000);
    summary.acknowledged(new RecordMetadata("orders", 0, 7), 24);
    summary.acknowledged(new RecordMetadata("orders", 2, 40), 1000);
    summary.acknowledged(new RecordMetadata("orders", 2, 42), 1000);

    StringWriter out = new StringWriter();
    summary.print(new PrintWriter(out), 1_234_000_000L);

    assertEquals(
        "produced 4 records (3.0 KiB) to orders in 1.23 s\n"
            + "partition 0: offsets 7 to 7 (1 record)\n"
            + "partition 2: offsets 40 to 42 (3 records)\n",
        out.toString());
    assertNull(summary.failureMessage());
  }

  @Test
  void failuresAreCountedAndTheFirstIsQuoted() {
    ProduceSummary summary = new ProduceSummary("orders");
    summary.acknowledged(new RecordMetadata("orders", 0, 0), 1);
    summary.failed(new IllegalStateException("first problem"));
    summary.failed(new IllegalStateException("second problem"));

    assertEquals(2, summary.failures());
    assertEquals("2 of 3 records failed; the first: first problem", summary.failureMessage());
  }
}
