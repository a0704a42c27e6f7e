package dev.sluice.client;

import java.util.List;

/**
 * The answer to one fetch ({@link SluiceClient#fetchRecords}): the records, in offset order, where
 * to fetch next, and the answering replica's high watermark.
 *
 * <p>Thread-safety: immutable.
 *
 * @param nextOffset the offset to ask for next: after the last record, or the fetched offset when
 *     nothing was read
 * @param highWatermark offsets below it were committed when the replica answered
 */
public record FetchedRecords(List<ConsumedRecord> records, long nextOffset, long highWatermark) {
  public FetchedRecords {
    records = List.copyOf(records);
  }

  public boolean isEmpty() {
    return records.isEmpty();
  }
}
