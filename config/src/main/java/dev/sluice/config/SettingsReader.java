package dev.sluice.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Turns the {@code sluice} section into records. A value that is missing or of the wrong type
 * becomes a violation and a placeholder, so that reading goes on and one error lists everything.
 */
final class SettingsReader {
  private final Config config;
  private final List<String> violations = new ArrayList<>();

  SettingsReader(Config config) {
    this.config = config;
  }

  List<String> violations() {
    return violations;
  }

  SluiceSettings read() {
    String host = string("sluice.node.host", "127.0.0.1");
    String bindHost = string("sluice.node.bind-host", "");
    NodeSettings node =
        new NodeSettings(
            integer("sluice.node.id", -1),
            host,
            bindHost.isBlank() ? host : bindHost.trim(),
            Path.of(string("sluice.data-dir", ".")),
            duration("sluice.node.shutdown-hang-timeout", Duration.ZERO));
    ManagementSettings management = new ManagementSettings(integer("sluice.management.port", 0));
    ClusterSettings cluster =
        new ClusterSettings(
            integer("sluice.cluster.port", 0),
            read("sluice.cluster.seed-nodes", List.of(), config::getStringList),
            read(ClusterSettings.FORM_NEW_CLUSTER, false, config::getBoolean));
    StorageSettings storage =
        new StorageSettings(
            bytes("sluice.storage.segment-bytes"),
            (int) Math.min(Integer.MAX_VALUE, bytes("sluice.storage.index-interval-bytes")),
            bytes("sluice.storage.max-batch-bytes"),
            flushPolicy("sluice.storage.flush"),
            retentionBytes("sluice.storage.retention.bytes"),
            duration("sluice.storage.retention.time", Duration.ZERO),
            duration("sluice.storage.retention.check-interval", Duration.ZERO),
            duration("sluice.storage.high-watermark-checkpoint-interval", Duration.ZERO));
    Duration requestTimeout = duration("sluice.api.request-timeout", Duration.ZERO);
    ApiSettings api =
        new ApiSettings(
            integer("sluice.api.port", 0),
            requestTimeout,
            inlineBatchBytes(storage.maxBatchBytes()),
            maxFetchWait(requestTimeout));
    BackoffSettings backoff =
        new BackoffSettings(
            duration("sluice.replication.backoff.min", Duration.ZERO),
            duration("sluice.replication.backoff.max", Duration.ZERO),
            read("sluice.replication.backoff.random-factor", 0.0, config::getDouble));
    ReplicationSettings replication =
        new ReplicationSettings(
            integer("sluice.replication.port", 0),
            bytes("sluice.replication.peer-max-bytes"),
            bytes("sluice.replication.socket-buffer-bytes"),
            backoff,
            duration("sluice.replication.replica-lag-time-max", Duration.ZERO),
            integer("sluice.replication.min-in-sync-replicas", 1),
            read("sluice.replication.unclean-leader-election", false, config::getBoolean));
    WatchdogSettings watchdog =
        new WatchdogSettings(
            duration("sluice.watchdog.interval", Duration.ZERO),
            duration("sluice.watchdog.stall-timeout", Duration.ZERO));
    ControllerSettings controller =
        new ControllerSettings(
            journal("sluice.controller.journal"),
            optionalPath("sluice.controller.h2-path"),
            new PostgresSettings(
                string("sluice.controller.postgres.url", ""),
                string("sluice.controller.postgres.user", ""),
                string("sluice.controller.postgres.password", "")),
            integer("sluice.controller.pool-size", 1),
            string("sluice.controller.h2-user", "sa"),
            optionalPath("sluice.controller.h2-password-file"),
            new LeaderBalanceSettings(
                read("sluice.controller.auto-leader-balance", true, config::getBoolean),
                duration("sluice.controller.leader-balance.interval", Duration.ZERO),
                integer("sluice.controller.leader-balance.imbalance-percent", 0)),
            integer("sluice.controller.producer-id-block", 1));
    return new SluiceSettings(
        node, api, management, cluster, storage, replication, watchdog, controller, security());
  }

  private SecuritySettings security() {
    String tls = TlsSettings.PREFIX;
    TlsSettings tlsSettings =
        new TlsSettings(
            read(tls + "enabled", false, config::getBoolean),
            listeners(tls + "listeners"),
            optionalPath(tls + "key-file"),
            optionalPath(tls + "cert-file"),
            optionalPath(tls + "key-store"),
            secret(tls + "key-store-password"),
            optionalPath(tls + "ca-file"),
            optionalPath(tls + "trust-store"),
            secret(tls + "trust-store-password"),
            read(tls + "protocols", List.of("TLSv1.3"), config::getStringList),
            read(tls + "cipher-suites", List.of(), config::getStringList),
            read(tls + "verify-hostname", false, config::getBoolean),
            duration(tls + "reload-interval", Duration.ZERO));
    SecuritySettings.ApiAuth api =
        new SecuritySettings.ApiAuth(
            authMode("sluice.security.api.auth"),
            optionalPath("sluice.security.api.tokens-file"),
            duration("sluice.security.api.tokens-reload-interval", Duration.ZERO));
    SecuritySettings.ManagementAuth management =
        new SecuritySettings.ManagementAuth(authMode("sluice.security.management.auth"));
    return new SecuritySettings(
        tlsSettings,
        api,
        management,
        read("sluice.security.allow-plaintext-on-network", false, config::getBoolean));
  }

