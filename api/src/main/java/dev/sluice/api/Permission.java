package dev.sluice.api;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a token may do: {@code admin} (create topics), {@code produce:<glob>} or {@code
 * consume:<glob>}. A glob is topic-name characters ({@link TopicNames}) plus {@code *}, which
 * matches any run of characters, the empty one included: {@code orders-*} grants {@code orders-eu}
 * and {@code orders-}, {@code *} grants every topic. {@code admin} implies neither produce nor
 * consume.
 *
 * <p>The text form ({@link #toString}, {@link #parse}) is the one tokens files hold and error
 * bodies name ({@link ErrorBody#REQUIRED_PERMISSION}).
 *
 * <p>Thread-safety: immutable.
 *
 * @param action what is allowed
 * @param topics the glob of topics it is allowed on; empty for {@link Action#ADMIN}
 */
public record Permission(Action action, String topics) {
  /** The glob characters: a topic name's plus {@code *}. */
  private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9._*-]+");

  /** The longest glob: a topic name with a few wildcards. */
  public static final int MAX_GLOB_LENGTH = TopicNames.MAX_LENGTH + 10;

  /** The three kinds of permission, with their text labels. */
  public enum Action {
    ADMIN("admin"),
    PRODUCE("produce"),
    CONSUME("consume");

    private final String label;

    Action(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  public Permission {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(topics, "topics");
    if (action == Action.ADMIN && !topics.isEmpty()) {
      throw adminWithTopics("admin:" + topics);
    }
    if (action != Action.ADMIN) {
      checkGlob(action, topics);
    }
  }

  /** {@code admin}. */
  public static Permission admin() {
    return new Permission(Action.ADMIN, "");
  }

  /** {@code produce:<topics>}. */
  public static Permission produce(String topics) {
    return new Permission(Action.PRODUCE, topics);
  }

  /** {@code consume:<topics>}. */
  public static Permission consume(String topics) {
    return new Permission(Action.CONSUME, topics);
  }

  /**
   * The text of the permission a request for {@code action} on {@code topic} needs, as a 403 names
   * it: {@code admin}, or the action and the topic ({@code produce:payments}). The topic is the
   * request's as it came, so the text may hold characters no glob may.
   */
  public static String required(Action action, String topic) {
    return action == Action.ADMIN ? action.label : action.label + ":" + topic;
  }

  /**
   * Reads {@code admin}, {@code produce:<glob>} or {@code consume:<glob>} (the action is
   * case-insensitive).
   *
   * @throws IllegalArgumentException naming the text and the rule it broke
   */
  public static Permission parse(String text) {
    String t = text == null ? "" : text.strip();
    int colon = t.indexOf(':');
    String label = (colon < 0 ? t : t.substring(0, colon)).toLowerCase(Locale.ROOT);
    for (Action action : Action.values()) {
      if (action.label.equals(label)) {
        if (action == Action.ADMIN) {
          if (colon >= 0) {
            throw adminWithTopics(t);
          }
          return admin();
        }
        if (colon < 0) {
          throw new IllegalArgumentException(
              "permission '"
                  + t
                  + "' is invalid: write "
                  + action.label
                  + ":<topics>, e.g. "
                  + action.label
                  + ":orders or "
                  + action.label
                  + ":*");
        }
        return new Permission(action, t.substring(colon + 1));
      }
    }
    throw new IllegalArgumentException(
        "permission '"
            + t
            + "' is invalid: use admin, produce:<topics> or consume:<topics>"
            + " (topics: a topic name, '*' matching any characters)");
  }

  /** Whether this permission allows {@code action} on {@code topic}. */
  public boolean grants(Action action, String topic) {
    if (action != this.action) {
      return false;
    }
    return action == Action.ADMIN || matches(topics, topic);
  }

  /** The text form: {@code admin}, {@code produce:orders-*}. */
  @Override
  public String toString() {
    return action == Action.ADMIN ? action.label : action.label + ":" + topics;
  }

  private static IllegalArgumentException adminWithTopics(String text) {
    return new IllegalArgumentException(
        "permission '" + text + "' is invalid: admin applies to no topic, write 'admin'");
  }

  private static void checkGlob(Action action, String glob) {
    if (glob.isEmpty() || glob.length() > MAX_GLOB_LENGTH || !GLOB.matcher(glob).matches()) {
      String shown = glob.length() > MAX_GLOB_LENGTH ? glob.substring(0, 40) + "..." : glob;
      throw new IllegalArgumentException(
          "permission '"
              + action.label
              + ":"
              + shown
              + "' is invalid: the topics must be 1 to "
              + MAX_GLOB_LENGTH
              + " characters of A-Z, a-z, 0-9, '.', '_', '-' and '*' (any characters)");
    }
  }

  /**
   * Glob matching with {@code *} only, in linear time: on a mismatch the last star absorbs one more
   * character, so no input can make it backtrack exponentially.
   */
  static boolean matches(String glob, String text) {
    int g = 0;
    int t = 0;
    int star = -1;
    int resume = 0;
    while (t < text.length()) {
      if (g < glob.length() && glob.charAt(g) == '*') {
        star = g++;
        resume = t;
      } else if (g < glob.length() && glob.charAt(g) == text.charAt(t)) {
        g++;
        t++;
      } else if (star >= 0) {
        g = star + 1;
        t = ++resume;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }
}
