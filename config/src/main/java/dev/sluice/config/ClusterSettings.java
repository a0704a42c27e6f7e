package dev.sluice.config;

import java.util.List;

/**
 * Cluster membership ({@code sluice.cluster}).
 *
 * @param port Artery TCP port of this node
 * @param seedNodes {@code host:port} of the seed nodes; empty means this node forms its own cluster
 * @param formNewCluster this start of the node forms a new cluster at once, as its first member,
 *     instead of first asking the seed nodes (which, when none of them runs, waits {@code
 *     pekko.cluster.seed-node-timeout}); only for a start while no other node of the cluster runs
 */
public record ClusterSettings(int port, List<String> seedNodes, boolean formNewCluster) {

  /** The setting's key: a launcher that starts a whole cluster sets it for its first node. */
  public static final String FORM_NEW_CLUSTER = "sluice.cluster.form-new-cluster";
}
