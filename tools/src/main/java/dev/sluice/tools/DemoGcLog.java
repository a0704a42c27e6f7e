package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a node JVM's heap use from its unified GC log ({@code -Xlog:gc:file=...}): every collection
 * logs {@code before->after(capacity)}, e.g. {@code 25M->3M(256M)}. The largest "before" is the
 * highest heap occupancy the JVM reached when it had to collect, a close lower bound of the true
 * peak; the largest "after" is the most memory still live after a collection. This is the measure
 * of {@code bench catchup}: no agent, no JMX port, readable after the fact.
 */
final class DemoGcLog {

  /** The JVM option that writes the log this class reads. */
  static String option(Path file) {
    return "-Xlog:gc:file=" + file;
  }

  private static final Pattern PAUSE =
      Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  /**
   * @param peakBeforeGc largest heap occupancy at the start of a collection
   * @param peakAfterGc largest heap occupancy after a collection (live data plus what survived)
   * @param peakCapacity largest committed heap
   */
  record HeapPeaks(long peakBeforeGc, long peakAfterGc, long peakCapacity, int collections) {}

  private DemoGcLog() {}

  static Optional<HeapPeaks> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    return parse(Files.readAllLines(file, UTF_8));
  }

  static Optional<HeapPeaks> parse(List<String> lines) {
    long before = 0;
    long after = 0;
    long capacity = 0;
    int collections = 0;
    for (String line : lines) {
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        collections++;
        before = Math.max(before, bytes(m.group(1), m.group(2)));
        after = Math.max(after, bytes(m.group(3), m.group(4)));
        capacity = Math.max(capacity, bytes(m.group(5), m.group(6)));
      }
    }
    return collections == 0
        ? Optional.empty()
        : Optional.of(new HeapPeaks(before, after, capacity, collections));
  }

  private static long bytes(String number, String unit) {
    long n = Long.parseLong(number);
    return switch (unit) {
      case "K" -> n * Sizes.KIB;
      case "M" -> n * Sizes.MIB;
      default -> n * Sizes.GIB;
    };
  }
}
