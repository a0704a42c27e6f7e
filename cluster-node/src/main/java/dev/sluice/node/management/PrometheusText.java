package dev.sluice.node.management;

/**
 * Writes the Prometheus text exposition format, version 0.0.4: per metric family one {@code # HELP}
 * and one {@code # TYPE} line followed by its samples, each {@code name{labels} value}. Label
 * values and help texts are escaped as the format requires. Not thread-safe; one per response.
 */
final class PrometheusText {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  enum Type {
    GAUGE,
    COUNTER;

    String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final StringBuilder out = new StringBuilder(4096);

  /** Starts a family; its samples must follow before the next family starts. */
  PrometheusText family(String name, Type type, String help) {
    out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type.text()).append('\n');
    return this;
  }

  /** A sample with labels given as alternating names and values. */
  PrometheusText sample(String name, long value, String... labels) {
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels must be name/value pairs: " + labels.length);
    }
    out.append(name);
    if (labels.length > 0) {
      out.append('{');
      for (int i = 0; i < labels.length; i += 2) {
        if (i > 0) {
          out.append(',');
        }
        out.append(labels[i]).append("=\"").append(escapeLabel(labels[i + 1])).append('"');
      }
      out.append('}');
    }
    out.append(' ').append(value).append('\n');
    return this;
  }

  static String escapeLabel(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  static String escapeHelp(String help) {
    return help.replace("\\", "\\\\").replace("\n", "\\n");
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
