package dev.sluice.config;

/**
 * When the partition log forces appended bytes to the disk.
 *
 * <p>{@code EVERY_BATCH} calls {@code fsync} before an append is acknowledged, so an acknowledged
 * batch survives a power loss as well as a process kill. {@code OS} leaves it to the page cache: an
 * acknowledged batch survives {@code kill -9} (the kernel still holds the pages) but not a machine
 * crash.
 *
 * <p>{@code sluice.storage.flush} spells them {@code every-batch} and {@code os} ({@link
 * #configValue()}), read leniently: surrounding blanks and upper case are accepted.
 */
public enum FlushPolicy implements ConfigEnum {
  EVERY_BATCH,
  OS
}
