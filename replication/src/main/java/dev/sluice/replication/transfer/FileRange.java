package dev.sluice.replication.transfer;

import java.nio.file.Path;

/** {@code length} bytes of {@code file} from {@code position}. */
public record FileRange(Path file, long position, long length) {}
