package dev.sluice.config;

import java.nio.file.Path;

/**
 * Identity and location of one node ({@code sluice.node}, {@code sluice.data-dir}).
 *
 * @param id the node id, unique in the cluster and stable across restarts
 * @param host the address every listener binds to and advertises
 * @param dataDir where partition logs and checkpoints live
 */
public record NodeSettings(int id, String host, Path dataDir) {}
