package dev.sluice.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic's own settings: overrides of the node-wide defaults for the partitions of one topic.
 * Stored by the controller as text ({@link #overrides()}, key to value as the operator wrote it),
 * read into typed values here, with the rules a node applies to its own settings.
 *
 * <p>Keys are the node keys without their section: {@code retention.bytes}, {@code retention.time},
 * {@code max-batch-bytes}, {@code flush} (from {@code sluice.storage.*}) and {@code
 * min-in-sync-replicas} (from {@code sluice.replication.*}); values are spelled as in the config
 * file ({@code 64MiB}, {@code 7d}, {@code every-batch}). A key without an override takes the node's
 * value, so a change of a node default reaches every topic that does not override it.
 *
 * <p>Thread-safety: immutable.
 */
public final class TopicSettings {
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String RETENTION_TIME = "retention.time";
  public static final String MAX_BATCH_BYTES = "max-batch-bytes";
  public static final String FLUSH = "flush";
  public static final String MIN_IN_SYNC_REPLICAS = "min-in-sync-replicas";

  /** Topic key to the node key it overrides, in the order they are documented. */
  private static final Map<String, String> NODE_KEYS = nodeKeys();

  /** A topic with no overrides. */
  public static final TopicSettings NONE = new TopicSettings(Map.of(), null, null, null, null, 0);

  private final Map<String, String> overrides;
  private final Long retentionBytes;
  private final Duration retentionTime;
  private final Long maxBatchBytes;
  private final FlushPolicy flush;
  private final int minInSyncReplicas;

  private TopicSettings(
      Map<String, String> overrides,
      Long retentionBytes,
      Duration retentionTime,
      Long maxBatchBytes,
      FlushPolicy flush,
      int minInSyncReplicas) {
    this.overrides = Collections.unmodifiableMap(new TreeMap<>(overrides));
    this.retentionBytes = retentionBytes;
    this.retentionTime = retentionTime;
    this.maxBatchBytes = maxBatchBytes;
    this.flush = flush;
    this.minInSyncReplicas = minInSyncReplicas;
  }

  private static Map<String, String> nodeKeys() {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put(RETENTION_BYTES, "sluice.storage.retention.bytes");
    keys.put(RETENTION_TIME, "sluice.storage.retention.time");
    keys.put(MAX_BATCH_BYTES, "sluice.storage.max-batch-bytes");
    keys.put(FLUSH, "sluice.storage.flush");
    keys.put(MIN_IN_SYNC_REPLICAS, "sluice.replication.min-in-sync-replicas");
    return Collections.unmodifiableMap(keys);
  }

  /** The keys a topic may override, in documentation order. */
  public static List<String> keys() {
    return List.copyOf(NODE_KEYS.keySet());
  }

  /** The node setting a topic key overrides ({@code sluice.storage.retention.bytes}). */
  public static String nodeKey(String topicKey) {
    String key = NODE_KEYS.get(topicKey);
    if (key == null) {
      throw new IllegalArgumentException("unknown topic setting " + topicKey);
    }
    return key;
  }

  /**
   * Reads and checks overrides for a topic with {@code replicationFactor} replicas on a node with
   * {@code node} storage settings: each value by the rules of the node key it overrides, the
   * storage values together with the node's others (a {@code max-batch-bytes} above the node's
   * {@code segment-bytes} is refused), and {@code min-in-sync-replicas} at most the replication
   * factor (more could never commit a write).
   *
   * @throws SettingsException listing every violation as {@code key = value: reason}
   */
  public static TopicSettings parse(
      Map<String, String> overrides, StorageSettings node, int replicationFactor) {
    List<String> violations = new ArrayList<>();
    Map<String, String> clean = new TreeMap<>();
    Map<String, Object> asConfig = new HashMap<>();
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      String key = e.getKey() == null ? "" : e.getKey().trim();
      String value = e.getValue() == null ? "" : e.getValue().trim();
      if (!NODE_KEYS.containsKey(key)) {
        violations.add(
            key
                + " = "
                + value
                + ": unknown topic setting; known are "
                + String.join(", ", keys()));
      } else if (value.isEmpty()) {
        violations.add(key + " = \"\": needs a value");
      } else {
        clean.put(key, value);
        asConfig.put(NODE_KEYS.get(key), value);
      }
    }
    Config config = ConfigFactory.parseMap(asConfig);
    SettingsReader reader = new SettingsReader(config);
    Long retentionBytes =
        clean.containsKey(RETENTION_BYTES)
            ? reader.retentionBytes(NODE_KEYS.get(RETENTION_BYTES))
            : null;
    Duration retentionTime =
        clean.containsKey(RETENTION_TIME)
            ? reader.duration(NODE_KEYS.get(RETENTION_TIME), Duration.ZERO)
            : null;
    Long maxBatchBytes =
        clean.containsKey(MAX_BATCH_BYTES) ? reader.bytes(NODE_KEYS.get(MAX_BATCH_BYTES)) : null;
    FlushPolicy flush = clean.containsKey(FLUSH) ? reader.flushPolicy(NODE_KEYS.get(FLUSH)) : null;
    int minInSync =
        clean.containsKey(MIN_IN_SYNC_REPLICAS)
            ? reader.integer(NODE_KEYS.get(MIN_IN_SYNC_REPLICAS), 1)
            : 0;
    List<String> unreadable = new ArrayList<>();
    for (String v : reader.violations()) {
      violations.add(topicKeyed(v));
      unreadable.add(keyOf(topicKeyed(v)));
    }
    TopicSettings settings =
        new TopicSettings(clean, retentionBytes, retentionTime, maxBatchBytes, flush, minInSync);
    List<String> rules = new ArrayList<>();
    SettingsValidator.checkStorage(settings.storage(node), rules);
    for (String rule : rules) {
      String v = topicKeyed(rule);
      String key = keyOf(v);
      // Only rules about what this topic overrides: the node's own values were checked at start.
      if (clean.containsKey(key) && !unreadable.contains(key)) {
        violations.add(v);
      }
    }
    if (clean.containsKey(MIN_IN_SYNC_REPLICAS) && !unreadable.contains(MIN_IN_SYNC_REPLICAS)) {
      if (minInSync < 1) {
        violations.add(MIN_IN_SYNC_REPLICAS + " = " + minInSync + ": must be at least 1");
      } else if (minInSync > replicationFactor) {
        violations.add(
            MIN_IN_SYNC_REPLICAS
                + " = "
                + minInSync
                + ": must be at most the topic's replication factor ("
                + replicationFactor
                + "), or no write could ever be committed");
      }
    }
    if (!violations.isEmpty()) {
      throw new SettingsException(violations);
    }
    return settings;
  }

  /**
   * Reads overrides the controller stored, without the checks of {@link #parse}: they were checked
   * when they were set. A value that cannot be read any more (another node's limits) is left to the
   * node default, so a replica always runs.
   */
  public static TopicSettings stored(Map<String, String> overrides, StorageSettings node) {
    if (overrides == null || overrides.isEmpty()) {
      return NONE;
    }
    try {
      return parse(overrides, node, Integer.MAX_VALUE);
    } catch (SettingsException e) {
      Map<String, String> kept = new TreeMap<>(overrides);
      for (String v : e.violations()) {
        kept.remove(keyOf(v));
      }
      try {
        return parse(kept, node, Integer.MAX_VALUE);
      } catch (SettingsException again) {
        return NONE;
      }
    }
  }

  /** The overrides as the operator wrote them (trimmed), sorted by key. */
  public Map<String, String> overrides() {
    return overrides;
  }

  /** The node's storage settings with this topic's overrides applied. */
  public StorageSettings storage(StorageSettings node) {
    return new StorageSettings(
        node.segmentBytes(),
        node.indexIntervalBytes(),
        maxBatchBytes != null ? maxBatchBytes : node.maxBatchBytes(),
        flush != null ? flush : node.flush(),
        retentionBytes != null ? retentionBytes : node.retentionBytes(),
        retentionTime != null ? retentionTime : node.retentionTime(),
        node.retentionCheckInterval(),
        node.highWatermarkCheckpointInterval());
  }

  /** This topic's {@code min-in-sync-replicas}, or {@code nodeDefault} without an override. */
  public int minInSyncReplicas(int nodeDefault) {
    return minInSyncReplicas > 0 ? minInSyncReplicas : nodeDefault;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TopicSettings other && overrides.equals(other.overrides);
  }

  @Override
  public int hashCode() {
    return overrides.hashCode();
  }

  @Override
  public String toString() {
    return "TopicSettings" + overrides;
  }

  /** A violation about a node key, reworded for the topic key that overrides it. */
  private static String topicKeyed(String violation) {
    for (Map.Entry<String, String> e : NODE_KEYS.entrySet()) {
      if (violation.startsWith(e.getValue() + " = ")) {
        return e.getKey() + violation.substring(e.getValue().length());
      }
    }
    return violation;
  }

  private static String keyOf(String violation) {
    int end = violation.indexOf(" = ");
    return end < 0 ? violation : violation.substring(0, end);
  }
}
