package dev.sluice.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --config KEY=VALUE} options of {@code topic create} and {@code topic alter}, read into
 * a map the server checks ({@code retention.bytes}, {@code retention.time}, {@code
 * max-batch-bytes}, {@code flush}, {@code min-in-sync-replicas}). An empty value ({@code KEY=})
 * stands for "the node's value" and is sent as null.
 *
 * <p>Thread-safety: stateless.
 */
final class TopicConfigOption {
  private TopicConfigOption() {}

  /** The options as key to value (null for an empty value), in the order given. */
  static Map<String, String> parse(CommandSpec spec, List<String> options) {
    Map<String, String> config = new LinkedHashMap<>();
    for (String option : options == null ? List.<String>of() : options) {
      int eq = option.indexOf('=');
      if (eq <= 0) {
        throw new ParameterException(
            spec.commandLine(),
            "--config "
                + option
                + ": write KEY=VALUE, e.g. retention.bytes=1GiB (KEY= returns to the node's"
                + " value)");
      }
      String value = option.substring(eq + 1).trim();
      config.put(option.substring(0, eq).trim(), value.isEmpty() ? null : value);
    }
    return config;
  }

  /** Settings as one line, {@code retention.bytes=1GiB flush=os}, or "node defaults". */
  static String describe(Map<String, String> config) {
    if (config.isEmpty()) {
      return "node defaults";
    }
    StringBuilder sb = new StringBuilder();
    config.forEach(
        (k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
    return sb.toString();
  }
}
