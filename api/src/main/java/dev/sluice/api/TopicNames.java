package dev.sluice.api;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for topic names. A name becomes a directory name on every replica, so it is 1 to {@value
 * #MAX_LENGTH} characters of a safe set ({@code A-Z a-z 0-9 . _ -}) and never {@code .} or {@code
 * ..}. The controller enforces it; a client may check before it sends.
 *
 * <p>Thread-safety: stateless.
 */
public final class TopicNames {
  /** The longest valid name. */
  public static final int MAX_LENGTH = 200;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  /** Invalid names longer than this are shortened in messages. */
  private static final int QUOTED_LENGTH = MAX_LENGTH + 10;

  private TopicNames() {}

  /**
   * What is wrong with {@code name}, or empty when it is valid. The message quotes the name
   * (shortened when very long) and states the rule. A null name is treated as the empty one.
   */
  public static Optional<String> violation(String name) {
    String n = name == null ? "" : name;
    if (VALID.matcher(n).matches() && !n.equals(".") && !n.equals("..")) {
      return Optional.empty();
    }
    return Optional.of(
        "topic name '"
            + abbreviate(n)
            + "' is invalid: use 1 to "
            + MAX_LENGTH
            + " characters of A-Z, a-z, 0-9, '.', '_', '-' (not '.' or '..')");
  }

  /**
   * Returns {@code name} when it is valid.
   *
   * @throws IllegalArgumentException with the {@link #violation} message otherwise
   */
  public static String check(String name) {
    Optional<String> problem = violation(name);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(problem.get());
    }
    return name;
  }

  private static String abbreviate(String name) {
    return name.length() <= QUOTED_LENGTH
        ? name
        : name.substring(0, MAX_LENGTH) + "... (" + name.length() + " chars)";
  }
}
