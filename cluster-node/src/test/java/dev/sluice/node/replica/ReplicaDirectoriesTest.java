package dev.sluice.node.replica;

import static dev.sluice.log.testing.LogTestSupport.TIMESTAMP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.StorageSettings;
import dev.sluice.format.Record;
import dev.sluice.log.PartitionLog;
import dev.sluice.node.controller.DeletedTopic;
import dev.sluice.node.controller.PartitionAssignment;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The replica side of a topic deletion, on real directories: which directories a deleted topic
 * names, the rename-then-delete removal, what a crash in the middle leaves and how start-up cleans
 * it, and that a replica is never opened on another incarnation's data.
 */
class ReplicaDirectoriesTest {

  @TempDir Path data;

  private static final StorageSettings STORAGE = StorageSettings.of(1 << 20, 1 << 16);

  /** A partition directory with a log holding one record, as a replica leaves it. */
  private Path partitionWithData(String topic, int partition, String topicId) throws IOException {
    Path dir = data.resolve(new PartitionId(topic, partition).dirName());
    if (topicId != null) {
      ReplicaDirectories.writeTopicId(dir, topicId);
    }
    try (PartitionLog log = PartitionLog.open(dir, STORAGE, Clock.systemUTC())) {
      log.appendRecords(
          List.of(Record.of(null, "v".getBytes(StandardCharsets.UTF_8), TIMESTAMP)), 0);
    }
    return dir;
  }

  private static Optional<TopicMetadata> current(String name, String topicId) {
    PartitionAssignment p = PartitionAssignment.initial(0, List.of(1), Map.of());
    return Optional.of(new TopicMetadata(name, List.of(p), topicId, Map.of()));
  }

