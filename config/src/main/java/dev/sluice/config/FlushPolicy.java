package dev.sluice.config;

import java.util.Locale;

/**
 * When the partition log forces appended bytes to the disk.
 *
 * <p>{@code EVERY_BATCH} calls {@code fsync} before an append is acknowledged, so an acknowledged
 * batch survives a power loss as well as a process kill. {@code OS} leaves it to the page cache: an
 * acknowledged batch survives {@code kill -9} (the kernel still holds the pages) but not a machine
 * crash.
 */
public enum FlushPolicy {
  EVERY_BATCH("every-batch"),
  OS("os");

  private final String configValue;

  FlushPolicy(String configValue) {
    this.configValue = configValue;
  }

  public String configValue() {
    return configValue;
  }

  /**
   * Parses the HOCON spelling; returns null for an unknown value so the validator can report it.
   */
  static FlushPolicy parse(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    for (FlushPolicy p : values()) {
      if (p.configValue.equals(v)) {
        return p;
      }
    }
    return null;
  }
}
