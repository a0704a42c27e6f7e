package dev.sluice.log;

import java.nio.ByteBuffer;

/**
 * One whole batch of a log held in memory ({@link PartitionLog#recentBatches}): offsets {@code
 * baseOffset..lastOffset}, its bytes as the log wrote them (stamped). The buffer is a view of what
 * the log keeps and shares with other readers: read it, never write to it.
 */
public record RecentBatch(long baseOffset, long lastOffset, ByteBuffer bytes) {}
