package dev.sluice.format;

/**
 * Attribute bit 3: what the record timestamps mean. Sluice accepts {@link #CREATE_TIME} only (the
 * producer's clock); {@link #LOG_APPEND_TIME} is decoded so that a batch carrying it can be named
 * in the refusal.
 */
public enum TimestampType {
  CREATE_TIME,
  LOG_APPEND_TIME
}
