package dev.sluice.tools;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The application class-data sharing archive (AppCDS, Java's dynamic archive) of the node JVMs that
 * {@code local-cluster}, {@code demo} and {@code bench} start: the classes a node loads (Pekko,
 * Scala, Sluice), parsed and verified once and mapped from the archive by every later node JVM,
 * which cuts the seconds a cold node spends loading classes before its actor system is up.
 *
 * <p>The archive sits beside the first jar of the class path ({@code tools/target} in the source
 * tree, {@code lib} in a release) and is made by the first node JVM that exits normally while none
 * is fresh: that JVM runs with {@code -XX:ArchiveClassesAtExit} into a file of its own, which is
 * moved over the archive once the JVM exited with anything but SIGKILL (which could cut the dump
 * short). An archive older than a jar of the class path is stale (a build replaced the jar) and is
 * made again the same way.
 *
 * <p>The archive is never required: nodes use it with {@code -Xshare:auto}, and the JVM itself
 * checks that the class path and the JDK are the ones it was made with and runs without it
 * otherwise, only slower. It is not used at all when the environment variable {@value #ENV} is
 * {@code off}, when the node options choose their own class sharing ({@code -Xshare}, {@code
 * -XX:SharedArchiveFile}, {@code -XX:ArchiveClassesAtExit}), when the class path holds anything but
 * jar files (a dynamic archive cannot hold classes from directories), or when the jars' directory
 * is not writable and holds no archive.
 *
 * <p>Thread-safety: {@link #launch} and {@link #exited} synchronise on this object; at most one
 * node JVM of this process makes the archive at a time.
 */
final class NodeClassArchive {
  /** {@code off} turns the archive off for the node JVMs this process starts. */
  static final String ENV = "SLUICE_NODE_CDS";

  static final String FILE_NAME = "sluice-node.jsa";

  /** Exit code of a JVM killed by SIGKILL (128 + 9): its dump may be incomplete. */
  static final int KILLED = 137;

  private final Optional<Path> archive;
  private final List<Path> classPath;

  /** The dump of the node JVM making the archive now; null when none is. */
  private Path making;

  /** Numbers dump files, so that a late exit of a node's earlier JVM never takes a later dump. */
  private int launches;

  /**
   * The class sharing of one node JVM: its options, and the file it dumps the archive into when it
   * makes the archive.
   */
  record Launch(List<String> options, Optional<Path> dump, FileTime started) {
    static final Launch NONE = new Launch(List.of(), Optional.empty(), FileTime.fromMillis(0));
  }

  private NodeClassArchive(Optional<Path> archive, List<Path> classPath) {
    this.archive = archive;
    this.classPath = List.copyOf(classPath);
  }

  /** The archive of the node JVMs started with {@code classPath} and {@code javaOpts}. */
  static NodeClassArchive of(String classPath, String javaOpts, String env) {
    List<Path> jars = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        jars.add(Path.of(entry));
      }
    }
    boolean usable =
        !"off".equalsIgnoreCase(env == null ? "" : env.trim())
            && !choosesOwnSharing(javaOpts)
            && !jars.isEmpty()
            && jars.stream().allMatch(p -> p.toString().endsWith(".jar") && Files.isRegularFile(p));
    if (!usable) {
      return new NodeClassArchive(Optional.empty(), jars);
    }
    Path dir = jars.get(0).toAbsolutePath().getParent();
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isWritable(dir) && !Files.isRegularFile(file)) {
      return new NodeClassArchive(Optional.empty(), jars);
    }
    return new NodeClassArchive(Optional.of(file), jars);
  }

  /** This process's node archive, for the class path of this JVM (which node JVMs share). */
  static NodeClassArchive forThisProcess(String javaOpts) {
    return of(System.getProperty("java.class.path"), javaOpts, System.getenv(ENV));
  }

  /** Whether {@code javaOpts} choose their own class sharing, which then replaces the archive's. */
  static boolean choosesOwnSharing(String javaOpts) {
    return javaOpts != null
        && (javaOpts.contains("-Xshare")
            || javaOpts.contains("SharedArchiveFile")
            || javaOpts.contains("ArchiveClassesAtExit"));
  }

  /** Where the archive is (whether or not made yet); empty when not used. */
  Optional<Path> file() {
    return archive;
  }

  /**
   * The class sharing of node {@code nodeId}'s JVM about to start: use the archive when it is
   * fresh, make it when it is missing or stale and no other node JVM of this process is making it,
   * else none.
   */
  synchronized Launch launch(int nodeId) {
    if (archive.isEmpty()) {
      return Launch.NONE;
    }
    if (fresh()) {
      return new Launch(
          List.of("-XX:SharedArchiveFile=" + archive.get(), "-Xshare:auto"),
          Optional.empty(),
          now());
    }
    if (making != null || !Files.isWritable(archive.get().getParent())) {
      return Launch.NONE;
    }
    making =
        archive
            .get()
            .resolveSibling(
                FILE_NAME
                    + "."
                    + ProcessHandle.current().pid()
                    + "-"
                    + ++launches
                    + "-node-"
                    + nodeId
                    + ".tmp");
    // The dump warns about every class it cannot archive (e.g. Java 5 class files of a library)
    // into the node's log; errors still show.
    return new Launch(
        List.of("-XX:ArchiveClassesAtExit=" + making, "-Xlog:cds=error"),
        Optional.of(making),
        now());
  }

  /**
   * The JVM of {@code launch} exited with {@code exitCode} (or never started: {@link #KILLED}): if
   * it was making the archive, its dump becomes the archive, unless it was killed (an incomplete
   * dump is deleted). Idempotent.
   */
  synchronized void exited(Launch launch, int exitCode) {
    if (launch.dump().isEmpty() || !launch.dump().get().equals(making)) {
      return;
    }
    making = null;
    Path dump = launch.dump().get();
    try {
      if (exitCode != KILLED
          && Files.isRegularFile(dump)
          && Files.size(dump) > 0
          && !jarChangedSince(launch.started())) {
        Files.move(
            dump,
            archive.orElseThrow(),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        // Fresh from now on: the file's own time is the dump's, which a coarse clock may put
        // before the time of a jar built just before the maker started.
        Files.setLastModifiedTime(archive.get(), now());
      } else {
        Files.deleteIfExists(dump);
      }
    } catch (IOException e) {
      // Only costs speed: the next node JVM that starts without a fresh archive makes one again.
      try {
        Files.deleteIfExists(dump);
      } catch (IOException ignored) {
        // a dump file left behind is harmless: it is never read
      }
    }
  }

  /**
   * Whether a jar of the class path changed after {@code time}: a dump of classes from the jars
   * before a build is no archive of the jars after it.
   */
  private boolean jarChangedSince(FileTime time) throws IOException {
    for (Path jar : classPath) {
      if (Files.getLastModifiedTime(jar).compareTo(time) > 0) {
        return true;
      }
    }
    return false;
  }

  private static FileTime now() {
    return FileTime.from(Instant.now());
  }

  /** Whether the archive exists and is not older than any jar of the class path. */
  boolean fresh() {
    if (archive.isEmpty() || !Files.isRegularFile(archive.get())) {
      return false;
    }
    try {
      FileTime made = Files.getLastModifiedTime(archive.get());
      for (Path jar : classPath) {
        if (Files.getLastModifiedTime(jar).compareTo(made) > 0) {
          return false;
        }
      }
      return Files.size(archive.get()) > 0;
    } catch (IOException e) {
      return false;
    }
  }
}
