package dev.sluice.log.segment;

import dev.sluice.format.BatchHeader;

/** A batch found in a segment: its byte position and decoded header. */
public record BatchLocation(long position, BatchHeader header) {}
