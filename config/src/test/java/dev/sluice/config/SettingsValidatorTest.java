package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsValidatorTest {

  private static Config with(Map<String, String> overrides) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  private static SettingsException rejected(Map<String, String> overrides) {
    return assertThrows(SettingsException.class, () -> SluiceSettings.from(with(overrides)));
  }

  @Test
  void referenceDefaultsAreValidAndReadIntoRecords() {
    SluiceSettings s = SluiceSettings.from(with(Map.of()));
    assertEquals(1, s.node().id());
    assertEquals(1024L * 1024, s.replication().peerMaxBytes());
    assertEquals(1024L * 1024 * 1024, s.storage().segmentBytes());
    assertEquals(256L * 1024 * 1024, s.storage().maxBatchBytes());
    assertEquals(FlushPolicy.EVERY_BATCH, s.storage().flush());
    assertEquals(-1, s.storage().retentionBytes());
    assertEquals(Duration.ofMillis(200), s.replication().backoff().min());
    assertEquals(List.of(), s.cluster().seedNodes());
    assertFalse(s.replication().uncleanLeaderElection());
  }

  @Test
  void uncleanLeaderElectionIsReadWhenEnabled() {
    SluiceSettings s =
        SluiceSettings.from(with(Map.of("sluice.replication.unclean-leader-election", "true")));
    assertTrue(s.replication().uncleanLeaderElection());
  }

  @ParameterizedTest(name = "{0} = {1} is refused")
  @CsvSource({
    // peer-max-bytes must exceed the frame header: header - 1, header
    "sluice.replication.peer-max-bytes, 63, must be larger than the frame header",
    "sluice.replication.peer-max-bytes, 64, must be larger than the frame header",
    // buffers must hold a frame
    "sluice.replication.socket-buffer-bytes, 1048576, must hold at least one frame",
    // a batch must fit a segment
    "sluice.storage.max-batch-bytes, 2GiB, must not be larger than sluice.storage.segment-bytes",
    "sluice.storage.segment-bytes, 3GiB, index positions are 32-bit",
    "sluice.storage.max-batch-bytes, 10, must be at least 59",
    // the smallest batch (header and one empty record) is 59 bytes: one below it
    "sluice.storage.max-batch-bytes, 58, must be at least 59",
    "sluice.storage.flush, sometimes, must be one of every-batch, os",
    "sluice.storage.retention.bytes, 0, must be -1 (no limit) or greater than 0",
    "sluice.storage.retention.check-interval, 0s, must be positive",
    "sluice.storage.index-interval-bytes, 0, must be > 0",
    // backoff min <= max, jitter within [0, 1]
    "sluice.replication.backoff.max, 100ms, must not be smaller than sluice.replication.backoff.min",
    "sluice.replication.backoff.random-factor, 1.5, must be between 0 and 1",
    // the stall timeout must exceed the sampling interval
    "sluice.watchdog.stall-timeout, 1s, must be larger than sluice.watchdog.interval",
    "sluice.watchdog.stall-timeout, 500ms, must be larger than sluice.watchdog.interval",
    // ports distinct and in range
    "sluice.management.port, 7701, the same port as sluice.replication.port",
    "sluice.cluster.port, 70000, must be between 0 and 65535",
    "sluice.replication.min-in-sync-replicas, 0, must be at least 1",
    "sluice.node.id, -3, must be 0 or greater",
    // wrong types are reported like rule violations
    "sluice.api.port, seven, seven",
    "sluice.watchdog.interval, soon, soon",
    "sluice.replication.unclean-leader-election, sometimes, sometimes",
    // the controller's journal
    "sluice.controller.journal, postgress, must be one of h2, postgres",
    "sluice.controller.journal, H2, must be one of h2, postgres",
    "sluice.controller.pool-size, 0, must be at least 1",
    "sluice.controller.pool-size, many, many",
  })
  void eachRuleNamesKeyValueAndReason(String key, String value, String reason) {
    SettingsException e = rejected(Map.of(key, value));
    assertEquals(1, e.violations().size(), e.getMessage());
    String line = e.violations().get(0);
    assertTrue(line.startsWith(key + " = "), line);
    assertTrue(line.contains(reason), line);
  }

  @Test
  void valuesJustInsideEachLimitAreAccepted() {
    SluiceSettings s =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.replication.peer-max-bytes", "65",
                    "sluice.replication.socket-buffer-bytes", "129",
                    "sluice.storage.max-batch-bytes", "1GiB",
                    "sluice.storage.segment-bytes", "1GiB",
                    "sluice.replication.backoff.max", "200ms",
                    "sluice.watchdog.stall-timeout", "1001ms",
                    "sluice.api.port", "0",
                    "sluice.replication.port", "0")));
    assertEquals(65, s.replication().peerMaxBytes());
    assertEquals(s.storage().segmentBytes(), s.storage().maxBatchBytes());
  }

  @Test
  void thePeerFrameLimitStopsWhereAFrameWithItsHeaderStillFitsAnArray() {
    String largest = Long.toString(Integer.MAX_VALUE - ReplicationSettings.FRAME_HEADER_BYTES);
    String aboveIt = Long.toString(Integer.MAX_VALUE - ReplicationSettings.FRAME_HEADER_BYTES + 1);
    SluiceSettings s =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.replication.peer-max-bytes",
                    largest,
                    "sluice.replication.socket-buffer-bytes",
                    "4GiB")));
    assertEquals(SettingsValidator.MAX_PEER_MAX_BYTES, s.replication().peerMaxBytes());

    SettingsException e =
        rejected(
            Map.of(
                "sluice.replication.peer-max-bytes",
                aboveIt,
                "sluice.replication.socket-buffer-bytes",
                "4GiB"));
    assertEquals(
        List.of(
            "sluice.replication.peer-max-bytes = "
                + aboveIt
                + ": must be at most "
                + largest
                + ", or a frame with its header would not fit one array"),
        e.violations());
  }

  @Test
  void theSmallestBatchIsAcceptedAsBatchAndSegmentLimit() {
    SluiceSettings s =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.storage.max-batch-bytes", "59",
                    "sluice.storage.segment-bytes", "59")));
    assertEquals(SettingsValidator.MIN_BATCH_BYTES, s.storage().maxBatchBytes());
    assertEquals(SettingsValidator.MIN_BATCH_BYTES, s.storage().segmentBytes());
  }

  @Test
  void storageSettingsMadeInCodeAreCheckedByTheSameRules() {
    StorageSettings ok =
        new StorageSettings(1 << 20, 4096, 1 << 20, FlushPolicy.OS, -1, Duration.ZERO);
    SettingsValidator.requireValid(ok);

    StorageSettings bad =
        new StorageSettings(1L << 31, 0, 58, null, 0, Duration.ofSeconds(-1), Duration.ZERO);
    SettingsException e =
        assertThrows(SettingsException.class, () -> SettingsValidator.requireValid(bad));
    assertEquals(
        List.of(
            "sluice.storage.segment-bytes",
            "sluice.storage.index-interval-bytes",
            "sluice.storage.max-batch-bytes",
            "sluice.storage.retention.bytes",
            "sluice.storage.flush",
            "sluice.storage.retention.check-interval",
            "sluice.storage.retention.time"),
        e.violations().stream().map(line -> line.substring(0, line.indexOf(" = "))).toList());
  }

  @Test
  void controllerSettingsAreReadWithTheDefaultsOfTheReference() {
    ControllerSettings c = SluiceSettings.from(with(Map.of())).controller();
    assertEquals(Journal.H2, c.journal());
    assertEquals(Optional.empty(), c.h2Path());
    assertEquals("jdbc:postgresql://127.0.0.1:5432/sluice", c.postgres().url());
    assertEquals("sluice", c.postgres().user());
    assertEquals(4, c.poolSize());

    ControllerSettings set =
        SluiceSettings.from(
                with(
                    Map.of(
                        "sluice.controller.journal", "postgres",
                        "sluice.controller.h2-path", "/var/sluice/journal",
                        "sluice.controller.postgres.password", "secret",
                        "sluice.controller.pool-size", "2")))
            .controller();
    assertEquals(Journal.POSTGRES, set.journal());
    assertEquals(Optional.of(Path.of("/var/sluice/journal")), set.h2Path());
    assertEquals("secret", set.postgres().password());
    assertEquals(2, set.poolSize());
    assertFalse(set.toString().contains("secret"), "the password is never printed");
  }

  @Test
  void aPostgresJournalNeedsAPostgresUrlAndAUser() {
    SettingsException e =
        rejected(
            Map.of(
                "sluice.controller.journal", "postgres",
                "sluice.controller.postgres.url", "jdbc:mysql://db/sluice",
                "sluice.controller.postgres.user", " "));
    assertEquals(
        List.of(
            "sluice.controller.postgres.url = \"jdbc:mysql://db/sluice\": must start with"
                + " jdbc:postgresql: when sluice.controller.journal = postgres",
            "sluice.controller.postgres.user = \" \": must name a database user when"
                + " sluice.controller.journal = postgres"),
        e.violations());

    // With the H2 journal the PostgreSQL keys are not used, so they are not checked.
    SluiceSettings h2 =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.controller.postgres.url", "jdbc:mysql://db/sluice",
                    "sluice.controller.postgres.user", "")));
    assertEquals(Journal.H2, h2.controller().journal());
  }

  @Test
  void severalViolationsAreAllReportedInOneError() {
    SettingsException e =
        rejected(
            Map.of(
                "sluice.replication.peer-max-bytes", "16",
                "sluice.storage.max-batch-bytes", "2GiB",
                "sluice.replication.backoff.min", "5s",
                "sluice.replication.backoff.max", "1s",
                "sluice.watchdog.stall-timeout", "1s",
                "sluice.management.port", "7700"));
    assertEquals(5, e.violations().size(), e.getMessage());
    String message = e.getMessage();
    assertTrue(message.startsWith("invalid Sluice configuration (5 problems):"), message);
    for (String key :
        List.of(
            "sluice.replication.peer-max-bytes = 16",
            "sluice.storage.max-batch-bytes = 2147483648",
            "sluice.replication.backoff.max = PT1S",
            "sluice.watchdog.stall-timeout = PT1S",
            "sluice.management.port = 7700")) {
      assertTrue(message.contains("\n  " + key + ": "), "missing " + key + " in\n" + message);
    }
  }

  @Test
  void loaderLayersOverridesOverFileOverReference(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.conf");
    Files.writeString(file, "sluice.node.id = 7\nsluice.api.port = 9100\n");
    Config c = SluiceConfigLoader.load(file, Map.of("sluice.api.port", "9200"));
    SluiceSettings s = SluiceSettings.from(c);
    assertEquals(7, s.node().id());
    assertEquals(9200, s.api().port());
    assertEquals(7701, s.replication().port());
  }

  @Test
  void loaderNamesAMissingFile(@TempDir Path dir) {
    SettingsException e =
        assertThrows(
            SettingsException.class,
            () -> SluiceConfigLoader.load(dir.resolve("nope.conf"), Map.of()));
    assertTrue(e.getMessage().contains("nope.conf: no such file"), e.getMessage());
  }
}
