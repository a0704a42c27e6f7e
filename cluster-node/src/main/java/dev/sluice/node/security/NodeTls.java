package dev.sluice.node.security;

import dev.sluice.config.SettingsException;
import dev.sluice.config.TlsSettings;
import dev.sluice.config.TlsSettings.Listener;
import dev.sluice.replication.transfer.TransferSecurity;
import dev.sluice.security.KeyMaterial;
import dev.sluice.security.NodeIdentity;
import dev.sluice.security.TlsContext;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS of one node: its key material, loaded and checked once before any listener binds, and
 * handed to every listener that {@code sluice.security.tls.listeners} names. One {@link TlsContext}
 * feeds all of them, so a rotated certificate reaches the cluster port, the replication port, the
 * client API and management at the same time.
 *
 * <p>{@link #load} refuses, with one {@code key = value: why} line per problem, material whose
 * certificate names another node than {@code sluice.node.id}, has expired, or does not chain to the
 * trust anchors; a certificate that expires within {@link KeyMaterial#EXPIRY_WARNING} is started
 * with a WARN naming the date.
 *
 * <p>With TLS off every listener is plaintext and {@link #context()} is empty. Immutable;
 * thread-safe (the context reloads itself, see {@link TlsContext}).
 */
public final class NodeTls {
  private static final Logger log = LoggerFactory.getLogger(NodeTls.class);

  /** How often a running node looks at its certificate's expiry date again. */
  public static final Duration EXPIRY_CHECK_INTERVAL = Duration.ofHours(12);

  private final TlsSettings settings;
  private final Optional<TlsContext> context;
  private final Clock clock;

  private NodeTls(TlsSettings settings, Optional<TlsContext> context, Clock clock) {
    this.settings = settings;
    this.context = context;
    this.clock = clock;
  }

  /** Every listener plaintext. */
  public static NodeTls off() {
    return new NodeTls(TlsSettings.disabled(), Optional.empty(), Clock.systemUTC());
  }

  /**
   * Loads the key material of node {@code nodeId} when {@code settings} turn TLS on.
   *
   * @param clock decides whether the certificate is valid now and when files are checked again
   * @throws SettingsException naming the setting, its value and what is wrong with it
   */
  public static NodeTls load(TlsSettings settings, int nodeId, Clock clock) {
    if (!settings.enabled()) {
      return new NodeTls(settings, Optional.empty(), clock);
    }
    TlsContext context = TlsContext.load(settings, nodeId, clock, new LoggedReloads(clock));
    KeyMaterial material = context.material();
    material.expiryWarning(clock.instant()).ifPresent(log::warn);
    Set<String> on = new TreeSet<>();
    for (Listener l : settings.listeners()) {
      on.add(l.name().toLowerCase(java.util.Locale.ROOT));
    }
    log.info(
        "TLS on for {}: node {} presents {} ({}), valid until {}",
        on,
        nodeId,
        material.certificate().getSubjectX500Principal(),
        NodeIdentity.uri(nodeId),
        material.certificate().getNotAfter().toInstant());
    return new NodeTls(settings, Optional.of(context), clock);
  }

  /** True when {@code listener} uses TLS. */
  public boolean on(Listener listener) {
    return context.isPresent() && settings.on(listener);
  }

  /** {@code https} when {@code listener} uses TLS, else {@code http}. */
  public String scheme(Listener listener) {
    return on(listener) ? "https" : "http";
  }

  /**
   * Logs a WARN naming the date when the certificate in use expires within {@link
   * KeyMaterial#EXPIRY_WARNING}; nothing with TLS off. A node runs for months on one certificate
   * without reloading it, so the node calls this every {@link #EXPIRY_CHECK_INTERVAL}, not only at
   * start-up and on reloads.
   */
  public void warnIfExpiring() {
    context.ifPresent(c -> c.material().expiryWarning(clock.instant()).ifPresent(log::warn));
  }

  /** The reloading context; empty with TLS off. */
  public Optional<TlsContext> context() {
    return context;
  }

  /** Artery's engines and session checks, when the cluster port uses TLS. */
  public Optional<SSLEngineProviderSetup> arterySetup() {
    return on(Listener.CLUSTER)
        ? Optional.of(ArterySslEngineProvider.setup(context.get()))
        : Optional.empty();
  }

  /**
   * The HTTPS server side of the client API or management: server authentication only (clients
   * authenticate with tokens), an engine per connection from the current context.
   *
   * @throws IllegalStateException with TLS off for {@code listener}
   */
  public HttpsConnectionContext httpsServer(Listener listener) {
    TlsContext tls = require(listener);
    return ConnectionContext.httpsServer(() -> tls.serverEngine(false));
  }

  /**
   * The replication port's security: mutual TLS where a peer is the node its certificate names, or
   * plaintext (a peer is whoever its handshake claims to be).
   */
  public TransferSecurity transferSecurity() {
    if (!on(Listener.REPLICATION)) {
      return TransferSecurity.plaintext();
    }
    TlsContext tls = context.get();
    return TransferSecurity.tls(
        () -> tls.serverEngine(true), tls::clientEngine, NodeIdentity::ofSession);
  }

  private TlsContext require(Listener listener) {
    if (!on(listener)) {
      throw new IllegalStateException("TLS is off for the " + listener + " listener");
    }
    return context.get();
  }

  /** Reload outcomes in the node's log. */
  private static final class LoggedReloads implements TlsContext.Events {
    private final Clock clock;

    LoggedReloads(Clock clock) {
      this.clock = clock;
    }

    @Override
    public void reloaded(KeyMaterial m) {
      log.info(
          "TLS key material reloaded from {}: {}, valid until {}",
          m.certificateSource(),
          m.certificate().getSubjectX500Principal(),
          m.certificate().getNotAfter().toInstant());
      m.expiryWarning(clock.instant()).ifPresent(log::warn);
    }

    @Override
    public void reloadFailed(SettingsException problem) {
      log.error(
          "TLS key material changed but cannot be used; the previous material stays in use: {}",
          String.join("; ", problem.violations()));
    }
  }
}
