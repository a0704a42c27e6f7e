package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When node JVMs make, use, remake or ignore the class-data sharing archive. The JVM's side (that
 * it writes and maps the archive) is measured by {@code bench catchup}, not here.
 */
class NodeClassArchiveTest {
  @TempDir Path dir;

  private Path jarA;
  private Path jarB;
  private String classPath;

  @BeforeEach
  void jars() throws IOException {
    jarA = Files.writeString(dir.resolve("sluice-tools.jar"), "a");
    jarB = Files.writeString(dir.resolve("lib-b.jar"), "b");
    Instant built = Instant.now().minusSeconds(3600);
    Files.setLastModifiedTime(jarA, FileTime.from(built));
    Files.setLastModifiedTime(jarB, FileTime.from(built));
    classPath = jarA + File.pathSeparator + jarB;
  }

  @Test
  void theFirstNodeWithoutAnArchiveMakesItAndLaterNodesUseIt() throws IOException {
    NodeClassArchive archive = NodeClassArchive.of(classPath, "-Xmx512m", null);
    Path file = dir.resolve(NodeClassArchive.FILE_NAME);
    assertEquals(Optional.of(file), archive.file());

    NodeClassArchive.Launch maker = archive.launch(1);
    Path dump = maker.dump().orElseThrow();
    assertEquals(List.of("-XX:ArchiveClassesAtExit=" + dump, "-Xlog:cds=error"), maker.options());
    assertEquals(dir, dump.getParent());
    assertEquals(NodeClassArchive.Launch.NONE, archive.launch(2), "one maker at a time");

    Files.writeString(dump, "archived classes"); // what the JVM writes as it exits
    archive.exited(maker, 143); // SIGTERM: the JVM exits normally and dumps

    assertTrue(Files.isRegularFile(file));
    assertFalse(Files.exists(dump));
    assertTrue(archive.fresh());
    NodeClassArchive.Launch user = archive.launch(3);
    assertEquals(List.of("-XX:SharedArchiveFile=" + file, "-Xshare:auto"), user.options());
    assertEquals(Optional.empty(), user.dump());
  }

  @Test
  void aKilledMakersDumpIsDeletedAndTheNextNodeMakesTheArchive() throws IOException {
    NodeClassArchive archive = NodeClassArchive.of(classPath, "", null);
    NodeClassArchive.Launch maker = archive.launch(1);
    Path dump = maker.dump().orElseThrow();
    Files.writeString(dump, "cut short");

    archive.exited(maker, NodeClassArchive.KILLED);

    assertFalse(Files.exists(dump));
    assertFalse(Files.exists(dir.resolve(NodeClassArchive.FILE_NAME)));
    assertTrue(archive.launch(2).options().get(0).startsWith("-XX:ArchiveClassesAtExit="));
  }

  @Test
  void aMakerThatWroteNothingLeavesNoArchive() {
    NodeClassArchive archive = NodeClassArchive.of(classPath, "", null);
    NodeClassArchive.Launch maker = archive.launch(1);

    archive.exited(maker, 1); // e.g. a start that failed before the JVM could dump

    assertFalse(Files.exists(dir.resolve(NodeClassArchive.FILE_NAME)));
    assertTrue(archive.launch(1).dump().isPresent(), "the next start tries again");
  }

  @Test
  void aLateExitOfAnEarlierMakerNeitherTakesNorDropsTheLaterDump() throws IOException {
    NodeClassArchive archive = NodeClassArchive.of(classPath, "", null);
    NodeClassArchive.Launch first = archive.launch(1);
    archive.exited(first, NodeClassArchive.KILLED);
    NodeClassArchive.Launch second = archive.launch(1);
    Path dump = second.dump().orElseThrow();

    archive.exited(first, 0); // the first JVM's exit callback, run twice and late

    assertFalse(dump.equals(first.dump().orElseThrow()));
    assertEquals(NodeClassArchive.Launch.NONE, archive.launch(2), "the second still makes it");
    Files.writeString(dump, "archived classes");
    archive.exited(second, 0);
    assertTrue(archive.fresh());
  }

  @Test
  void anArchiveOlderThanAJarIsStaleAndMadeAgain() throws IOException {
    Path file = Files.writeString(dir.resolve(NodeClassArchive.FILE_NAME), "old classes");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(60)));
    NodeClassArchive archive = NodeClassArchive.of(classPath, "", null);
    assertTrue(archive.fresh());

    Files.setLastModifiedTime(jarB, FileTime.from(Instant.now())); // rebuilt

    assertFalse(archive.fresh());
    NodeClassArchive.Launch maker = archive.launch(1);
    assertTrue(maker.options().get(0).startsWith("-XX:ArchiveClassesAtExit="));
    Files.writeString(maker.dump().orElseThrow(), "new classes");
    archive.exited(maker, 0);
    assertEquals("new classes", Files.readString(file));
    assertTrue(archive.fresh());
  }

  @Test
  void aDumpOfJarsRebuiltWhileItsMakerRanIsDropped() throws IOException {
    NodeClassArchive archive = NodeClassArchive.of(classPath, "", null);
    NodeClassArchive.Launch maker = archive.launch(1);
    Files.writeString(maker.dump().orElseThrow(), "classes of the old jars");

    Files.setLastModifiedTime(jarA, FileTime.from(Instant.now().plusSeconds(5))); // a build
    archive.exited(maker, 0);

    assertFalse(Files.exists(dir.resolve(NodeClassArchive.FILE_NAME)));
    assertFalse(Files.exists(maker.dump().orElseThrow()));
  }

  @Test
  void noArchiveWhenTurnedOffChosenByTheOptionsOrTheClassPathHoldsADirectory() throws IOException {
    Path classes = Files.createDirectories(dir.resolve("classes"));
    List<NodeClassArchive> unused =
        List.of(
            NodeClassArchive.of(classPath, "", "off"),
            NodeClassArchive.of(classPath, "", " OFF "),
            NodeClassArchive.of(classPath, "-Xmx1g -Xshare:off", null),
            NodeClassArchive.of(classPath, "-XX:SharedArchiveFile=/x.jsa", null),
            NodeClassArchive.of(classPath, "-XX:ArchiveClassesAtExit=/x.jsa", null),
            NodeClassArchive.of(classPath + File.pathSeparator + classes, "", null),
            NodeClassArchive.of(dir.resolve("missing.jar").toString(), "", null));
    for (NodeClassArchive archive : unused) {
      assertEquals(Optional.empty(), archive.file());
      assertEquals(NodeClassArchive.Launch.NONE, archive.launch(1));
    }
    assertTrue(NodeClassArchive.of(classPath, "", "on").file().isPresent());
  }
}
