package dev.sluice.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * An enum of the wire whose form is the constant's name in lower camel case: {@code IN_SYNC} is
 * {@code inSync}, {@code LEADER} is {@code leader}. One rule for every such enum, so that a new
 * constant cannot get a label spelled differently from the others; the golden tests pin the labels.
 *
 * <p>Thread-safety: stateless.
 */
public interface WireLabel {

  /** The constant's name; {@link Enum#name()} implements it. */
  String name();

  /** The wire form. */
  @JsonValue
  default String label() {
    String[] words = name().toLowerCase(Locale.ROOT).split("_");
    StringBuilder label = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      label
          .append(Character.toUpperCase(words[i].charAt(0)))
          .append(words[i], 1, words[i].length());
    }
    return label.toString();
  }
}
