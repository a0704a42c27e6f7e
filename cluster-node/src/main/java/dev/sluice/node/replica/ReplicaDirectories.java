package dev.sluice.node.replica;

import dev.sluice.log.Directories;
import dev.sluice.log.checkpoint.AtomicFile;
import dev.sluice.log.checkpoint.OffsetCheckpoint;
import dev.sluice.node.controller.DeletedTopic;
import dev.sluice.node.controller.TopicMetadata;
import dev.sluice.replication.protocol.PartitionId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The partition directories under a node's data directory, as topics come and go: the topic id each
 * one belongs to, and their removal when a topic is deleted.
 *
 * <p>Layout: {@code <data-dir>/<topic>-<partition>/} holds a replica's log, and {@value
 * #TOPIC_ID_FILE} in it the id of the topic incarnation it belongs to (written atomically before
 * the log is created, so a directory with data always names its topic, except one created before
 * topic ids existed); while the replica follows, {@value FollowedLeaderFile#FILE} records its
 * leader ({@link FollowedLeaderFile}). A directory being removed is first renamed, in one atomic
 * step, to {@code <topic>-<partition>}{@value #DELETED_SUFFIX} and only then deleted file by file:
 * a node killed in the middle leaves either the whole directory (the controller's record of the
 * deleted topic removes it again) or a {@code .deleted} leftover, which {@link #removeLeftovers}
 * deletes when the node starts. A partition directory's name always ends in a digit, so no live
 * replica's directory ends in {@value #DELETED_SUFFIX}.
 *
 * <p>Thread-safety: stateless; callers do not remove the same directory concurrently (the replica
 * manager is the one caller).
 */
public final class ReplicaDirectories {
  /** The file in a partition directory that names its topic incarnation. */
  public static final String TOPIC_ID_FILE = "topic-id";

  /** The suffix of a partition directory whose removal is under way. */
  public static final String DELETED_SUFFIX = ".deleted";

  private ReplicaDirectories() {}

  /** The topic id a partition directory was created for; empty if it names none or is absent. */
  public static Optional<String> topicId(Path partitionDir) throws IOException {
    try {
      String id = Files.readString(partitionDir.resolve(TOPIC_ID_FILE), StandardCharsets.UTF_8);
      id = id.strip();
      return id.isEmpty() ? Optional.empty() : Optional.of(id);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether a partition directory of {@code deleted}'s name holds data of that deleted topic, and
   * so must go:
   *
   * <ul>
   *   <li>a directory that records a topic id goes only with the deleted topic of that very id: the
   *       data of a new topic of the same name stays;
   *   <li>one that records none (written before topic ids existed, or created by a crash between
   *       the directory and its id file, then empty) goes when the deleted topic had no id either
   *       and the name is now free or taken by a topic with an id (a newer incarnation, whose
   *       directories record it), or when the name is free.
   * </ul>
   *
   * @param dirTopicId the id the directory records, empty if none
   * @param current the topic that has the name now, if any
   */
  public static boolean belongsToDeleted(
      Optional<String> dirTopicId, DeletedTopic deleted, Optional<TopicMetadata> current) {
    if (dirTopicId.isPresent()) {
      return dirTopicId.get().equals(deleted.topicId());
    }
    if (deleted.topicId() == null) {
      return current.isEmpty() || current.get().topicId() != null;
    }
    return current.isEmpty();
  }

  /** Creates the directory if needed and records, durably, the topic id it belongs to. */
  public static void writeTopicId(Path partitionDir, String topicId) throws IOException {
    Files.createDirectories(partitionDir);
    AtomicFile.replace(
        partitionDir.resolve(TOPIC_ID_FILE), (topicId + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Removes a partition directory: renames it to its {@code .deleted} name (atomic, forced), then
   * deletes that tree. Nothing happens if the directory does not exist.
   *
   * @return true if there was a directory to remove
   */
  public static boolean remove(Path partitionDir) throws IOException {
    if (!Files.isDirectory(partitionDir)) {
      return false;
    }
    Path doomed = partitionDir.resolveSibling(partitionDir.getFileName() + DELETED_SUFFIX);
    // A leftover of an earlier removal of the same name, interrupted: it goes first.
    Directories.deleteTree(doomed);
    try {
      Files.move(partitionDir, doomed, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot rename "
              + partitionDir
              + " to "
              + doomed
              + " atomically; the data directory's file system must support it",
          e);
    }
    OffsetCheckpoint.forceDirectory(partitionDir.toAbsolutePath().getParent());
    Directories.deleteTree(doomed);
    return true;
  }

  /** A partition directory found on disk with the topic incarnation it records. */
  public record Recorded(PartitionId partition, String topicId) {}

  /**
   * The partition directories directly under {@code dataDir} that record their topic id: what a
   * node held when it stopped, known before any metadata arrives. Directories being removed, of a
   * topic created before ids existed, or whose name is no {@code topic-partition} are left out.
   */
  public static List<Recorded> recorded(Path dataDir) throws IOException {
    List<Recorded> found = new ArrayList<>();
    if (!Files.isDirectory(dataDir)) {
      return found;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir, Files::isDirectory)) {
      for (Path dir : entries) {
        Optional<PartitionId> partition = parseDirName(dir.getFileName().toString());
        if (partition.isEmpty()) {
          continue;
        }
        Optional<String> topicId = topicId(dir);
        if (topicId.isPresent() && partition.get().dirName().equals(dir.getFileName().toString())) {
          found.add(new Recorded(partition.get(), topicId.get()));
        }
      }
    }
    found.sort(Comparator.comparing(r -> r.partition().dirName()));
    return found;
  }

  /** {@code orders-3} as partition 3 of {@code orders}; empty for any other name. */
  static Optional<PartitionId> parseDirName(String name) {
    int dash = name.lastIndexOf('-');
    if (dash < 1 || dash == name.length() - 1 || name.endsWith(DELETED_SUFFIX)) {
      return Optional.empty();
    }
    String number = name.substring(dash + 1);
    if (!number.chars().allMatch(c -> c >= '0' && c <= '9') || number.length() > 9) {
      return Optional.empty();
    }
    try {
      return Optional.of(new PartitionId(name.substring(0, dash), Integer.parseInt(number)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Deletes every {@code .deleted} directory directly under {@code dataDir}: removals a crash
   * interrupted. Returns what it deleted.
   */
  public static List<Path> removeLeftovers(Path dataDir) throws IOException {
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(dataDir)) {
      return removed;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir, "*" + DELETED_SUFFIX)) {
      for (Path p : entries) {
        if (Files.isDirectory(p)) {
          Directories.deleteTree(p);
          removed.add(p);
        }
      }
    }
    return removed;
  }
}
