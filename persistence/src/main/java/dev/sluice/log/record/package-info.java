/**
 * The record batch format (layout in {@link dev.sluice.log.record.RecordBatch}), identical in
 * segment files, replication frames and staged batches: building batches in memory or streamed from
 * a file, parsing and checking headers and CRCs, and decoding records with positional reads. Pure
 * byte handling; no knowledge of segments or offsets assigned by a log.
 */
package dev.sluice.log.record;
