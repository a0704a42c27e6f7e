/**
 * Record batches as the log stores them: Kafka's RecordBatch v2, whose codec (layout, header,
 * builder, validator, reader) is the {@code sluice-format} module's ({@link
 * dev.sluice.format.BatchLayout}). This package adds what storage needs on top of it: CRCs and
 * streaming of batches held in files ({@link dev.sluice.log.record.BatchFiles}), the single-record
 * batch streamed from a value of any size ({@link dev.sluice.log.record.StreamingBatchWriter}),
 * walking whole batches in a buffer, and decoding a stored batch's records with positional reads
 * ({@link dev.sluice.log.record.FileRecordReader}), or from the codec's stream for a compressed
 * batch ({@link dev.sluice.log.record.CompressedRecords}), values always located, never held. The
 * bytes are identical in segment files, replication frames and staged batches. Pure byte handling;
 * no knowledge of segments or offsets assigned by a log.
 */
package dev.sluice.log.record;
