package dev.sluice.security.testing;

import dev.sluice.config.Secret;
import dev.sluice.config.TlsSettings;
import dev.sluice.security.ClusterCa;
import dev.sluice.security.KeyMaterial;
import dev.sluice.security.Keytool;
import dev.sluice.security.Pem;
import dev.sluice.security.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates for tests, made once per build with {@link ClusterCa} and reused: generating them
 * starts about thirty keytool JVMs, far too slow for every test.
 *
 * <pre>
 * ca/ca.pem, ca/node-N.p12     the test cluster's CA and nodes 1..{@value #NODES} (SANs: sluice:node:N,
 *                              localhost, 127.0.0.1)
 * ca/no-node-uri.p12           a certificate of the same CA with no sluice:node URI
 * ca/node-1-renewed.p12        a second certificate of node 1 (a rotation)
 * pem/node-N.key.pem, .chain.pem  the same nodes as PEM (PKCS#8 key; chain node, CA)
 * foreign/ca.pem, node-N.p12   another CA and its nodes 1..{@value #FOREIGN_NODES}: members of
 *                              another cluster, which ours must refuse
 * ca/store.password            the one password of every .p12 here
 * </pre>
 *
 * The directory is {@code target/test-pki-v}{@value #VERSION} of the reactor root (the top
 * directory whose {@code pom.xml} is {@code sluice-parent}), so every module of a build shares it;
 * {@code -Dsluice.test-pki.dir=DIR} moves it. It is built in a temporary sibling and renamed into
 * place, so JVMs that race see either nothing or a whole directory; it is rebuilt when its CA
 * expires within a year. Bump {@link #VERSION} when the layout changes.
 *
 * <p>Thread-safe; {@link #shared()} builds at most once per JVM.
 */
public final class TestPki {
  public static final int VERSION = 2;
  public static final int NODES = 5;
  public static final int FOREIGN_NODES = 3;

  private static final Duration NODE_VALIDITY = Duration.ofDays(3000);
  private static final List<String> HOSTS = List.of("localhost", "127.0.0.1");

  private final Path dir;

  private TestPki(Path dir) {
    this.dir = dir;
  }

  private static final class Holder {
    static final TestPki SHARED = create(location());
  }

  /** The build's test certificates, made on first use. */
  public static TestPki shared() {
    return Holder.SHARED;
  }

  public Path dir() {
    return dir;
  }

  /** The test cluster's trust anchor. */
  public Path caPem() {
    return dir.resolve("ca/ca.pem");
  }

  /** Another cluster's trust anchor. */
  public Path foreignCaPem() {
    return dir.resolve("foreign/ca.pem");
  }

  /** Node {@code id}'s PKCS12 key store (1..{@value #NODES}). */
  public Path nodeP12(int id) {
    return existing(dir.resolve("ca/node-" + checkId(id, NODES) + ".p12"));
  }

  /** Node {@code id}'s PKCS#8 PEM key. */
  public Path nodeKeyPem(int id) {
    return existing(dir.resolve("pem/node-" + checkId(id, NODES) + ".key.pem"));
  }

  /** Node {@code id}'s PEM chain (node, CA). */
  public Path nodeCertPem(int id) {
    return existing(dir.resolve("pem/node-" + checkId(id, NODES) + ".chain.pem"));
  }

  /** Node {@code id} of the foreign CA (1..{@value #FOREIGN_NODES}). */
  public Path foreignNodeP12(int id) {
    return existing(dir.resolve("foreign/node-" + checkId(id, FOREIGN_NODES) + ".p12"));
  }

  /** A key store of the test CA whose certificate names no node. */
  public Path noNodeUriP12() {
    return existing(dir.resolve("ca/no-node-uri.p12"));
  }

  /** A second, different certificate of node 1, as after a rotation. */
  public Path renewedNodeP12() {
    return existing(dir.resolve("ca/node-1-renewed.p12"));
  }

  /**
   * A self-signed certificate with subject {@code dname} and the keytool SAN extension {@code san}
   * (e.g. {@code uri:sluice:node:1,dns:localhost}; empty for none), made once and cached beside the
   * other files, for tests of what a certificate names.
   */
  public X509Certificate selfSigned(String dname, String san) {
    String name =
        Integer.toHexString((dname + "|" + san).hashCode()) + "-" + (dname + san).length();
    Path file = dir.resolve("self-signed/" + name + ".pem");
    try {
      if (!Files.exists(file)) {
        SecureFiles.createPrivateDirectory(file.getParent());
        Path work = Files.createTempDirectory(file.getParent(), ".work-");
        try {
          Path store = work.resolve("store.p12");
          char[] pw = password();
          Keytool keytool = Keytool.ofRunningJdk();
          keytool.genKeyPair(
              store,
              pw,
              "self",
              dname,
              30,
              san.isEmpty() ? List.of() : List.of("san=" + san),
              Optional.empty());
          byte[] pem =
              keytool.run(
                  pw,
                  null,
                  List.of("-exportcert", "-rfc", "-keystore", store.toString(), "-alias", "self"));
          SecureFiles.writePublic(file, pem);
        } finally {
          deleteTree(work);
        }
      }
      return Pem.certificates(file).get(0);
    } catch (IOException | dev.sluice.security.KeyMaterialException e) {
      throw new IllegalStateException(file + ": cannot make a self-signed certificate", e);
    }
  }

  /** The password of every key store here. */
  public Path passwordFile() {
    return dir.resolve("ca/store.password");
  }

  public char[] password() {
    try {
      return SecureFiles.readOrCreateSecret(passwordFile()).toCharArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** TLS on for every listener of node {@code id}: its PKCS12 store and the test CA. */
  public TlsSettings tlsSettings(int id) {
    return TlsSettings.pkcs12(
        nodeP12(id),
        Secret.fromFile(TlsSettings.PREFIX + "key-store-password", passwordFile()),
        caPem());
  }

  /** TLS on for every listener of node {@code id}: its PEM key and chain and the test CA. */
  public TlsSettings pemTlsSettings(int id) {
    return TlsSettings.pem(nodeKeyPem(id), nodeCertPem(id), caPem());
  }

  /** Node {@code id}'s context: presents its certificate, trusts the test CA. */
  public SSLContext clientContext(int id) {
    return KeyMaterial.load(tlsSettings(id), id, Instant.now()).sslContext();
  }

  /**
   * Foreign node {@code id}'s context: presents a certificate of the foreign CA, and trusts both
   * CAs, so that it gets as far as showing its certificate to a server of the test cluster.
   */
  public SSLContext foreignContext(int id) {
    return context(foreignNodeP12(id), List.of(caPem(), foreignCaPem()));
  }

  /** A context of the test CA whose certificate names no node; it trusts the test CA. */
  public SSLContext noNodeUriContext() {
    return context(noNodeUriP12(), List.of(caPem()));
  }

  /** A context without a key that trusts the test CA (an HTTPS client). */
  public SSLContext trustOnlyContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trustManagers(List.of(caPem())).getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private SSLContext context(Path p12, List<Path> trusted) {
    try (InputStream in = Files.newInputStream(p12)) {
      char[] pw = password();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, pw);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(ks, pw);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), trustManagers(trusted).getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(p12 + ": cannot build a TLS context", e);
    }
  }

  private static TrustManagerFactory trustManagers(List<Path> pems)
      throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (Path pem : pems) {
      try {
        for (X509Certificate c : Pem.certificates(pem)) {
          trust.setCertificateEntry("anchor-" + i++, c);
        }
      } catch (dev.sluice.security.KeyMaterialException e) {
        throw new IOException(e.getMessage(), e);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    return tmf;
  }

  private static int checkId(int id, int max) {
    if (id < 1 || id > max) {
      throw new IllegalArgumentException("test node id " + id + " is outside 1.." + max);
    }
    return id;
  }

  private static Path existing(Path p) {
    if (!Files.exists(p)) {
      throw new IllegalStateException(p + " is missing from the test PKI; delete its directory");
    }
    return p;
  }

  static Path location() {
    String override = System.getProperty("sluice.test-pki.dir");
    if (override != null && !override.isBlank()) {
      return Path.of(override).toAbsolutePath();
    }
    Path start = Path.of("").toAbsolutePath();
    Path root = start;
    for (Path p = start; p != null; p = p.getParent()) {
      Path pom = p.resolve("pom.xml");
      try {
        if (Files.isRegularFile(pom)
            && Files.readString(pom).contains("<artifactId>sluice-parent</artifactId>")
            && !Files.readString(pom).contains("<parent>")) {
          root = p;
          break;
        }
      } catch (IOException e) {
        break;
      }
    }
    return root.resolve("target/test-pki-v" + VERSION);
  }

  static TestPki create(Path target) {
    TestPki existing = new TestPki(target);
    if (existing.usable()) {
      return existing;
    }
    try {
      Files.createDirectories(target.getParent());
      if (Files.exists(target)) {
        deleteTree(target); // expired or incomplete
      }
      Path work = Files.createTempDirectory(target.getParent(), target.getFileName() + ".tmp-");
      try {
        generate(work);
        try {
          Files.move(work, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
          if (!existing.usable()) {
            throw raced;
          }
        }
      } finally {
        deleteTree(work);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(target + ": cannot create the test PKI: " + e, e);
    }
    if (!existing.usable()) {
      throw new IllegalStateException(target + ": the test PKI is incomplete after creation");
    }
    return existing;
  }

  private boolean usable() {
    Path complete = dir.resolve("complete");
    if (!Files.exists(complete)) {
      return false;
    }
    try {
      X509Certificate ca = Pem.certificates(caPem()).get(0);
      return ca.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(365)));
    } catch (dev.sluice.security.KeyMaterialException e) {
      return false;
    }
  }

  private static void generate(Path work) throws IOException {
    ClusterCa ca = ClusterCa.openOrCreate(work.resolve("ca"), NODE_VALIDITY);
    Path foreignDir = SecureFiles.createPrivateDirectory(work.resolve("foreign"));
    // one password for both CAs, so one password file opens every store
    Files.copy(ca.storePasswordFile(), foreignDir.resolve("store.password"));
    ClusterCa foreign = ClusterCa.openOrCreate(foreignDir, NODE_VALIDITY);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int id = 1; id <= NODES; id++) {
        int node = id;
        jobs.add(pool.submit(() -> ca.nodeKeyStore(node, HOSTS)));
      }
      for (int id = 1; id <= FOREIGN_NODES; id++) {
        int node = id;
        jobs.add(pool.submit(() -> foreign.nodeKeyStore(node, HOSTS)));
      }
      jobs.add(
          pool.submit(
              () -> {
                ca.issueKeyStore(
                    work.resolve("ca/node-1-renewed.p12"),
                    "CN=node-1,O=sluice",
                    List.of("uri:sluice:node:1", "dns:localhost", "ip:127.0.0.1"),
                    NODE_VALIDITY,
                    Optional.empty());
                return null;
              }));
      jobs.add(
          pool.submit(
              () -> {
                ca.issueKeyStore(
                    work.resolve("ca/no-node-uri.p12"),
                    "CN=node-1,O=sluice",
                    List.of("dns:localhost", "ip:127.0.0.1"),
                    NODE_VALIDITY,
                    Optional.empty());
                return null;
              }));
      for (Future<?> job : jobs) {
        job.get();
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("generating the test PKI failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while generating the test PKI", e);
    } finally {
      pool.shutdownNow();
    }
    Path pem = SecureFiles.createPrivateDirectory(work.resolve("pem"));
    char[] password = SecureFiles.readOrCreateSecret(ca.storePasswordFile()).toCharArray();
    for (int id = 1; id <= NODES; id++) {
      try (InputStream in = Files.newInputStream(ca.nodeKeyStorePath(id))) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(in, password);
        PrivateKey key = (PrivateKey) ks.getKey(ClusterCa.NODE_ALIAS, password);
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : ks.getCertificateChain(ClusterCa.NODE_ALIAS)) {
          chain.add((X509Certificate) c);
        }
        SecureFiles.writePrivate(
            pem.resolve("node-" + id + ".key.pem"),
            Pem.encode(key).getBytes(StandardCharsets.US_ASCII));
        SecureFiles.writePublic(
            pem.resolve("node-" + id + ".chain.pem"),
            Pem.encode(chain).getBytes(StandardCharsets.US_ASCII));
      } catch (GeneralSecurityException e) {
        throw new IOException("node " + id + ": cannot export PEM: " + e.getMessage(), e);
      }
    }
    Files.writeString(work.resolve("complete"), "test PKI v" + VERSION + "\n");
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
