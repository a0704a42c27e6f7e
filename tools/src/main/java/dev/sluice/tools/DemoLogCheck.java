package dev.sluice.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Compares the segment files ({@code *.log}) of one partition on several replicas byte for byte:
 * the final check of the demo. Indexes and checkpoints are left out on purpose: they are derived
 * (an index is sparse by bytes written, which depends on how the bytes arrived), while the log
 * segments are the data every replica must hold identically.
 */
final class DemoLogCheck {

  private DemoLogCheck() {}

  /** The segment files of a partition directory, sorted by name (= by base offset). */
  static List<Path> segments(Path partitionDir) throws IOException {
    if (!Files.isDirectory(partitionDir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(partitionDir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
    }
  }

  /** Total bytes of a partition's segment files; 0 when it has none. */
  static long segmentBytes(Path partitionDir) throws IOException {
    long total = 0;
    for (Path p : segments(partitionDir)) {
      total += Files.size(p);
    }
    return total;
  }

  /**
   * Every difference between {@code reference}'s segments and {@code other}'s: a missing or extra
   * file, or the first differing byte of a file. Empty when they are identical.
   */
  static List<String> differences(Path reference, Path other) throws IOException {
    List<String> problems = new ArrayList<>();
    List<Path> want = segments(reference);
    List<Path> got = segments(other);
    List<String> wantNames = want.stream().map(p -> p.getFileName().toString()).toList();
    List<String> gotNames = got.stream().map(p -> p.getFileName().toString()).toList();
    if (want.isEmpty()) {
      problems.add("no segment files in " + reference);
    }
    if (!wantNames.equals(gotNames)) {
      problems.add("segment files " + gotNames + " in " + other + ", expected " + wantNames);
    }
    for (Path w : want) {
      Path g = other.resolve(w.getFileName().toString());
      if (!Files.exists(g)) {
        continue;
      }
      long mismatch = Files.mismatch(w, g);
      if (mismatch >= 0) {
        problems.add(
            g
                + " differs from "
                + w
                + " from byte "
                + mismatch
                + " on (sizes "
                + Files.size(g)
                + " and "
                + Files.size(w)
                + ")");
      }
    }
    return problems;
  }
}
