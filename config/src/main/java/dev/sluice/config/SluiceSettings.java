package dev.sluice.config;

import com.typesafe.config.Config;

/**
 * Every setting of a Sluice node, read once from the {@code sluice} section of a resolved config
 * and validated across keys. Immutable; pass it (or its parts) to components instead of reading the
 * config again.
 */
public record SluiceSettings(
    NodeSettings node,
    ApiSettings api,
    ManagementSettings management,
    ClusterSettings cluster,
    StorageSettings storage,
    ReplicationSettings replication,
    WatchdogSettings watchdog,
    ControllerSettings controller,
    SecuritySettings security) {

  /**
   * Reads and validates the settings.
   *
   * @throws SettingsException listing every unreadable value and every broken rule
   */
  public static SluiceSettings from(Config config) {
    SettingsReader reader = new SettingsReader(config.resolve());
    SluiceSettings settings = reader.read();
    SettingsValidator.validate(settings, reader.violations());
    return settings;
  }
}
