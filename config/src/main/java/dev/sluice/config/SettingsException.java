package dev.sluice.config;

import java.util.List;

/**
 * A configuration that cannot work. The message lists every violation, one {@code key = value:
 * reason} line each, so an operator fixes them all in one pass instead of one per restart.
 */
public final class SettingsException extends RuntimeException {
  private final List<String> violations;

  public SettingsException(List<String> violations) {
    super(format(violations));
    this.violations = List.copyOf(violations);
  }

  public List<String> violations() {
    return violations;
  }

  private static String format(List<String> violations) {
    StringBuilder sb =
        new StringBuilder("invalid Sluice configuration (")
            .append(violations.size())
            .append(violations.size() == 1 ? " problem):" : " problems):");
    for (String v : violations) {
      sb.append("\n  ").append(v);
    }
    return sb.toString();
  }
}
