package dev.sluice.log.segment;

/**
 * Contiguous whole batches of one segment: {@code length} bytes from {@code position}, holding
 * offsets {@code baseOffset} to {@code lastOffset}.
 */
public record BatchRun(long position, long length, long baseOffset, long lastOffset) {}
