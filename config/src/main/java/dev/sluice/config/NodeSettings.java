package dev.sluice.config;

import java.nio.file.Path;

/**
 * Identity and location of one node ({@code sluice.node}, {@code sluice.data-dir}).
 *
 * <p>Two addresses: {@code host} is what the node tells clients and peers to connect to (its
 * cluster address, the API base URI it registers, the replication address followers dial); {@code
 * bindHost} is the local address its listeners bind to. They differ behind NAT and in containers,
 * where a node binds {@code 0.0.0.0} and is reached through an address of the host machine.
 *
 * @param id the node id, unique in the cluster and stable across restarts
 * @param host the address this node advertises to clients and peers
 * @param bindHost the address every listener binds to (API, management, replication, cluster); the
 *     reader fills in {@code host} when {@code sluice.node.bind-host} is empty
 * @param dataDir where partition logs and checkpoints live
 */
public record NodeSettings(int id, String host, String bindHost, Path dataDir) {

  /** A node that binds the address it advertises. */
  public NodeSettings(int id, String host, Path dataDir) {
    this(id, host, host, dataDir);
  }

  /** Whether the listeners bind an address other than the advertised one. */
  public boolean bindsElsewhere() {
    return !bindHost.equals(host);
  }
}
