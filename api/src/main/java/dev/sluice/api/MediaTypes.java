package dev.sluice.api;

/**
 * Content types of the client API: metadata, errors and redirects are JSON; record values and
 * batches are raw bytes.
 *
 * <p>Thread-safety: constants only.
 */
public final class MediaTypes {
  /** Topic requests and descriptions, produce answers, error and redirect bodies. */
  public static final String JSON = "application/json";

  /** A produced or fetched record value, or whole batches in the on-disk batch format. */
  public static final String OCTET_STREAM = "application/octet-stream";

  /**
   * Records as JSON lines, one object per line: a batched produce body, and a fetch answer when a
   * client asks for it. Keys, values and header values are base64 (standard alphabet), or null.
   */
  public static final String NDJSON = "application/x-ndjson";

  /**
   * One record batch as a producer builds it, in Kafka's RecordBatch v2 layout (magic 2): a batched
   * produce body the server validates (CRC, sizes, record count, offset deltas) and stores as sent,
   * stamping only the base offset and the leader epoch. The base offset may be anything, the
   * partition leader epoch is -1, the producer id -1, and the batch is uncompressed.
   */
  public static final String RECORD_BATCH_V2 = "application/vnd.sluice.record-batch.v2";

  private MediaTypes() {}
}
