package dev.sluice.log.index;

/**
 * An offset-index entry: the batch whose base offset is {@code offset} starts at {@code position}.
 */
public record IndexEntry(long offset, int position) {}
