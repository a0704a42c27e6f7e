/**
 * Kafka's record batch format v2 (magic 2): the byte layout ({@link
 * dev.sluice.format.BatchLayout}), zig-zag varints, the header ({@link
 * dev.sluice.format.BatchHeader}), building batches in memory ({@link
 * dev.sluice.format.MemoryBatchBuilder}), checking a produced batch chunk by chunk in bounded
 * memory ({@link dev.sluice.format.BatchValidator}), reading records back, decompressing ({@link
 * dev.sluice.format.RecordReader}), the four codecs, and Kafka's murmur2 key partitioner.
 *
 * <p>A leaf module: pure byte handling on the JDK and the codec libraries Kafka's own client uses,
 * with no knowledge of segments, offsets assigned by a log, HTTP or Pekko. It is the one batch
 * codec of the server (the log stores these batches, {@code persistence}) and of the client, so
 * that a batch is encoded by one piece of code on both sides. Compatibility with Kafka is proven by
 * tests against kafka-clients, which is a test dependency only.
 */
package dev.sluice.format;
