package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the nodes of a {@code local-cluster} live and which ports they use, and the {@code
 * node.conf} each of them runs with. Pure: nothing here starts a process.
 *
 * <pre>
 * DIR/controller/journal*        the controller's H2 journal, shared by all nodes (AUTO_SERVER)
 * DIR/node-K/node.conf           node K's settings (rewritten on every run, same content)
 * DIR/node-K/data/               node K's partition logs
 * DIR/node-K/node.log            node K's stdout and stderr, appended to
 * DIR/node-K/pid                 node K's process id while local-cluster runs it
 * </pre>
 *
 * <p>Node K (1-based) uses the ports {@code P + 10(K-1)} (API), {@code +1} (replication), {@code
 * +2} (management) and {@code +3} (cluster), so node 1 has the defaults of {@code reference.conf}.
 * Every node lists every node as a seed: a restarted node 1 then joins the running ones instead of
 * forming a cluster of its own.
 *
 * @param dir absolute
 * @param settings the {@code --set} options, written into every node's config
 */
record LocalClusterLayout(
    Path dir,
    int basePort,
    String host,
    List<LocalClusterNode> nodes,
    Map<String, String> settings) {

  static final int MAX_NODES = 9;
  static final int DEFAULT_BASE_PORT = 7700;
  static final int PORT_STRIDE = 10;
  static final String DEFAULT_HOST = "127.0.0.1";
  static final String HOST_KEY = "sluice.node.host";

  /** Keys that follow from the layout; {@code --set} must not contradict it. */
  static final Set<String> MANAGED_KEYS =
      Set.of(
          "sluice.node.id",
          "sluice.data-dir",
          "sluice.api.port",
          "sluice.replication.port",
          "sluice.management.port",
          "sluice.cluster.port",
          "sluice.cluster.seed-nodes",
          "sluice.controller.h2-path");

  private static final int LAST_PORT_OFFSET = 3;
  private static final int HIGHEST_PORT = 65_535;

  LocalClusterLayout {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    nodes = List.copyOf(nodes);
  }

  /**
   * Computes the layout.
   *
   * @throws IllegalArgumentException naming the option and the allowed range when an option is out
   *     of range or a {@code --set} key is not a config path or is set by the layout itself
   */
  static LocalClusterLayout of(
      Path dir, int nodeCount, int basePort, Map<String, String> settings) {
    if (nodeCount < 1 || nodeCount > MAX_NODES) {
      throw new IllegalArgumentException(
          "--nodes must be between 1 and " + MAX_NODES + ", got " + nodeCount);
    }
    int highest = basePort + PORT_STRIDE * (nodeCount - 1) + LAST_PORT_OFFSET;
    if (basePort < 1 || highest > HIGHEST_PORT) {
      throw new IllegalArgumentException(
          "--base-port "
              + basePort
              + " does not fit "
              + nodeCount
              + " node(s): they use ports P to P+"
              + (highest - basePort)
              + ", which must lie between 1 and "
              + HIGHEST_PORT);
    }
    Map<String, String> checked = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : settings.entrySet()) {
      checked.put(canonicalKey(e.getKey()), e.getValue());
    }
    String host = checked.getOrDefault(HOST_KEY, DEFAULT_HOST).trim();
    if (host.isEmpty()) {
      throw new IllegalArgumentException("--set " + HOST_KEY + " must not be empty");
    }
    Path absolute = dir.toAbsolutePath().normalize();
    List<LocalClusterNode> nodes = new ArrayList<>();
    for (int id = 1; id <= nodeCount; id++) {
      int api = basePort + PORT_STRIDE * (id - 1);
      nodes.add(
          new LocalClusterNode(
              id, host, api, api + 1, api + 2, api + 3, absolute.resolve("node-" + id)));
    }
    return new LocalClusterLayout(absolute, basePort, host, nodes, checked);
  }

  private static String canonicalKey(String key) {
    String canonical;
    try {
      canonical = ConfigUtil.joinPath(ConfigUtil.splitPath(key.trim()));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(
          "--set " + key + ": not a config key like sluice.storage.flush (" + e.getMessage() + ")");
    }
    if (MANAGED_KEYS.contains(canonical)) {
      throw new IllegalArgumentException(
          "--set "
              + key
              + ": local-cluster sets this key for every node itself (use --data-dir, --base-port"
              + " or --nodes instead)");
    }
    return canonical;
  }

  Path controllerJournal() {
    return dir.resolve("controller").resolve("journal");
  }

  LocalClusterNode node(int id) {
    return nodes.get(id - 1);
  }

  /** The complete {@code node.conf} of a node, header comment included. */
  String nodeConf(LocalClusterNode node) {
    String seeds =
        nodes.stream()
            .map(n -> ConfigUtil.quoteString(n.seedAddress()))
            .collect(Collectors.joining(", ", "[", "]"));
    StringBuilder conf = new StringBuilder();
    conf.append("# Node ")
        .append(node.id())
        .append(" of the local cluster in ")
        .append(dir)
        .append(", written by `bin/sluice local-cluster`.\n")
        .append("# local-cluster rewrites this file on every run; pass lasting changes to it as")
        .append(" --set key=value.\n")
        .append("#\n")
        .append("# To restart this one node by hand (after it was stopped or killed):\n")
        .append("#   ")
        .append(node.restartCommand())
        .append("\n")
        .append("# It finds the other nodes through the seed nodes below and rejoins them.\n")
        .append("sluice {\n")
        .append("  node {\n")
        .append("    id = ")
        .append(node.id())
        .append("\n")
        .append("    host = ")
        .append(ConfigUtil.quoteString(host))
        .append("\n")
        .append("  }\n")
        .append("  data-dir = ")
        .append(ConfigUtil.quoteString(node.dataDir().toString()))
        .append("\n")
        .append("  api.port = ")
        .append(node.apiPort())
        .append("\n")
        .append("  replication.port = ")
        .append(node.replicationPort())
        .append("\n")
        .append("  management.port = ")
        .append(node.managementPort())
        .append("\n")
        .append("  cluster {\n")
        .append("    port = ")
        .append(node.clusterPort())
        .append("\n")
        .append("    seed-nodes = ")
        .append(seeds)
        .append("\n")
        .append("  }\n")
        .append("  # All nodes of this machine share one journal (H2 in AUTO_SERVER mode).\n")
        .append("  controller.h2-path = ")
        .append(ConfigUtil.quoteString(controllerJournal().toString()))
        .append("\n")
        .append("}\n");
    List<Map.Entry<String, String>> extra =
        settings.entrySet().stream().filter(e -> !e.getKey().equals(HOST_KEY)).toList();
    if (!extra.isEmpty()) {
      // Strings, like -D overrides: Typesafe Config converts them to numbers, sizes and durations.
      conf.append("\n# --set options\n");
      for (Map.Entry<String, String> e : extra) {
        conf.append(e.getKey()).append(" = ").append(ConfigUtil.quoteString(e.getValue()));
        conf.append("\n");
      }
    }
    return conf.toString();
  }

  /** Creates the node directories and writes every {@code node.conf}; data stays as it is. */
  void writeConfigs() throws IOException {
    Files.createDirectories(controllerJournal().getParent());
    for (LocalClusterNode node : nodes) {
      Files.createDirectories(node.dataDir());
      Files.writeString(node.configFile(), nodeConf(node), UTF_8);
    }
  }
}
