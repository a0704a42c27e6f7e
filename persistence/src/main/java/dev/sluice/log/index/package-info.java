/**
 * The sparse offset index of a segment (format in {@link dev.sluice.log.index.OffsetIndex}): from
 * an offset to the position of a batch at or before it, searched in the file, not held in memory.
 */
package dev.sluice.log.index;
