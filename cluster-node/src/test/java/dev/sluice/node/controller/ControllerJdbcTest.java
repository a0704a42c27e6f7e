package dev.sluice.node.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.sluice.node.controller.Controller.AllocateProducerIds;
import dev.sluice.node.controller.Controller.CreateTopic;
import dev.sluice.node.controller.Controller.CreateTopicReply;
import dev.sluice.node.controller.Controller.GetMetadata;
import dev.sluice.node.controller.Controller.NodeDown;
import dev.sluice.node.controller.Controller.NodeUp;
import dev.sluice.node.controller.Controller.ProducerIdBlock;
import dev.sluice.node.controller.Controller.ProducerIdsReply;
import dev.sluice.node.controller.Controller.TopicCreated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller on its real journal (pekko-persistence-jdbc, configured by {@code
 * sluice-controller.conf}), started the way a node starts it ({@link ControllerSingleton}) in a
 * one-node cluster: metadata written by one ActorSystem is recovered by the next one on the same
 * database. The two systems run one after the other, so each phase has its own ActorTestKit.
 *
 * <p>The PostgreSQL variant runs when {@code SLUICE_TEST_POSTGRES_URL} is set (with {@code
 * SLUICE_TEST_POSTGRES_USER} and {@code SLUICE_TEST_POSTGRES_PASSWORD}); it fails if that database
 * cannot be reached, and is skipped only when the variable is absent.
 */
class ControllerJdbcTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void metadataSurvivesARestartOnTheH2File() {
    Path h2 = dir.resolve("controller").resolve("journal");
    Config config =
        config(
            Map.of("sluice.controller.journal", "h2", "sluice.controller.h2-path", h2.toString()));

    MetadataSnapshot written = writeMetadata(config, () -> {});

    assertTrue(Files.exists(dir.resolve("controller").resolve("journal.mv.db")));
    assertEquals(written, readMetadata(config));
  }

  @Test
  void producerIdBlocksGoOnAfterTheLastOneAcrossARestartOnTheH2File() {
    Path h2 = dir.resolve("controller").resolve("journal");
    Config config =
        config(
            Map.of("sluice.controller.journal", "h2", "sluice.controller.h2-path", h2.toString()));

    ProducerIdBlock first = allocateOnFreshSystem(config, 10);
    ProducerIdBlock second = allocateOnFreshSystem(config, 10);

    assertEquals(new ProducerIdBlock(0, 10), first);
    assertEquals(new ProducerIdBlock(10, 10), second);
  }

  /** Starts a system on {@code config}, takes one block of {@code count} ids, stops the system. */
  private static ProducerIdBlock allocateOnFreshSystem(Config config, int count) {
    ActorTestKit kit = ActorTestKit.create("ControllerJdbcTest", config);
    try {
      ActorRef<Controller.Command> controller = start(kit, () -> {});
      TestProbe<ProducerIdsReply> reply = kit.createTestProbe();
      controller.tell(new AllocateProducerIds(count, reply.ref()));
      return reply.expectMessageClass(ProducerIdBlock.class, TIMEOUT);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void metadataSurvivesARestartOnPostgres() {
    String url = System.getenv("SLUICE_TEST_POSTGRES_URL");
    Assumptions.assumeTrue(
        url != null && !url.isBlank(),
        "SLUICE_TEST_POSTGRES_URL is not set: the PostgreSQL journal test is skipped (CI sets it)");
    String user = envOr("SLUICE_TEST_POSTGRES_USER", "sluice");
    String password = envOr("SLUICE_TEST_POSTGRES_PASSWORD", "");
    // A database that is configured but unreachable must fail the run, not skip it.
    try (Connection c = DriverManager.getConnection(url, user, password)) {
      assertTrue(c.isValid(5), "PostgreSQL connection at " + url + " is not valid");
    } catch (SQLException e) {
      fail(
          "SLUICE_TEST_POSTGRES_URL is set but PostgreSQL at "
              + url
              + " is unreachable as user '"
              + user
              + "': "
              + e.getMessage(),
          e);
    }
    Config config =
        config(
            Map.of(
                "sluice.controller.journal", "postgres",
                "sluice.controller.postgres.url", url,
                "sluice.controller.postgres.user", user,
                "sluice.controller.postgres.password", password));

    MetadataSnapshot written = writeMetadata(config, () -> deleteController(url, user, password));

    assertEquals(written, readMetadata(config));
  }

  /** Creates a topic and fails a node over on a fresh controller; returns the metadata. */
  private static MetadataSnapshot writeMetadata(Config config, Runnable beforeStart) {
    ActorTestKit kit = ActorTestKit.create("ControllerJdbcTest", config);
    try {
      ActorRef<Controller.Command> controller = start(kit, beforeStart);
      for (int node = 1; node <= 3; node++) {
        controller.tell(new NodeUp(node, "node-" + node, "disk-" + node));
      }
      TestProbe<CreateTopicReply> created = kit.createTestProbe();
      controller.tell(new CreateTopic("orders", 4, 2, created.ref()));
      created.expectMessageClass(TopicCreated.class, TIMEOUT);
      controller.tell(new NodeDown(1));
      MetadataSnapshot written = metadata(kit, controller);
      assertEquals(2, written.liveNodes().size(), written.toString());
      return written;
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static MetadataSnapshot readMetadata(Config config) {
    ActorTestKit kit = ActorTestKit.create("ControllerJdbcTest", config);
    try {
      return metadata(kit, start(kit, () -> {}));
    } finally {
      kit.shutdownTestKit();
    }
  }

  private static ActorRef<Controller.Command> start(ActorTestKit kit, Runnable beforeStart) {
    ActorSystem<Void> system = kit.system();
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    try {
      ControllerSingleton.prepareJournal(system)
          .toCompletableFuture()
          .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("controller journal schema not created", e);
    }
    beforeStart.run();
    return ControllerSingleton.init(system, ElectionPolicy.CLEAN_ONLY);
  }

  private static MetadataSnapshot metadata(
      ActorTestKit kit, ActorRef<Controller.Command> controller) {
    TestProbe<MetadataSnapshot> probe = kit.createTestProbe();
    controller.tell(new GetMetadata(probe.ref()));
    return probe.receiveMessage(TIMEOUT);
  }

  /** The PostgreSQL database outlives test runs: start from no controller events. */
  private static void deleteController(String url, String user, String password) {
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "DELETE FROM event_journal WHERE persistence_id = '" + Controller.PERSISTENCE_ID + "'");
      s.executeUpdate(
          "DELETE FROM snapshot WHERE persistence_id = '" + Controller.PERSISTENCE_ID + "'");
    } catch (SQLException e) {
      throw new AssertionError("cannot clear controller rows in " + url, e);
    }
  }

  private static Config config(Map<String, String> controllerKeys) {
    Config overrides = ConfigFactory.empty();
    for (Map.Entry<String, String> e : controllerKeys.entrySet()) {
      overrides = overrides.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return overrides
        .withFallback(
            ConfigFactory.parseString(
                String.join(
                    "\n",
                    "pekko.actor.provider = cluster",
                    "pekko.actor.serialization-bindings {",
                    "  \"dev.sluice.node.controller.ControllerSerializable\" = jackson-cbor",
                    "}",
                    "pekko.remote.artery.canonical { hostname = \"127.0.0.1\", port = 0 }",
                    "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
                    "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]")))
        .withFallback(ConfigFactory.parseResources("sluice-controller.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  private static String envOr(String name, String fallback) {
    String value = System.getenv(name);
    return value == null ? fallback : value;
  }
}