  static Stream<Arguments> deletions() {
    DeletedTopic withId = new DeletedTopic("t", "id-old", 2);
    DeletedTopic legacy = new DeletedTopic("t", null, 2);
    return Stream.of(
        Arguments.of("its own id", Optional.of("id-old"), withId, Optional.empty(), true),
        Arguments.of(
            "its own id, name reused", Optional.of("id-old"), withId, current("t", "id-new"), true),
        Arguments.of(
            "the new incarnation's id",
            Optional.of("id-new"),
            withId,
            current("t", "id-new"),
            false),
        Arguments.of(
            "an id, legacy deletion", Optional.of("id-new"), legacy, Optional.empty(), false),
        Arguments.of("no id, legacy deletion", Optional.empty(), legacy, Optional.empty(), true),
        Arguments.of(
            "no id, legacy deletion, name reused",
            Optional.empty(),
            legacy,
            current("t", "x"),
            true),
        Arguments.of("no id, name free", Optional.empty(), withId, Optional.empty(), true),
        Arguments.of(
            "no id, name reused with an id", Optional.empty(), withId, current("t", "x"), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deletions")
  void aDeletedTopicNamesOnlyItsOwnData(
      String what,
      Optional<String> dirId,
      DeletedTopic deleted,
      Optional<TopicMetadata> current,
      boolean removed) {
    assertEquals(removed, ReplicaDirectories.belongsToDeleted(dirId, deleted, current), what);
  }

  @Test
  void topicIdIsWrittenDurablyAndReadBack() throws IOException {
    Path dir = data.resolve("t-0");
    assertEquals(Optional.empty(), ReplicaDirectories.topicId(dir));

    ReplicaDirectories.writeTopicId(dir, "abc");

    assertEquals(Optional.of("abc"), ReplicaDirectories.topicId(dir));
    assertFalse(Files.exists(dir.resolve(ReplicaDirectories.TOPIC_ID_FILE + ".tmp")));
  }

  @Test
  void removeRenamesFirstAndLeavesNothing() throws IOException {
    Path dir = partitionWithData("t", 0, "id");
    Path other = partitionWithData("t", 1, "id");

    assertTrue(ReplicaDirectories.remove(dir));

    assertFalse(Files.exists(dir));
    assertFalse(Files.exists(data.resolve("t-0" + ReplicaDirectories.DELETED_SUFFIX)));
    assertTrue(Files.exists(other), "other partitions stay");
    assertFalse(ReplicaDirectories.remove(dir), "nothing left to remove");
  }

  @Test
  void aRemovalCutShortAfterTheRenameIsFinishedAtStartUp() throws IOException {
    Path dir = partitionWithData("t", 0, "id");
    Path kept = partitionWithData("u", 0, "id-u");
    // A node killed right after the rename: the directory exists only under its .deleted name.
    Path leftover = data.resolve("t-0" + ReplicaDirectories.DELETED_SUFFIX);
    Files.move(dir, leftover);

    List<Path> removed = ReplicaDirectories.removeLeftovers(data);

    assertEquals(List.of(leftover), removed);
    assertFalse(Files.exists(leftover));
    assertTrue(Files.exists(kept));
    assertEquals(List.of(), ReplicaDirectories.removeLeftovers(data));
  }

  @Test
  void anOlderLeftoverOfTheSameNameDoesNotBlockTheNextRemoval() throws IOException {
    Path leftover = data.resolve("t-0" + ReplicaDirectories.DELETED_SUFFIX);
    Files.createDirectories(leftover.resolve("staging"));
    Files.writeString(leftover.resolve("staging/x"), "old");
    Path dir = partitionWithData("t", 0, "id-2");

    assertTrue(ReplicaDirectories.remove(dir));

    assertFalse(Files.exists(dir));
    assertFalse(Files.exists(leftover));
  }

  @Test
  void aReplicaIsNeverOpenedOnAnotherIncarnationsData() throws IOException {
    partitionWithData("t", 0, "id-old");
    try (LocalReplicas replicas = new LocalReplicas(1, data, STORAGE, Clock.systemUTC())) {
      PartitionId t0 = new PartitionId("t", 0);

      IOException refused = assertThrows(IOException.class, () -> replicas.open(t0, "id-new"));

      assertTrue(refused.getMessage().contains("id-old"), refused.getMessage());
      assertTrue(refused.getMessage().contains("id-new"), refused.getMessage());
      assertTrue(replicas.get(t0).isEmpty());
      PartitionReplica opened = replicas.open(t0, "id-old");
      assertEquals(1, opened.log().logEndOffset());
      assertEquals(Optional.of("id-old"), replicas.topicId(t0));
    }
  }

  @Test
  void aNewReplicaRecordsItsTopicIdBeforeItHasData() throws IOException {
    try (LocalReplicas replicas = new LocalReplicas(1, data, STORAGE, Clock.systemUTC())) {
      PartitionId t0 = new PartitionId("t", 0);

      replicas.open(t0, "id-1");

      assertEquals(Optional.of("id-1"), ReplicaDirectories.topicId(replicas.dirOf(t0)));
      replicas.remove(t0).orElseThrow().close();
      assertTrue(replicas.get(t0).isEmpty());
      assertEquals(Optional.empty(), replicas.topicId(t0));
    }
  }

  @Test
  void directoryNamesParseAsPartitionsOnlyWhenTheyAreTopicDashNumber() {
    assertEquals(
        Optional.of(new PartitionId("orders", 3)), ReplicaDirectories.parseDirName("orders-3"));
    assertEquals(
        Optional.of(new PartitionId("a-b-c", 12)), ReplicaDirectories.parseDirName("a-b-c-12"));
    for (String name :
        List.of(
            "orders",
            "orders-",
            "-3",
            "orders-x",
            "orders-+1",
            "orders-9999999999",
            "orders-3" + ReplicaDirectories.DELETED_SUFFIX,
            "storage-id")) {
      assertEquals(Optional.empty(), ReplicaDirectories.parseDirName(name), name);
    }
  }

  @Test
  void recordedListsThePartitionDirectoriesThatNameTheirTopicId() throws IOException {
    Path dataDir = data.resolve("recorded");
    ReplicaDirectories.writeTopicId(dataDir.resolve("orders-1"), "id-1");
    ReplicaDirectories.writeTopicId(dataDir.resolve("orders-0"), "id-1");
    Files.createDirectories(dataDir.resolve("legacy-0")); // no topic id
    ReplicaDirectories.writeTopicId(
        dataDir.resolve("gone-0" + ReplicaDirectories.DELETED_SUFFIX), "id-2");
    Files.writeString(dataDir.resolve("storage-7"), "a file, not a directory");

    assertEquals(
        List.of(
            new ReplicaDirectories.Recorded(new PartitionId("orders", 0), "id-1"),
            new ReplicaDirectories.Recorded(new PartitionId("orders", 1), "id-1")),
        ReplicaDirectories.recorded(dataDir));
    assertEquals(List.of(), ReplicaDirectories.recorded(data.resolve("absent")));
  }
}
