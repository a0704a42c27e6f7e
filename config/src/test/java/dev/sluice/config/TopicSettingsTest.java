package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A topic's own settings: read with the node's spellings, checked with the node's rules (and the
 * replication factor for min-in-sync-replicas), every violation naming the topic key, the value and
 * the limit; keys a topic does not set take the node's values.
 */
class TopicSettingsTest {

  /** The node: 1 MiB segments, 256 KiB batches, fsync per batch, no retention. */
  private static final StorageSettings NODE =
      new StorageSettings(
          1 << 20,
          4096,
          256 << 10,
          FlushPolicy.EVERY_BATCH,
          -1,
          Duration.ZERO,
          Duration.ofMinutes(1));

  @Test
  void noOverridesIsTheNode() {
    TopicSettings none = TopicSettings.parse(Map.of(), NODE, 3);

    assertEquals(NODE, none.storage(NODE));
    assertEquals(2, none.minInSyncReplicas(2));
    assertEquals(Map.of(), none.overrides());
  }

  @Test
  void everyKeyOverridesItsNodeSetting() {
    TopicSettings t =
        TopicSettings.parse(
            Map.of(
                "retention.bytes", "64KiB",
                "retention.time", "2h",
                "max-batch-bytes", "1024",
                "flush", "OS",
                "min-in-sync-replicas", "2"),
            NODE,
            3);

    StorageSettings s = t.storage(NODE);
    assertEquals(64 << 10, s.retentionBytes());
    assertEquals(Duration.ofHours(2), s.retentionTime());
    assertEquals(1024, s.maxBatchBytes());
    assertEquals(FlushPolicy.OS, s.flush());
    assertEquals(NODE.segmentBytes(), s.segmentBytes(), "not a topic setting");
    assertEquals(2, t.minInSyncReplicas(1));
    assertEquals("64KiB", t.overrides().get("retention.bytes"), "kept as written");
  }

  @Test
  void retentionBytesMinusOneMeansNoLimit() {
    StorageSettings node =
        new StorageSettings(1 << 20, 4096, 1024, FlushPolicy.OS, 4096, Duration.ZERO);

    assertEquals(
        -1,
        TopicSettings.parse(Map.of("retention.bytes", "-1"), node, 1)
            .storage(node)
            .retentionBytes());
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of(
            "retention.bytes", "0", "retention.bytes = 0: must be -1 (no limit) or greater than 0"),
        Arguments.of("retention.bytes", "lots", "retention.bytes = "),
        Arguments.of("retention.time", "-1s", "retention.time = "),
        Arguments.of("max-batch-bytes", "10", "max-batch-bytes = 10: must be at least 68"),
        Arguments.of(
            "max-batch-bytes",
            "2MiB",
            "max-batch-bytes = 2097152: must not be larger than sluice.storage.segment-bytes = 1048576"),
        Arguments.of("flush", "sometimes", "flush = sometimes: must be one of every-batch, os"),
        Arguments.of("min-in-sync-replicas", "0", "min-in-sync-replicas = 0: must be at least 1"),
        Arguments.of(
            "min-in-sync-replicas",
            "4",
            "min-in-sync-replicas = 4: must be at most the topic's replication factor (3)"),
        Arguments.of("min-in-sync-replicas", "two", "min-in-sync-replicas = "),
        Arguments.of("retention.ms", "1", "retention.ms = 1: unknown topic setting; known are"),
        Arguments.of("flush", " ", "flush = \"\": needs a value"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("badValues")
  void aBadValueNamesKeyValueAndLimit(String key, String value, String expected) {
    SettingsException e =
        assertThrows(
            SettingsException.class, () -> TopicSettings.parse(Map.of(key, value), NODE, 3));

    assertEquals(1, e.violations().size(), e.getMessage());
    assertTrue(e.violations().get(0).startsWith(expected), e.violations().get(0));
  }

  @Test
  void everyViolationIsListed() {
    SettingsException e =
        assertThrows(
            SettingsException.class,
            () ->
                TopicSettings.parse(
                    Map.of("flush", "never", "min-in-sync-replicas", "9", "nope", "1"), NODE, 3));

    assertEquals(3, e.violations().size(), e.getMessage());
  }

  @Test
  void storedSettingsThisNodeCannotHonourFallBackToItsOwn() {
    StorageSettings smallSegments =
        new StorageSettings(4096, 4096, 1024, FlushPolicy.OS, -1, Duration.ZERO);

    TopicSettings t =
        TopicSettings.stored(
            Map.of("max-batch-bytes", "8KiB", "flush", "every-batch"), smallSegments);

    assertEquals(1024, t.storage(smallSegments).maxBatchBytes(), "8 KiB does not fit its segments");
    assertEquals(FlushPolicy.EVERY_BATCH, t.storage(smallSegments).flush());
  }

  @Test
  void keysAreTheDocumentedOnes() {
    assertEquals(
        List.of(
            "retention.bytes",
            "retention.time",
            "max-batch-bytes",
            "flush",
            "min-in-sync-replicas"),
        TopicSettings.keys());
    assertEquals("sluice.storage.retention.bytes", TopicSettings.nodeKey("retention.bytes"));
  }
}
