package dev.sluice.security;

import dev.sluice.config.Secret;
import dev.sluice.config.SettingsException;
import dev.sluice.config.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A node's verified key material: its private key, its certificate chain and the trust anchors,
 * loaded from the files {@link TlsSettings} names (PEM or PKCS12) and checked before any listener
 * uses them:
 *
 * <ul>
 *   <li>the private key belongs to the certificate;
 *   <li>the certificate names exactly one node, {@code sluice:node:<id>}, and that id is this
 *       node's;
 *   <li>the certificate is valid now;
 *   <li>the chain leads to one of the trust anchors (PKIX, without revocation checks).
 * </ul>
 *
 * Every failure is a {@link SettingsException} whose lines read {@code key = file: why}, naming the
 * setting an operator has to fix. Immutable; thread-safe.
 */
public final class KeyMaterial {
  /** A certificate that expires within this time deserves a warning at start-up. */
  public static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  private static final String P = TlsSettings.PREFIX;
  private static final String KEY_ALIAS = "node";

  private final PrivateKey privateKey;
  private final List<X509Certificate> chain;
  private final List<X509Certificate> trustAnchors;
  private final int nodeId;
  private final Path certificateSource;

  private KeyMaterial(
      PrivateKey privateKey,
      List<X509Certificate> chain,
      List<X509Certificate> trustAnchors,
      int nodeId,
      Path certificateSource) {
    this.privateKey = privateKey;
    this.chain = List.copyOf(chain);
    this.trustAnchors = List.copyOf(trustAnchors);
    this.nodeId = nodeId;
    this.certificateSource = certificateSource;
  }

  /**
   * Loads and checks the key material of node {@code expectedNodeId} at time {@code now}.
   *
   * @throws SettingsException with one {@code key = file: why} line per problem
   */
  public static KeyMaterial load(TlsSettings s, int expectedNodeId, Instant now) {
    List<String> problems = new ArrayList<>();
    Loaded keys = null;
    String certKey;
    Path certPath;
    try {
      if (s.keyStore().isPresent()) {
        certKey = P + "key-store";
        certPath = s.keyStore().get();
        keys = fromKeyStore(certPath, s.keyStorePassword(), problems);
      } else if (s.keyFile().isPresent() && s.certFile().isPresent()) {
        certKey = P + "cert-file";
        certPath = s.certFile().get();
        keys = fromPem(s.keyFile().get(), certPath, problems);
      } else {
        throw new SettingsException(
            List.of(
                P
                    + "key-store = \"\": no key material; give key-file and cert-file (PEM) or"
                    + " key-store (PKCS12)"));
      }
    } catch (SettingsException e) {
      problems.addAll(e.violations());
      throw new SettingsException(problems);
    }
    List<X509Certificate> anchors = trustAnchors(s, problems);
    if (keys == null || !problems.isEmpty()) {
      throw new SettingsException(problems);
    }
    X509Certificate leaf = keys.chain().get(0);
    String at = certKey + " = " + certPath + ": ";
    OptionalInt id = NodeIdentity.of(leaf);
    if (id.isEmpty()) {
      problems.add(
          at
              + "certificate "
              + NodeIdentity.problem(leaf).orElse("names no node")
              + "; it must carry the SAN URI "
              + NodeIdentity.uri(Math.max(0, expectedNodeId)));
    } else if (id.getAsInt() != expectedNodeId) {
      problems.add(
          at
              + "certificate names node "
              + id.getAsInt()
              + " ("
              + NodeIdentity.uri(id.getAsInt())
              + "), but sluice.node.id = "
              + expectedNodeId);
    }
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      problems.add(
          at + "certificate expired on " + leaf.getNotAfter().toInstant() + " (now " + now + ")");
    } else if (now.isBefore(leaf.getNotBefore().toInstant())) {
      problems.add(
          at
              + "certificate is not valid before "
              + leaf.getNotBefore().toInstant()
              + " (now "
              + now
              + ")");
    } else {
      chainProblem(keys.chain(), anchors, now)
          .ifPresent(
              why ->
                  problems.add(
                      at
                          + "certificate (issuer "
                          + leaf.getIssuerX500Principal()
                          + ") does not chain to a trust anchor of "
                          + trustSource(s)
                          + ": "
                          + why));
    }
    if (!problems.isEmpty()) {
      throw new SettingsException(problems);
    }
    return new KeyMaterial(keys.key(), keys.chain(), anchors, expectedNodeId, certPath);
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The node's certificate first, then intermediates as given. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The node's certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  public List<X509Certificate> trustAnchors() {
    return trustAnchors;
  }

