package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import dev.sluice.config.SettingsValidator;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * DIR/security/                  the cluster CA, node certificates and tokens ({@link
 *                                LocalClusterSecurity}); not used with --insecure
 * DIR/client.conf                the CLI's defaults for this cluster ({@link ClientConf})
 * </pre>
 *
 * <p>Node K (1-based) uses the ports {@code P + 10(K-1)} (API), {@code +1} (replication), {@code
 * +2} (management) and {@code +3} (cluster), so node 1 has the defaults of {@code reference.conf}.
 * Every node lists every node as a seed: a restarted node 1 then joins the running ones instead of
 * forming a cluster of its own.
 *
 * <p>Secure by default ({@link Security#SECURE}): every node.conf turns TLS on for all listeners
 * with the node's certificate from {@code DIR/security}, and bearer tokens on the client API and
 * management. {@link Security#INSECURE} ({@code --insecure}) writes plaintext listeners and no
 * authentication instead, and is refused for a non-loopback host unless {@code
 * sluice.security.allow-plaintext-on-network} is on.
 *
 * @param dir absolute
 * @param settings the {@code --set} options, written into every node's config
 */
record LocalClusterLayout(
    Path dir,
    int basePort,
    String host,
    List<LocalClusterNode> nodes,
    Map<String, String> settings,
    Security security) {

  /** Whether the nodes use TLS and tokens. */
  enum Security {
    /** TLS on every listener, tokens on the client API and management: the default. */
    SECURE("https"),
    /** {@code --insecure}: plaintext listeners, no authentication. */
    INSECURE("http");

    private final String scheme;

    Security(String scheme) {
      this.scheme = scheme;
    }

    /** The scheme of the nodes' HTTP listeners (API and management). */
    String scheme() {
      return scheme;
    }
  }

  static final int MAX_NODES = 9;
  static final int DEFAULT_BASE_PORT = 7700;
  static final int PORT_STRIDE = 10;
  static final String DEFAULT_HOST = "127.0.0.1";
  static final String HOST_KEY = "sluice.node.host";
  static final String ALLOW_PLAINTEXT_KEY = "sluice.security.allow-plaintext-on-network";

  /** The line {@code --insecure} prints: what it gives up. */
  static final String INSECURE_WARNING =
      "plaintext listeners and no tokens: anything that can reach 127.0.0.1 can read and write";

  /** The security keys node.conf sets (or contradicts, for the PEM and trust-store forms). */
  static final Set<String> SECURITY_KEYS =
      Set.of(
          "sluice.security.tls.enabled",
          "sluice.security.tls.key-store",
          "sluice.security.tls.key-store-password-file",
          "sluice.security.tls.key-file",
          "sluice.security.tls.cert-file",
          "sluice.security.tls.ca-file",
          "sluice.security.tls.trust-store",
          "sluice.security.api.auth",
          "sluice.security.api.tokens-file",
          "sluice.security.management.auth");

  /** Keys that follow from the layout; {@code --set} must not contradict it. */
  static final Set<String> MANAGED_KEYS =
      union(
          Set.of(
              "sluice.node.id",
              "sluice.data-dir",
              "sluice.api.port",
              "sluice.replication.port",
              "sluice.management.port",
              "sluice.cluster.port",
              "sluice.cluster.seed-nodes",
              "sluice.controller.h2-path"),
          SECURITY_KEYS);

  private static final int LAST_PORT_OFFSET = 3;
  private static final int HIGHEST_PORT = 65_535;

  LocalClusterLayout {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    nodes = List.copyOf(nodes);
  }

  /**
   * The layout of a secure cluster (the default): see {@link #of(Path, int, int, Map, Security)}.
   */
  static LocalClusterLayout of(
      Path dir, int nodeCount, int basePort, Map<String, String> settings) {
    return of(dir, nodeCount, basePort, settings, Security.SECURE);
  }

  /**
   * Computes the layout.
   *
   * @throws IllegalArgumentException naming the option and the allowed range when an option is out
   *     of range, a {@code --set} key is not a config path or is set by the layout itself, or
   *     {@code --insecure} is asked for a network address without {@value #ALLOW_PLAINTEXT_KEY}
   */
  static LocalClusterLayout of(
      Path dir, int nodeCount, int basePort, Map<String, String> settings, Security security) {
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
    if (security == Security.INSECURE
        && !SettingsValidator.isLoopback(host)
        && !Set.of("on", "true", "yes")
            .contains(
                checked.getOrDefault(ALLOW_PLAINTEXT_KEY, "off").trim().toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "--insecure with --set "
              + HOST_KEY
              + "="
              + host
              + ": not a loopback address, so anyone on the network could join, read and write;"
              + " drop --insecure, or add --set "
              + ALLOW_PLAINTEXT_KEY
              + "=on to accept that");
    }
    Path absolute = dir.toAbsolutePath().normalize();
    List<LocalClusterNode> nodes = new ArrayList<>();
    for (int id = 1; id <= nodeCount; id++) {
      int api = basePort + PORT_STRIDE * (id - 1);
      nodes.add(
          new LocalClusterNode(
              id, host, api, api + 1, api + 2, api + 3, absolute.resolve("node-" + id), security));
    }
    return new LocalClusterLayout(absolute, basePort, host, nodes, checked, security);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  private static String canonicalKey(String key) {
    String canonical;
    try {
      canonical = ConfigUtil.joinPath(ConfigUtil.splitPath(key.trim()));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(
          "--set " + key + ": not a config key like sluice.storage.flush (" + e.getMessage() + ")");
    }
    if (SECURITY_KEYS.contains(canonical)) {
      throw new IllegalArgumentException(
          "--set "
              + key
              + ": local-cluster sets this key for every node itself, with the CA and certificates"
              + " of DIR/security (use --insecure for plaintext listeners without tokens)");
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

  /** {@code DIR/security}: the cluster CA, the node key stores, the tokens (0700). */
  Path securityDir() {
    return dir.resolve("security");
  }

  /** The CA certificate every node and client trusts. */
  Path caPem() {
    return securityDir().resolve("ca.pem");
  }

  /** The password of every key store in {@link #securityDir}. */
  Path storePasswordFile() {
    return securityDir().resolve("store.password");
  }

  /** Node {@code node}'s key and certificate chain (PKCS12). */
  Path nodeKeyStore(LocalClusterNode node) {
    return securityDir().resolve("node-" + node.id() + ".p12");
  }

  /** The hashed tokens every node accepts ({@link dev.sluice.api.TokenFile}). */
  Path tokensFile() {
    return securityDir().resolve("tokens.conf");
  }

  /** The admin token in clear text, for the CLI (0600). */
  Path adminTokenFile() {
    return securityDir().resolve("admin.token");
  }

  /** The CLI's defaults for this cluster ({@link ClientConf}). */
  Path clientConf() {
    return dir.resolve("client.conf");
  }

  /**
   * The text of {@link #clientConf}: every node's API, node 1's first (the CLI goes on to the next
   * when one is down), and with {@link Security#SECURE} the CA and the admin token, as paths
   * relative to {@link #dir} so that a moved directory keeps working.
   */
  String clientConfText() {
    List<URI> server = nodes.stream().map(n -> URI.create(n.apiUrl())).toList();
    if (security == Security.INSECURE) {
      return ClientConf.render(server);
    }
    return ClientConf.render(server, dir.relativize(caPem()), dir.relativize(adminTokenFile()));
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
        .append("\n");
    appendSecurity(conf, node);
    conf.append("}\n");
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

  private void appendSecurity(StringBuilder conf, LocalClusterNode node) {
    if (security == Security.INSECURE) {
      conf.append("  # --insecure: ")
          .append(INSECURE_WARNING)
          .append(".\n")
          .append("  security {\n")
          .append("    tls.enabled = off\n")
          .append("    api.auth = none\n")
          .append("    management.auth = none\n")
          .append("  }\n");
      return;
    }
    conf.append("  # TLS on every listener with this node's certificate from the cluster CA of\n")
        .append("  # local-cluster; bearer tokens on the client API and (HTTP Basic) management.\n")
        .append("  security {\n")
        .append("    tls {\n")
        .append("      enabled = on\n")
        .append("      key-store = ")
        .append(ConfigUtil.quoteString(nodeKeyStore(node).toString()))
        .append("\n")
        .append("      key-store-password-file = ")
        .append(ConfigUtil.quoteString(storePasswordFile().toString()))
        .append("\n")
        .append("      ca-file = ")
        .append(ConfigUtil.quoteString(caPem().toString()))
        .append("\n")
        .append("    }\n")
        .append("    api {\n")
        .append("      auth = tokens\n")
        .append("      tokens-file = ")
        .append(ConfigUtil.quoteString(tokensFile().toString()))
        .append("\n")
        .append("    }\n")
        .append("    management.auth = tokens\n")
        .append("  }\n");
  }

  /**
   * Creates the node directories and writes every {@code node.conf} and the {@link #clientConf};
   * data and key material stay as they are.
   */
  void writeConfigs() throws IOException {
    Files.createDirectories(controllerJournal().getParent());
    for (LocalClusterNode node : nodes) {
      Files.createDirectories(node.dataDir());
      Files.writeString(node.configFile(), nodeConf(node), UTF_8);
    }
    Files.writeString(clientConf(), clientConfText(), UTF_8);
  }
}
