package dev.sluice.replication.transfer;

import dev.sluice.config.BackoffSettings;
import dev.sluice.config.ReplicationSettings;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.TcpSO;

/**
 * What the transfer streams need, derived from {@link ReplicationSettings} once. The values are not
 * checked again here: {@code SettingsValidator} holds the rules (peer-max-bytes above the frame
 * header and below 2 GiB with it) and the node validates its settings at start-up.
 *
 * @param peerMaxBytes the largest frame payload
 * @param heartbeatInterval how often each end of an idle connection speaks: the leader sends its
 *     {@code LeaderStatus}, the follower repeats its position as a {@code Progress} keep-alive (so
 *     an idle follower at the leader's end stays in the in-sync set)
 * @param idleTimeout a connection with no bytes for this long is dropped (and restarted); a few
 *     heartbeats long, so a dead peer is noticed even when the kernel does not notice
 * @param connectTimeout how long a follower waits for the TCP connect, and how long the leader
 *     waits for an accepted connection's handshake
 * @param backoff restart delays of a failed transfer
 * @param socketBufferBytes TCP send and receive buffer of replication sockets; 0 keeps the OS
 *     default
 * @param security plaintext or mutual TLS, the same on both ends of a connection
 */
public record TransferSettings(
    long peerMaxBytes,
    Duration heartbeatInterval,
    Duration idleTimeout,
    Duration connectTimeout,
    BackoffSettings backoff,
    int socketBufferBytes,
    TransferSecurity security) {

  /** Pending connections the leader's listening socket queues: one per partition replica. */
  public static final int ACCEPT_BACKLOG = 1024;

  /**
   * The smallest frame a follower asks for when the watchdog divides peer-max-bytes: below this,
   * per-frame costs (a header, an fsync per staged chunk, a progress report) dominate and smaller
   * frames no longer help a connection that breaks every few hundred KiB.
   */
  public static final int MIN_LIMITED_FRAME_BYTES = 64 * 1024;

  /** Accepted connections a leader lets wait for their handshake at once; more are closed. */
  public static final int MAX_PENDING_HANDSHAKES = 256;

  public TransferSettings {
    Objects.requireNonNull(security, "security");
  }

  /** Plaintext settings. */
  public TransferSettings(
      long peerMaxBytes,
      Duration heartbeatInterval,
      Duration idleTimeout,
      Duration connectTimeout,
      BackoffSettings backoff,
      int socketBufferBytes) {
    this(
        peerMaxBytes,
        heartbeatInterval,
        idleTimeout,
        connectTimeout,
        backoff,
        socketBufferBytes,
        TransferSecurity.plaintext());
  }

  /** Plaintext settings derived from the node's replication settings. */
  public static TransferSettings from(ReplicationSettings r, Duration heartbeatInterval) {
    return new TransferSettings(
        r.peerMaxBytes(),
        heartbeatInterval,
        heartbeatInterval.multipliedBy(4),
        Duration.ofSeconds(10),
        r.backoff(),
        (int) Math.min(r.socketBufferBytes(), Integer.MAX_VALUE));
  }

  /** These settings over {@code transport}. */
  public TransferSettings withSecurity(TransferSecurity transport) {
    return new TransferSettings(
        peerMaxBytes,
        heartbeatInterval,
        idleTimeout,
        connectTimeout,
        backoff,
        socketBufferBytes,
        transport);
  }

  /** How long the leader waits for the handshake of an accepted connection. */
  public Duration handshakeTimeout() {
    return connectTimeout;
  }

  /** Socket options for both ends of a replication connection. */
  public List<Inet.SocketOption> socketOptions() {
    if (socketBufferBytes <= 0) {
      return List.of();
    }
    return List.of(
        TcpSO.sendBufferSize(socketBufferBytes), TcpSO.receiveBufferSize(socketBufferBytes));
  }

  /**
   * The frame payload limit a follower asks for in its handshake when the watchdog asked for frames
   * of peer-max-bytes / {@code divisor}: never below {@link #MIN_LIMITED_FRAME_BYTES} (or
   * peer-max-bytes when that is smaller), so a deep escalation cannot shrink frames to nothing.
   */
  public int limitedFrameBytes(int divisor) {
    if (divisor < 1) {
      throw new IllegalArgumentException("frame limit divisor " + divisor + " is below 1");
    }
    long floor = Math.min(peerMaxBytes, MIN_LIMITED_FRAME_BYTES);
    return (int) Math.max(floor, peerMaxBytes / divisor);
  }

  /** Bytes of log read and planned at once by the leader: a few frames' worth. */
  public long readWindowBytes() {
    return peerMaxBytes * 4;
  }
}
