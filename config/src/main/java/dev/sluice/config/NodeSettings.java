package dev.sluice.config;

import java.nio.file.Path;
import java.time.Duration;

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
 * @param shutdownHangTimeout how long a node process waits, once its shutdown has closed every log,
 *     for its actor system to finish terminating before it halts the JVM with exit code 70
 */
public record NodeSettings(
    int id, String host, String bindHost, Path dataDir, Duration shutdownHangTimeout) {

  /** The default of {@code sluice.node.shutdown-hang-timeout}. */
  public static final Duration DEFAULT_SHUTDOWN_HANG_TIMEOUT = Duration.ofSeconds(30);

  /** A node with the default shutdown hang timeout. */
  public NodeSettings(int id, String host, String bindHost, Path dataDir) {
    this(id, host, bindHost, dataDir, DEFAULT_SHUTDOWN_HANG_TIMEOUT);
  }

  /** A node that binds the address it advertises. */
  public NodeSettings(int id, String host, Path dataDir) {
    this(id, host, host, dataDir);
  }

  /** Whether the listeners bind an address other than the advertised one. */
  public boolean bindsElsewhere() {
    return !bindHost.equals(host);
  }
}
