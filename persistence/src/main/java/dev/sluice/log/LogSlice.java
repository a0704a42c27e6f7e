package dev.sluice.log;

import java.nio.file.Path;

/**
 * Whole batches of one segment file: {@code length} bytes from {@code position}, holding offsets
 * {@code baseOffset} to {@code lastOffset}. Served with zero-copy straight from the file. The file
 * may be deleted (retention) or cut (truncation) after the slice was made; a reader that fails then
 * simply fetches again.
 */
public record LogSlice(
    Path segmentFile, long position, long length, long baseOffset, long lastOffset) {}
