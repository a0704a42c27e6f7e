package dev.sluice.security;

import dev.sluice.config.Secret;
import dev.sluice.config.SettingsException;
import dev.sluice.config.TlsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * The TLS context of a node, reloaded when its files change: one instance feeds every listener, so
 * a rotated certificate reaches all of them at once. New connections use the new material; open
 * connections keep the session they negotiated.
 *
 * <p>Reloading: at most once per {@code reload-interval} (measured on the injected {@link Clock}),
 * the next call of {@link #current()}, {@link #serverEngine} or {@link #clientEngine} reads the
 * files named by the settings (key, certificate, stores, password files and trust anchors) and
 * compares their contents with those of the last successful load. Changed contents are loaded and
 * checked like at start-up ({@link KeyMaterial#load}); on success the new context replaces the old
 * one, on failure the old context stays and the {@link Events} hear of it once per broken version
 * of the files. {@link #reload()} does the same at once.
 *
 * <p>Thread-safety: any thread may call any method. The current material is one volatile reference;
 * the check runs under a lock that callers skip when another thread holds it, so a caller never
 * waits for a reload: it gets the previous context. The check reads a few small files on the
 * calling thread, once per interval.
 */
public final class TlsContext implements AutoCloseable {

  /** What a reload did; the node logs these. */
  public interface Events {
    /** New material replaced the old one. */
    void reloaded(KeyMaterial material);

    /** Changed files could not be loaded; the old material stays in use. */
    void reloadFailed(SettingsException problem);

    /** Events written to {@link System.Logger} (INFO and ERROR) under this class's name. */
    static Events systemLogger() {
      System.Logger log = System.getLogger(TlsContext.class.getName());
      return new Events() {
        @Override
        public void reloaded(KeyMaterial m) {
          log.log(
              System.Logger.Level.INFO,
              "TLS key material reloaded from {0}: {1}, valid until {2}",
              m.certificateSource(),
              m.certificate().getSubjectX500Principal(),
              m.certificate().getNotAfter().toInstant());
        }

        @Override
        public void reloadFailed(SettingsException problem) {
          log.log(
              System.Logger.Level.ERROR,
              "TLS key material changed but cannot be used; the previous material stays in use: "
                  + String.join("; ", problem.violations()));
        }
      };
    }
  }

  private record State(KeyMaterial material, SSLContext context, byte[] digest) {}

  private final TlsSettings settings;
  private final int expectedNodeId;
  private final Clock clock;
  private final Events events;
  private final ReentrantLock checking = new ReentrantLock();
  private volatile State state;
  private volatile Instant nextCheck;
  private volatile Optional<SettingsException> lastFailure = Optional.empty();
  private byte[] failedDigest; // guarded by checking

  private TlsContext(
      TlsSettings settings, int expectedNodeId, Clock clock, Events events, State initial) {
    this.settings = settings;
    this.expectedNodeId = expectedNodeId;
    this.clock = clock;
    this.events = events;
    this.state = initial;
    this.nextCheck = clock.instant().plus(settings.reloadInterval());
  }

  /**
   * Loads and checks the key material of node {@code expectedNodeId}; reload events go to {@link
   * System.Logger}.
   *
   * @throws SettingsException with one {@code key = file: why} line per problem
   */
  public static TlsContext load(TlsSettings s, int expectedNodeId, Clock clock) {
    return load(s, expectedNodeId, clock, Events.systemLogger());
  }

  /**
   * Loads and checks the key material of node {@code expectedNodeId}.
   *
   * @throws SettingsException with one {@code key = file: why} line per problem
   */
  public static TlsContext load(TlsSettings s, int expectedNodeId, Clock clock, Events events) {
    byte[] digest = digest(s);
    KeyMaterial material = KeyMaterial.load(s, expectedNodeId, clock.instant());
    TlsContext tls =
        new TlsContext(
            s, expectedNodeId, clock, events, new State(material, material.sslContext(), digest));
    try {
      // Unknown protocol or cipher suite names surface here, not on the first connection.
      tls.serverEngine(true);
      tls.clientEngine("localhost", 0);
    } catch (IllegalArgumentException e) {
      throw new SettingsException(
          List.of(
              TlsSettings.PREFIX
                  + (s.cipherSuites().isEmpty()
                      ? "protocols = " + s.protocols()
                      : "cipher-suites = " + s.cipherSuites())
                  + ": not supported by this JDK ("
                  + e.getMessage()
                  + ")"));
    }
    return tls;
  }

  /** The context new connections should use; checks the files first when the interval passed. */
  public SSLContext current() {
    if (!clock.instant().isBefore(nextCheck)) {
      check(false);
    }
    return state.context();
  }

  /**
   * A server-mode engine with the configured protocols and cipher suites.
   *
   * @param needClientAuth demand a client certificate (mutual TLS)
   */
  public SSLEngine serverEngine(boolean needClientAuth) {
    SSLEngine engine = current().createSSLEngine();
    engine.setUseClientMode(false);
    SSLParameters params = parameters(engine);
    params.setNeedClientAuth(needClientAuth);
    engine.setSSLParameters(params);
    return engine;
  }

  /**
   * A client-mode engine for a connection to {@code host:port} with the configured protocols and
   * cipher suites; it presents this node's certificate when the server asks. With {@code
   * verify-hostname} the server's DNS/IP SANs must match {@code host}.
   */
  public SSLEngine clientEngine(String host, int port) {
    SSLEngine engine = current().createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters params = parameters(engine);
    if (settings.verifyHostname()) {
      params.setEndpointIdentificationAlgorithm("HTTPS");
    }
    engine.setSSLParameters(params);
    return engine;
  }

  /** This node's certificate as currently in use. */
  public X509Certificate certificate() {
    return state.material().certificate();
  }

  /** The material currently in use. */
  public KeyMaterial material() {
    return state.material();
  }

  /** The node the material belongs to. */
  public int nodeId() {
    return expectedNodeId;
  }

  public TlsSettings settings() {
    return settings;
  }

  /** The problem of the last failed reload, until a reload succeeds. */
  public Optional<SettingsException> lastFailure() {
    return lastFailure;
  }

  /**
   * Checks the files now, waiting for a check another thread runs.
   *
   * @return true when new material replaced the old one
   */
  public boolean reload() {
    return check(true);
  }

  /** Nothing to release: the context holds no threads or open files. */
  @Override
  public void close() {}

  private boolean check(boolean wait) {
    if (wait) {
      checking.lock();
    } else if (!checking.tryLock()) {
      return false;
    }
    try {
      Instant now = clock.instant();
      nextCheck = now.plus(settings.reloadInterval());
      byte[] digest = digest(settings);
      if (Arrays.equals(digest, state.digest())) {
        return false;
      }
      try {
        KeyMaterial material = KeyMaterial.load(settings, expectedNodeId, now);
        state = new State(material, material.sslContext(), digest);
        failedDigest = null;
        lastFailure = Optional.empty();
        events.reloaded(material);
        return true;
      } catch (SettingsException e) {
        lastFailure = Optional.of(e);
        if (!Arrays.equals(digest, failedDigest)) {
          failedDigest = digest;
          events.reloadFailed(e);
        }
        return false;
      }
    } finally {
      checking.unlock();
    }
  }

  private SSLParameters parameters(SSLEngine engine) {
    SSLParameters params = engine.getSSLParameters();
    params.setProtocols(settings.protocols().toArray(new String[0]));
    if (!settings.cipherSuites().isEmpty()) {
      params.setCipherSuites(settings.cipherSuites().toArray(new String[0]));
    }
    return params;
  }

  /** A digest over the contents of every file the settings name; a missing file counts too. */
  private static byte[] digest(TlsSettings s) {
    List<Optional<Path>> files = new ArrayList<>();
    files.add(s.keyFile());
    files.add(s.certFile());
    files.add(s.keyStore());
    files.add(s.caFile());
    files.add(s.trustStore());
    for (Secret secret : List.of(s.keyStorePassword(), s.trustStorePassword())) {
      files.add(secret.file());
    }
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Optional<Path> file : files) {
        if (file.isEmpty()) {
          md.update((byte) 0);
          continue;
        }
        try {
          byte[] content = Files.readAllBytes(file.get());
          md.update((byte) 1);
          md.update(
              Long.toString(content.length).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          md.update(content);
        } catch (NoSuchFileException e) {
          md.update((byte) 2);
        } catch (IOException e) {
          md.update((byte) 3);
        }
      }
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