  private SecuritySettings.AuthMode authMode(String key) {
    return oneOf(
        key, SecuritySettings.AuthMode.NONE, value -> value.trim().toLowerCase(Locale.ROOT));
  }

  /** A listener set; unknown names are one violation that lists them. */
  private Set<TlsSettings.Listener> listeners(String key) {
    List<String> names = read(key, List.of(), config::getStringList);
    Set<TlsSettings.Listener> set = EnumSet.noneOf(TlsSettings.Listener.class);
    List<String> unknown = new ArrayList<>();
    for (String name : names) {
      TlsSettings.Listener l =
          ConfigEnum.parse(TlsSettings.Listener.class, name.trim().toLowerCase(Locale.ROOT));
      if (l == null) {
        unknown.add(name);
      } else {
        set.add(l);
      }
    }
    if (!unknown.isEmpty()) {
      violations.add(
          key
              + " = "
              + names
              + ": unknown listener "
              + String.join(", ", unknown)
              + "; must be among "
              + ConfigEnum.spellings(TlsSettings.Listener.class));
    }
    return set;
  }

  /** A password given inline under {@code key} or in the file named by {@code key-file}. */
  private Secret secret(String key) {
    return new Secret(key, string(key, ""), optionalPath(key + "-file"));
  }

  private <T> T read(String key, T fallback, Function<String, T> getter) {
    try {
      return getter.apply(key);
    } catch (ConfigException.Missing e) {
      violations.add(key + " = (missing): the key is required");
    } catch (ConfigException e) {
      violations.add(key + " = " + raw(key) + ": " + reason(e));
    }
    return fallback;
  }

  int integer(String key, int fallback) {
    return read(key, fallback, config::getInt);
  }

  private String string(String key, String fallback) {
    return read(key, fallback, config::getString);
  }

  Duration duration(String key, Duration fallback) {
    return read(key, fallback, config::getDuration);
  }

  long bytes(String key) {
    Long value = read(key, -1L, config::getBytes);
    return value == null ? -1 : value;
  }

  /**
   * {@code sluice.api.inline-batch-bytes}: null (the reference default) follows max-batch-bytes up
   * to 16 MiB, so that a node configured with small batches needs no second setting.
   */
  long inlineBatchBytes(long maxBatchBytes) {
    String key = "sluice.api.inline-batch-bytes";
    if (config.hasPathOrNull(key) && config.getIsNull(key)) {
      return maxBatchBytes > 0
          ? Math.min(ApiSettings.DEFAULT_INLINE_BATCH_BYTES, maxBatchBytes)
          : ApiSettings.DEFAULT_INLINE_BATCH_BYTES;
    }
    return bytes(key);
  }

  /**
   * Unset (null): 20 s, or half the request timeout when that is not longer than 20 s, so that the
   * wait always stays below the request timeout.
   */
  Duration maxFetchWait(Duration requestTimeout) {
    String key = "sluice.api.max-fetch-wait";
    if (config.hasPathOrNull(key) && config.getIsNull(key)) {
      return requestTimeout.compareTo(ApiSettings.DEFAULT_MAX_FETCH_WAIT) > 0
          ? ApiSettings.DEFAULT_MAX_FETCH_WAIT
          : requestTimeout.dividedBy(2);
    }
    return duration(key, Duration.ZERO);
  }

  long retentionBytes(String key) {
    // -1 means "no size limit"; getBytes refuses negative sizes, so accept it explicitly.
    if (config.hasPath(key)) {
      try {
        if (config.getLong(key) == -1) {
          return -1;
        }
      } catch (ConfigException ignored) {
        // not a plain number: fall through to the size parser, which reports it
      }
    }
    return bytes(key);
  }

  FlushPolicy flushPolicy(String key) {
    return oneOf(key, FlushPolicy.EVERY_BATCH, value -> value.trim().toLowerCase(Locale.ROOT));
  }

  private Journal journal(String key) {
    return oneOf(key, Journal.H2, value -> value);
  }

  /**
   * An enum setting, its raw value first passed through {@code normalize}; an unknown value is a
   * violation and reads as {@code fallback}, so that the other settings are still checked.
   */
  private <E extends Enum<E> & ConfigEnum> E oneOf(
      String key, E fallback, UnaryOperator<String> normalize) {
    String value = string(key, fallback.configValue());
    E chosen = ConfigEnum.parse(fallback.getDeclaringClass(), normalize.apply(value));
    if (chosen == null) {
      violations.add(
          key
              + " = "
              + value
              + ": must be one of "
              + ConfigEnum.spellings(fallback.getDeclaringClass()));
      return fallback;
    }
    return chosen;
  }

  /** A path where an empty string means "not set". */
  private Optional<Path> optionalPath(String key) {
    String value = string(key, "");
    if (value.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(value));
    } catch (InvalidPathException e) {
      violations.add(key + " = " + value + ": not a path (" + e.getReason() + ")");
      return Optional.empty();
    }
  }

  private String raw(String key) {
    try {
      return config.getValue(key).render();
    } catch (ConfigException e) {
      return "?";
    }
  }

  private static String reason(ConfigException e) {
    String message = e.getMessage();
    int colon = message.lastIndexOf(": ");
    return colon >= 0 ? message.substring(colon + 2) : message;
  }
}
