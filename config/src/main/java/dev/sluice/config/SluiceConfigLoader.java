package dev.sluice.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Builds a node's config: explicit overrides, then system properties ({@code -Dkey=value}), then
 * the node's config file, then every {@code sluice-defaults.conf} on the classpath (modules that
 * need non-default Pekko settings for a node ship one), then every {@code reference.conf}.
 */
public final class SluiceConfigLoader {
  private SluiceConfigLoader() {}

  /**
   * Returns the layered config unresolved: substitutions (such as the controller's database URL,
   * built from a path the node derives) are resolved by whoever adds the last layer; {@link
   * SluiceSettings#from} resolves a copy for itself.
   *
   * @param file a HOCON file that may override any key, or null
   * @param overrides key/value pairs that win over everything else (CLI {@code --set})
   * @throws SettingsException when the file is missing or does not parse
   */
  public static Config load(Path file, Map<String, String> overrides) {
    Config fromFile = ConfigFactory.empty();
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new SettingsException(List.of("--config = " + file + ": no such file"));
      }
      try {
        fromFile =
            ConfigFactory.parseFile(
                file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (com.typesafe.config.ConfigException e) {
        throw new SettingsException(List.of("--config = " + file + ": " + e.getMessage()));
      }
    }
    ConfigFactory.invalidateCaches();
    return ConfigFactory.parseMap(overrides, "command line")
        .withFallback(ConfigFactory.systemProperties())
        .withFallback(fromFile)
        .withFallback(ConfigFactory.parseResourcesAnySyntax("sluice-defaults"))
        .withFallback(ConfigFactory.defaultReferenceUnresolved());
  }
}
