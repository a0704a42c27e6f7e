package dev.sluice.tools;

import dev.sluice.node.NodeConfig;
import java.nio.file.Path;

/**
 * One node of a {@code local-cluster}: its id, ports and files. A value; {@link LocalClusterLayout}
 * computes it from the command's options.
 *
 * @param dir {@code DIR/node-K}, holding the node's config, data, log and pid file
 * @param security whether its listeners use TLS (and so its URLs {@code https})
 */
record LocalClusterNode(
    int id,
    String host,
    int apiPort,
    int replicationPort,
    int managementPort,
    int clusterPort,
    Path dir,
    LocalClusterLayout.Security security) {

  Path configFile() {
    return dir.resolve("node.conf");
  }

  Path dataDir() {
    return dir.resolve("data");
  }

  Path logFile() {
    return dir.resolve("node.log");
  }

  Path pidFile() {
    return dir.resolve("pid");
  }

  String apiUrl() {
    return security.scheme() + "://" + host + ":" + apiPort;
  }

  String managementUrl() {
    return security.scheme() + "://" + host + ":" + managementPort;
  }

  String replicationAddress() {
    return host + ":" + replicationPort;
  }

  /** The {@code host:port} form that {@code sluice.cluster.seed-nodes} takes. */
  String seedAddress() {
    return host + ":" + clusterPort;
  }

  /** The member address as {@code GET /cluster/members} reports it. */
  String clusterAddress() {
    return "pekko://" + NodeConfig.SYSTEM_NAME + "@" + seedAddress();
  }

  /** The command that restarts this one node by hand. */
  String restartCommand() {
    return "bin/sluice node --config " + configFile();
  }
}