  /** The node the certificate names (the expected node id, checked). */
  public int nodeId() {
    return nodeId;
  }

  /** The file the certificate came from. */
  public Path certificateSource() {
    return certificateSource;
  }

  /**
   * A warning line when the certificate expires within {@link #EXPIRY_WARNING} of {@code now}; the
   * node logs it at start-up and on every reload.
   */
  public Optional<String> expiryWarning(Instant now) {
    Instant notAfter = certificate().getNotAfter().toInstant();
    if (Duration.between(now, notAfter).compareTo(EXPIRY_WARNING) < 0) {
      return Optional.of(
          "the certificate of node "
              + nodeId
              + " in "
              + certificateSource
              + " expires on "
              + notAfter
              + " (less than "
              + EXPIRY_WARNING.toDays()
              + " days from now); issue a new one, the node picks it up without restart");
    }
    return Optional.empty();
  }

  /** The trust anchors as a PKCS12 key store in memory (for APIs that take a trust store). */
  public KeyStore trustStore() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      int i = 0;
      for (X509Certificate anchor : trustAnchors) {
        ks.setCertificateEntry("anchor-" + i++, anchor);
      }
      return ks;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build an in-memory trust store", e);
    }
  }

  /**
   * A new TLS context whose key manager presents this node's chain and whose trust manager accepts
   * peers chained to the trust anchors. Which node a peer is, is checked by the caller with {@link
   * NodeIdentity}.
   */
  public SSLContext sslContext() {
    try {
      char[] password = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(KEY_ALIAS, privateKey, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(keys, password);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trustStore());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a TLS context from verified key material", e);
    }
  }

  private record Loaded(PrivateKey key, List<X509Certificate> chain) {}

  private static Loaded fromPem(Path keyFile, Path certFile, List<String> problems) {
    PrivateKey key = null;
    List<X509Certificate> chain = null;
    try {
      key = Pem.privateKey(keyFile);
    } catch (KeyMaterialException e) {
      problems.add(P + "key-file = " + keyFile + ": " + e.reason());
    }
    try {
      chain = Pem.certificates(certFile);
    } catch (KeyMaterialException e) {
      problems.add(P + "cert-file = " + certFile + ": " + e.reason());
    }
    if (key == null || chain == null) {
      return null;
    }
    if (!belongs(key, chain.get(0))) {
      problems.add(
          P
              + "key-file = "
              + keyFile
              + ": the private key does not belong to the first certificate of "
              + P
              + "cert-file = "
              + certFile
              + " ("
              + chain.get(0).getSubjectX500Principal()
              + ")");
      return null;
    }
    return new Loaded(key, chain);
  }

  private static Loaded fromKeyStore(Path file, Secret password, List<String> problems) {
    String at = P + "key-store = " + file + ": ";
    char[] pw = password.reveal();
    KeyStore ks = openPkcs12(file, pw, password, at, problems);
    if (ks == null) {
      return null;
    }
    try {
      List<String> keyAliases = new ArrayList<>();
      for (String alias : Collections.list(ks.aliases())) {
        if (ks.isKeyEntry(alias)) {
          keyAliases.add(alias);
        }
      }
      if (keyAliases.size() != 1) {
        problems.add(
            at
                + (keyAliases.isEmpty()
                    ? "holds no private-key entry"
                    : "holds "
                        + keyAliases.size()
                        + " private-key entries ("
                        + String.join(", ", keyAliases)
                        + "); expected exactly one"));
        return null;
      }
      String alias = keyAliases.get(0);
      Key key = ks.getKey(alias, pw);
      Certificate[] certs = ks.getCertificateChain(alias);
      if (!(key instanceof PrivateKey privateKey) || certs == null || certs.length == 0) {
        problems.add(at + "entry '" + alias + "' holds no private key with a certificate chain");
        return null;
      }
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : certs) {
        chain.add((X509Certificate) c);
      }
      return new Loaded(privateKey, chain);
    } catch (UnrecoverableKeyException e) {
      problems.add(at + "the key's password differs from the store's (" + password.source() + ")");
      return null;
    } catch (GeneralSecurityException e) {
      problems.add(at + "cannot read the key entry (" + e.getMessage() + ")");
      return null;
    }
  }

  private static List<X509Certificate> trustAnchors(TlsSettings s, List<String> problems) {
    if (s.caFile().isPresent()) {
      try {
        return Pem.certificates(s.caFile().get());
      } catch (KeyMaterialException e) {
        problems.add(P + "ca-file = " + s.caFile().get() + ": " + e.reason());
        return List.of();
      }
    }
    if (s.trustStore().isPresent()) {
      Path file = s.trustStore().get();
      String at = P + "trust-store = " + file + ": ";
      KeyStore ks =
          openPkcs12(file, s.trustStorePassword().reveal(), s.trustStorePassword(), at, problems);
      if (ks == null) {
        return List.of();
      }
      try {
        List<X509Certificate> anchors = new ArrayList<>();
        for (String alias : Collections.list(ks.aliases())) {
          if (ks.isCertificateEntry(alias)) {
            anchors.add((X509Certificate) ks.getCertificate(alias));
          }
        }
        if (anchors.isEmpty()) {
          problems.add(at + "holds no trusted certificate entry");
        }
        return anchors;
      } catch (GeneralSecurityException e) {
        problems.add(at + "cannot read its entries (" + e.getMessage() + ")");
        return List.of();
      }
    }
    problems.add(
        P + "ca-file = \"\": no trust anchors; give ca-file (PEM) or trust-store (PKCS12)");
    return List.of();
  }

  private static KeyStore openPkcs12(
      Path file, char[] pw, Secret password, String at, List<String> problems) {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, pw);
      return ks;
    } catch (NoSuchFileException e) {
      problems.add(at + "no such file");
    } catch (AccessDeniedException e) {
      problems.add(at + "permission denied");
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        problems.add(
            at
                + "wrong password ("
                + (password.isEmpty() ? password.key() + " is not set" : password.source())
                + ")");
      } else {
        problems.add(at + "not a readable PKCS12 key store (" + e.getMessage() + ")");
      }
    } catch (GeneralSecurityException e) {
      problems.add(at + "not a readable PKCS12 key store (" + e.getMessage() + ")");
    }
    return null;
  }

  private static String trustSource(TlsSettings s) {
    return s.caFile()
        .map(f -> P + "ca-file = " + f)
        .orElseGet(() -> P + "trust-store = " + s.trustStore().map(Path::toString).orElse(""));
  }

  /** Why {@code chain} does not validate against {@code anchors} at {@code now}, if it does not. */
  static Optional<String> chainProblem(
      List<X509Certificate> chain, List<X509Certificate> anchors, Instant now) {
    if (anchors.isEmpty()) {
      return Optional.of("there are no trust anchors");
    }
    Set<TrustAnchor> trust = new HashSet<>();
    for (X509Certificate a : anchors) {
      trust.add(new TrustAnchor(a, null));
    }
    // A chain may end with the anchor itself (keytool writes it so); the path stops before it.
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && anchors.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      PKIXParameters params = new PKIXParameters(trust);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return Optional.empty();
    } catch (CertPathValidatorException e) {
      return Optional.of(e.getMessage());
    } catch (GeneralSecurityException e) {
      return Optional.of("cannot validate the chain (" + e.getMessage() + ")");
    }
  }

  /** True when {@code key} signs what {@code cert}'s public key verifies. */
  private static boolean belongs(PrivateKey key, X509Certificate cert) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
          default -> null;
        };
    if (algorithm == null) {
      return key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm());
    }
    try {
      byte[] probe = "sluice key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
