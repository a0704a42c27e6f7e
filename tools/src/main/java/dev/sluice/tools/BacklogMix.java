package dev.sluice.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The record sizes of a catch-up benchmark's backlog, in produce order.
 *
 * <p>{@link #UNIFORM} is one size repeated. {@link #KAFKA_S2} is the backlog of the Kafka
 * performance anchor's large-record catch-up scenario (S2), so that both systems catch up the same
 * bytes in the same order: repeating cycles of 64 MiB, each one 16 MiB record, three 4 MiB records,
 * 2,048 records of 1 KiB, another 16 MiB record, four 4 MiB records and 2,048 more of 1 KiB; the
 * last cycle stops before the record that would pass the total. 256 MiB gives 8 x 16 MiB, 28 x 4
 * MiB and 16,384 x 1 KiB.
 *
 * <p>Thread-safety: immutable.
 */
enum BacklogMix {
  UNIFORM("uniform"),
  KAFKA_S2("kafka-s2");

  /** The small records of {@link #KAFKA_S2}. */
  static final int SMALL = (int) Sizes.KIB;

  private final String option;

  BacklogMix(String option) {
    this.option = option;
  }

  String option() {
    return option;
  }

  /** The sizes to produce for a backlog of at most {@code totalBytes}. */
  List<Long> sizes(long totalBytes, long uniformRecordBytes) {
    List<Long> sizes = new ArrayList<>();
    if (this == UNIFORM) {
      long n = (totalBytes + uniformRecordBytes - 1) / uniformRecordBytes;
      for (long i = 0; i < n; i++) {
        sizes.add(uniformRecordBytes);
      }
      return sizes;
    }
    List<Long> cycle = kafkaS2Cycle();
    long sum = 0;
    while (true) {
      for (long size : cycle) {
        if (sum + size > totalBytes) {
          return sizes;
        }
        sizes.add(size);
        sum += size;
      }
    }
  }

  /** The largest record {@link #sizes} produces. */
  long largest(long uniformRecordBytes) {
    return this == UNIFORM ? uniformRecordBytes : 16 * Sizes.MIB;
  }

  private static List<Long> kafkaS2Cycle() {
    List<Long> cycle = new ArrayList<>();
    for (int[] half : new int[][] {{3}, {4}}) {
      cycle.add(16 * Sizes.MIB);
      for (int i = 0; i < half[0]; i++) {
        cycle.add(4 * Sizes.MIB);
      }
      for (int i = 0; i < 2048; i++) {
        cycle.add((long) SMALL);
      }
    }
    return cycle;
  }

  /** Parses a {@code --record-mix} value. */
  static BacklogMix parse(String value) {
    for (BacklogMix mix : values()) {
      if (mix.option.equals(value.toLowerCase(Locale.ROOT))) {
        return mix;
      }
    }
    throw new IllegalArgumentException(
        "--record-mix must be uniform or kafka-s2, got '" + value + "'");
  }
}
