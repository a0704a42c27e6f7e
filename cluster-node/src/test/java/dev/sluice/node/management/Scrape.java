package dev.sluice.node.management;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Prometheus text-format scrape, parsed for assertions: the {@code # TYPE} of each family and
 * every sample with its labels. Strict about what it reads: a line that is neither a comment nor a
 * well-formed sample fails the parse, so a broken exposition cannot pass a test.
 */
final class Scrape {
  private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( \\d+)?");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  record Sample(String name, Map<String, String> labels, double value) {}

  private final String text;
  private final Map<String, String> types = new HashMap<>();
  private final List<Sample> samples = new ArrayList<>();

  private Scrape(String text) {
    this.text = text;
  }

  static Scrape parse(String text) {
    Scrape scrape = new Scrape(text);
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      Matcher type = TYPE.matcher(line);
      if (type.matches()) {
        scrape.types.put(type.group(1), type.group(2));
        continue;
      }
      if (line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.matches()) {
        throw new AssertionError("not a Prometheus sample line: \"" + line + "\"");
      }
      Map<String, String> labels = new TreeMap<>();
      if (sample.group(3) != null) {
        Matcher label = LABEL.matcher(sample.group(3));
        int end = 0;
        while (label.find() && label.start() == end) {
          labels.put(label.group(1), label.group(2));
          end = label.end();
        }
        if (end != sample.group(3).length()) {
          throw new AssertionError("malformed labels in \"" + line + "\"");
        }
      }
      scrape.samples.add(new Sample(sample.group(1), labels, parseValue(sample.group(4))));
    }
    return scrape;
  }

  private static double parseValue(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
  }

  /** The family's {@code # TYPE}, failing when it has none. */
  String type(String family) {
    String type = types.get(family);
    if (type == null) {
      throw new AssertionError("no # TYPE line for " + family + " in:\n" + text);
    }
    return type;
  }

  /** Samples named {@code name} whose labels include {@code labels}. */
  List<Sample> samples(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name))
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
        .toList();
  }

  /** The one sample named {@code name} with {@code labels}, failing unless exactly one. */
  double value(String name, Map<String, String> labels) {
    List<Sample> found = samples(name, labels);
    if (found.size() != 1) {
      throw new AssertionError(
          found.size() + " samples " + name + labels + " (expected one) in:\n" + text);
    }
    return found.get(0).value();
  }

  double value(String name) {
    return value(name, Map.of());
  }

  @Override
  public String toString() {
    return text;
  }
}
