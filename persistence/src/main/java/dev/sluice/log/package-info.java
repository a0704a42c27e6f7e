/**
 * The partition log: one directory per partition replica, holding whole record batches (Kafka's
 * RecordBatch v2, the codec of {@code sluice-format}) in segments, with checkpoints and a staging
 * area. No Pekko; callers run it on their own threads.
 *
 * <p>{@link dev.sluice.log.PartitionLog} is the facade every other module uses: appends (leader and
 * follower paths), reads ({@link dev.sluice.log.FetchResult}, {@link dev.sluice.log.LogSlice},
 * {@link dev.sluice.log.RecordLocation}), truncation, retention and the high watermark. Behind it,
 * {@code LogLoader} recovers a directory at open and {@code Segments} holds the segments with the
 * lock that keeps readers off files being cut or deleted. {@link dev.sluice.log.FileRegion} is the
 * one way to read bytes of a segment file.
 *
 * <p>Sub-packages: {@code record} (batches in files: CRCs, the streamed single-record batch, the
 * positional record reader), {@code segment} (one segment file and its index), {@code index} (the
 * sparse offset index), {@code checkpoint} (files replaced atomically), {@code epoch} (the
 * leader-epoch history), {@code staging} (uploads and oversized batches before they are appended),
 * {@code retention} (which old segments go).
 */
package dev.sluice.log;
