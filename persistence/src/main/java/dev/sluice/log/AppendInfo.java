package dev.sluice.log;

/**
 * The result of an append: the offsets given to the appended records, the bytes written and the log
 * end offset after the append.
 */
public record AppendInfo(long baseOffset, long lastOffset, long sizeInBytes, long logEndOffset) {}
