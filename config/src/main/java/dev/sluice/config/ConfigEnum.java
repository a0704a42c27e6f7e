package dev.sluice.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * An enum setting. Each constant is spelled in the config file as its name in lower case with
 * dashes ({@code EVERY_BATCH} is {@code every-batch}), one rule for every such setting.
 *
 * <p>Thread-safety: stateless.
 */
interface ConfigEnum {

  /** The constant's name; {@link Enum#name()} implements it. */
  String name();

  /** The HOCON spelling. */
  default String configValue() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The constant spelled exactly {@code value}, or null for an unknown value. */
  static <E extends Enum<E> & ConfigEnum> E parse(Class<E> type, String value) {
    for (E e : type.getEnumConstants()) {
      if (e.configValue().equals(value)) {
        return e;
      }
    }
    return null;
  }

  /** The spellings of all constants, for messages: {@code every-batch, os}. */
  static <E extends Enum<E> & ConfigEnum> String spellings(Class<E> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(ConfigEnum::configValue)
        .collect(Collectors.joining(", "));
  }
}
