package dev.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * TLS of a node's listeners ({@code sluice.security.tls}). The key material is PEM ({@code
 * key-file} and {@code cert-file}) or PKCS12 ({@code key-store}), exactly one of them; the trust
 * anchors are a PEM bundle ({@code ca-file}) or a PKCS12 trust store ({@code trust-store}). The
 * node's certificate must name the node with a SAN URI {@code sluice:node:<id>}. The validator
 * checks the combinations; the files themselves are read by the security module when the node
 * starts, so that this record stays free of I/O.
 *
 * @param enabled TLS on for the {@code listeners}
 * @param listeners which listeners use TLS when {@code enabled}
 * @param keyFile unencrypted PKCS#8 PEM private key
 * @param certFile PEM certificate chain, the node's certificate first
 * @param keyStore PKCS12 key store with exactly one private-key entry
 * @param keyStorePassword the key store's password (and its key's)
 * @param caFile PEM bundle of trust anchors
 * @param trustStore PKCS12 trust store
 * @param trustStorePassword the trust store's password
 * @param protocols enabled TLS versions, each {@code TLSv1.2} or {@code TLSv1.3}
 * @param cipherSuites enabled cipher suites; empty for the JDK's defaults
 * @param verifyHostname clients also check the server's host name against its DNS/IP SANs
 * @param reloadInterval how often the files are checked for changes
 */
public record TlsSettings(
    boolean enabled,
    Set<Listener> listeners,
    Optional<Path> keyFile,
    Optional<Path> certFile,
    Optional<Path> keyStore,
    Secret keyStorePassword,
    Optional<Path> caFile,
    Optional<Path> trustStore,
    Secret trustStorePassword,
    List<String> protocols,
    List<String> cipherSuites,
    boolean verifyHostname,
    Duration reloadInterval) {

  public static final String PREFIX = "sluice.security.tls.";

  /** The TLS versions a node accepts in {@code protocols}. */
  public static final List<String> ALLOWED_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

  /** The listeners of a node that may use TLS. */
  public enum Listener implements ConfigEnum {
    CLUSTER,
    REPLICATION,
    API,
    MANAGEMENT
  }

  public TlsSettings {
    listeners = listeners.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(listeners)); // no nulls
    protocols = List.copyOf(protocols);
    cipherSuites = List.copyOf(cipherSuites);
  }

  /** TLS off (the reference default). */
  public static TlsSettings disabled() {
    return new TlsSettings(
        false,
        EnumSet.allOf(Listener.class),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Secret.none(PREFIX + "key-store-password"),
        Optional.empty(),
        Optional.empty(),
        Secret.none(PREFIX + "trust-store-password"),
        List.of("TLSv1.3"),
        List.of(),
        false,
        Duration.ofMinutes(5));
  }

  /** TLS on for every listener with a PKCS12 key store and a PEM CA bundle. */
  public static TlsSettings pkcs12(Path keyStore, Secret password, Path caFile) {
    return disabled().withEnabled(true).withKeyStore(keyStore, password).withCaFile(caFile);
  }

  /** TLS on for every listener with a PEM key and chain and a PEM CA bundle. */
  public static TlsSettings pem(Path keyFile, Path certFile, Path caFile) {
    return disabled().withEnabled(true).withPem(keyFile, certFile).withCaFile(caFile);
  }

  /** True when {@code listener} uses TLS. */
  public boolean on(Listener listener) {
    return enabled && listeners.contains(listener);
  }

  /** True when the key material is PKCS12, false when PEM. */
  public boolean usesKeyStore() {
    return keyStore.isPresent();
  }

  public TlsSettings withEnabled(boolean on) {
    return new TlsSettings(
        on,
        listeners,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        caFile,
        trustStore,
        trustStorePassword,
        protocols,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  public TlsSettings withListeners(Set<Listener> only) {
    return new TlsSettings(
        enabled,
        only,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        caFile,
        trustStore,
        trustStorePassword,
        protocols,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  /** PEM key material instead of any key store. */
  public TlsSettings withPem(Path key, Path cert) {
    return new TlsSettings(
        enabled,
        listeners,
        Optional.of(key),
        Optional.of(cert),
        Optional.empty(),
        Secret.none(PREFIX + "key-store-password"),
        caFile,
        trustStore,
        trustStorePassword,
        protocols,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  /** PKCS12 key material instead of any PEM files. */
  public TlsSettings withKeyStore(Path store, Secret password) {
    return new TlsSettings(
        enabled,
        listeners,
        Optional.empty(),
        Optional.empty(),
        Optional.of(store),
        password,
        caFile,
        trustStore,
        trustStorePassword,
        protocols,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  /** A PEM trust bundle instead of any trust store. */
  public TlsSettings withCaFile(Path ca) {
    return new TlsSettings(
        enabled,
        listeners,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        Optional.of(ca),
        Optional.empty(),
        Secret.none(PREFIX + "trust-store-password"),
        protocols,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  /** A PKCS12 trust store instead of any PEM bundle. */
  public TlsSettings withTrustStore(Path store, Secret password) {
    return new TlsSettings(
        enabled,
        listeners,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        Optional.empty(),
        Optional.of(store),
        password,
        protocols,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  public TlsSettings withProtocols(List<String> versions) {
    return new TlsSettings(
        enabled,
        listeners,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        caFile,
        trustStore,
        trustStorePassword,
        versions,
        cipherSuites,
        verifyHostname,
        reloadInterval);
  }

  public TlsSettings withVerifyHostname(boolean verify) {
    return new TlsSettings(
        enabled,
        listeners,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        caFile,
        trustStore,
        trustStorePassword,
        protocols,
        cipherSuites,
        verify,
        reloadInterval);
  }

  public TlsSettings withReloadInterval(Duration interval) {
    return new TlsSettings(
        enabled,
        listeners,
        keyFile,
        certFile,
        keyStore,
        keyStorePassword,
        caFile,
        trustStore,
        trustStorePassword,
        protocols,
        cipherSuites,
        verifyHostname,
        interval);
  }
}
