package dev.sluice.config;

import java.util.List;

/**
 * Cluster membership ({@code sluice.cluster}).
 *
 * @param port Artery TCP port of this node
 * @param seedNodes {@code host:port} of the seed nodes; empty means this node forms its own cluster
 */
public record ClusterSettings(int port, List<String> seedNodes) {}
