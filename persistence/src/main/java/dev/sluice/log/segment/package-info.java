/**
 * One segment of a partition log: its {@code .log} file of whole batches and its index ({@link
 * dev.sluice.log.segment.LogSegment}), the naming of segment files ({@link
 * dev.sluice.log.segment.SegmentFiles}), recovery of a segment at open, and file-to-file copies.
 * {@link dev.sluice.log.segment.BatchLocation} is returned only inside the persistence module.
 */
package dev.sluice.log.segment;
