package dev.sluice.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.sluice.config.SluiceSettings;
import dev.sluice.replication.BlockingIo;
import java.util.ArrayList;
import java.util.List;

/**
 * Derives the ActorSystem config of a node from its validated settings: the sluice keys are the
 * single source of truth for addresses and ports, Pekko's own keys follow from them.
 */
public final class NodeConfig {
  /** Name of every node's ActorSystem; cluster addresses are {@code pekko://sluice@host:port}. */
  public static final String SYSTEM_NAME = "sluice";

  /** The dispatcher of everything that blocks on files: {@link BlockingIo#DISPATCHER_ID}. */
  public static final String BLOCKING_IO_DISPATCHER = BlockingIo.DISPATCHER_ID;

  private NodeConfig() {}

  public static Config forNode(SluiceSettings settings, Config loaded) {
    String host = settings.node().host();
    List<String> seeds = new ArrayList<>();
    for (String seed : settings.cluster().seedNodes()) {
      seeds.add(seed.startsWith("pekko://") ? seed : "pekko://" + SYSTEM_NAME + "@" + seed);
    }
    Config derived =
        ConfigFactory.empty()
            .withValue(
                "pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue(
                "pekko.remote.artery.canonical.port",
                ConfigValueFactory.fromAnyRef(settings.cluster().port()))
            .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue(
                "pekko.management.http.port",
                ConfigValueFactory.fromAnyRef(settings.management().port()))
            .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
            .withValue(
                "sluice.controller.h2-path", ConfigValueFactory.fromAnyRef(h2Path(settings)));
    // Derived keys win: a port set under sluice { } must be the port Pekko binds.
    return derived.withFallback(loaded).resolve();
  }

  /**
   * Nodes of one machine share one H2 journal (AUTO_SERVER mode), so the default sits beside the
   * node directories: {@code data/node-1} uses {@code data/controller/journal}.
   */
  private static String h2Path(SluiceSettings settings) {
    java.nio.file.Path dataDir = settings.node().dataDir().toAbsolutePath().normalize();
    java.nio.file.Path base = dataDir.getParent() == null ? dataDir : dataDir.getParent();
    return settings
        .controller()
        .h2Path()
        .orElseGet(() -> base.resolve("controller").resolve("journal"))
        .toString();
  }
}
