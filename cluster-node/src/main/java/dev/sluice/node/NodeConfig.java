package dev.sluice.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.sluice.config.Journal;
import dev.sluice.config.SluiceSettings;
import dev.sluice.config.TlsSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Derives the ActorSystem config of a node from its validated settings: the sluice keys are the
 * single source of truth for addresses and ports, Pekko's own keys follow from them ({@code
 * sluice.node.host} is the advertised canonical and management host name, {@code
 * sluice.node.bind-host} the address they bind).
 */
public final class NodeConfig {
  /** Name of every node's ActorSystem; cluster addresses are {@code pekko://sluice@host:port}. */
  public static final String SYSTEM_NAME = "sluice";

  private NodeConfig() {}

  /** Where the H2 journal's JDBC URL is, once the config is resolved. */
  public static final String H2_DB = "pekko-persistence-jdbc.shared-databases.h2.db";

  /** The node's config without the H2 journal's password (for a look at the derived keys). */
  public static Config forNode(SluiceSettings settings, Config loaded) {
    return forNode(settings, loaded, Optional.empty());
  }

  /**
   * The node's config: addresses and ports from the settings, Artery's {@code tls-tcp} transport
   * when the cluster port uses TLS (its engines come from an {@code SSLEngineProviderSetup}, never
   * from Pekko's key-store settings), and the H2 journal's user and {@code h2Password}.
   */
  public static Config forNode(
      SluiceSettings settings, Config loaded, Optional<String> h2Password) {
    String host = settings.node().host();
    String bindHost = settings.node().bindHost();
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
            // Artery binds bind.hostname and tells peers canonical.hostname; its bind.port
            // defaults to the canonical port.
            .withValue("pekko.remote.artery.bind.hostname", ConfigValueFactory.fromAnyRef(bindHost))
            .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(host))
            .withValue(
                "pekko.management.http.bind-hostname", ConfigValueFactory.fromAnyRef(bindHost))
            .withValue(
                "pekko.management.http.port",
                ConfigValueFactory.fromAnyRef(settings.management().port()))
            .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
            .withValue(
                "sluice.controller.h2-path",
                ConfigValueFactory.fromAnyRef(h2Path(settings).toString()))
            .withValue(
                H2_DB + ".user", ConfigValueFactory.fromAnyRef(settings.controller().h2User()));
    if (h2Password.isPresent()) {
      derived =
          derived.withValue(H2_DB + ".password", ConfigValueFactory.fromAnyRef(h2Password.get()));
    }
    if (settings.security().tls().on(TlsSettings.Listener.CLUSTER)) {
      derived =
          derived.withValue(
              "pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"));
    }
    // Derived keys win: a port set under sluice { } must be the port Pekko binds.
    return derived.withFallback(loaded).resolve();
  }

  /**
   * Nodes of one machine share one H2 journal (AUTO_SERVER mode), so the default sits beside the
   * node directories: {@code data/node-1} uses {@code data/controller/journal}.
   */
  public static Path h2Path(SluiceSettings settings) {
    Path dataDir = settings.node().dataDir().toAbsolutePath().normalize();
    Path base = dataDir.getParent() == null ? dataDir : dataDir.getParent();
    return settings
        .controller()
        .h2Path()
        .orElseGet(() -> base.resolve("controller").resolve("journal"));
  }

  /** True when the controller's journal is the H2 file. */
  public static boolean usesH2(SluiceSettings settings) {
    return settings.controller().journal() == Journal.H2;
  }
}
