package dev.sluice.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A small certificate authority in a directory, for clusters that do not bring their own PKI
 * (local-cluster, tests). It issues EC P-256 node certificates with keytool:
 *
 * <pre>
 * store.password   random password of every .p12 below (0600)
 * ca.p12, ca.pem   the CA key (kept, so that nodes added later get certificates) and the trust anchor
 * node-N.p12       node N's key and chain (node, CA), plus the CA as a trusted entry (0600)
 * </pre>
 *
 * A node certificate carries the SAN URI {@code sluice:node:N}, the given host names and addresses
 * (DNS and IP SANs), and serverAuth + clientAuth, so the same file serves both ends of every
 * connection. {@link #nodeKeyStore} issues only what is missing or stale: no file, a certificate
 * for other hosts or from another CA, or one that expires within the renewal window ({@link
 * #RENEW_BEFORE}, at most half the validity).
 *
 * <p>The directory is 0700 and every secret file 0600; files are replaced atomically. Thread-safe
 * for different node ids (local-cluster issues nodes in parallel); processes should not issue the
 * same node at once.
 */
public final class ClusterCa {
  /** Node certificates are re-issued when they expire within this time. */
  public static final Duration RENEW_BEFORE = Duration.ofDays(30);

  /** How long the CA is valid. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);

  public static final String CA_ALIAS = "ca";
  public static final String NODE_ALIAS = "node";

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern SAN_VALUE = Pattern.compile("[A-Za-z0-9.:_\\-]+");
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;
  private static final int SAN_IP = 7;

  private final Path dir;
  private final Duration nodeValidity;
  private final Clock clock;
  private final Keytool keytool;
  private final char[] password;
  private final X509Certificate caCertificate;
  private final List<Integer> issued = new CopyOnWriteArrayList<>();

  private ClusterCa(
      Path dir,
      Duration nodeValidity,
      Clock clock,
      Keytool keytool,
      char[] password,
      X509Certificate caCertificate) {
    this.dir = dir;
    this.nodeValidity = nodeValidity;
    this.clock = clock;
    this.keytool = keytool;
    this.password = password;
    this.caCertificate = caCertificate;
  }

  /**
   * Opens the CA in {@code dir}, creating the directory, the password and the CA when missing.
   *
   * @param nodeValidity validity of the node certificates it issues (at least one day)
   * @throws UncheckedIOException naming the file when the directory cannot be used or keytool fails
   */
  public static ClusterCa openOrCreate(Path dir, Duration nodeValidity) {
    return openOrCreate(dir, nodeValidity, Clock.systemUTC(), Keytool.ofRunningJdk());
  }

  /** {@link #openOrCreate(Path, Duration)} with a clock for the renewal decisions and a keytool. */
  public static ClusterCa openOrCreate(
      Path dir, Duration nodeValidity, Clock clock, Keytool keytool) {
    if (nodeValidity.compareTo(Duration.ofDays(1)) < 0) {
      throw new IllegalArgumentException(
          "node certificate validity " + nodeValidity + " is below the minimum of one day");
    }
    try {
      SecureFiles.createPrivateDirectory(dir);
      char[] password = SecureFiles.readOrCreateSecret(dir.resolve("store.password")).toCharArray();
      Path caStore = dir.resolve("ca.p12");
      if (!Files.exists(caStore)) {
        createCa(dir, caStore, password, keytool);
      }
      X509Certificate ca = caCertificate(caStore, password);
      Path caPem = dir.resolve("ca.pem");
      byte[] pem = Pem.encode(List.of(ca)).getBytes(StandardCharsets.US_ASCII);
      if (!Files.exists(caPem) || !java.util.Arrays.equals(Files.readAllBytes(caPem), pem)) {
        SecureFiles.writePublic(caPem, pem);
      }
      return new ClusterCa(dir, nodeValidity, clock, keytool, password, ca);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot open or create the cluster CA: " + e, e);
    }
  }

  /** The directory of the CA. */
  public Path dir() {
    return dir;
  }

  /** The trust anchor (PEM) every node and client of the cluster trusts. */
  public Path caPem() {
    return dir.resolve("ca.pem");
  }

  /** The CA's key store (0600). */
  public Path caKeyStore() {
    return dir.resolve("ca.p12");
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  /** The file holding the password of every key store of this CA (0600). */
  public Path storePasswordFile() {
    return dir.resolve("store.password");
  }

  /** Where node {@code id}'s key store is. */
  public Path nodeKeyStorePath(int id) {
    return dir.resolve("node-" + id + ".p12");
  }

  /** The node ids this instance issued certificates for, in order. */
  public List<Integer> issued() {
    return List.copyOf(issued);
  }

  /**
   * Node {@code id}'s PKCS12 key store, issued now unless a current one exists (see the class
   * comment).
   *
   * @param hostSans host names and IP addresses the node is reached at ({@code localhost}, {@code
   *     127.0.0.1}); {@code dns:} or {@code ip:} may prefix an entry
   * @throws UncheckedIOException naming the file when keytool or the file system fails
   */
  public Path nodeKeyStore(int id, List<String> hostSans) {
    List<String> sans = new ArrayList<>();
    sans.add("uri:" + NodeIdentity.uri(id));
    for (String host : hostSans) {
      sans.add(sanEntry(host));
    }
    Path target = nodeKeyStorePath(id);
    try {
      if (current(target, sans)) {
        return target;
      }
      issueKeyStore(target, "CN=node-" + id + ",O=sluice", sans, nodeValidity, Optional.empty());
      issued.add(id);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(target + ": cannot issue node " + id + ": " + e, e);
    }
  }

  /**
   * Issues a key store with an arbitrary subject and SANs into {@code target} (replacing it): the
   * building block of {@link #nodeKeyStore}, and of test certificates that must break a rule.
   *
   * @param sans keytool SAN entries ({@code uri:…}, {@code dns:…}, {@code ip:…}); may be empty
   * @param startDate keytool {@code -startdate} (e.g. {@code -10d}); empty for now
   */
  public void issueKeyStore(
      Path target, String dname, List<String> sans, Duration validity, Optional<String> startDate)
      throws IOException {
    Path work = Files.createTempDirectory(dir, ".issue-");
    try {
      Path request = work.resolve("request.p12");
      keytool.genKeyPair(
          request, password, NODE_ALIAS, dname, days(validity), List.of(), Optional.empty());
      byte[] csr = keytool.certReq(request, password, NODE_ALIAS);
      List<String> ext = new ArrayList<>();
      if (!sans.isEmpty()) {
        ext.add("san=" + String.join(",", sans));
      }
      ext.add("eku=serverAuth,clientAuth");
      ext.add("ku:c=digitalSignature,keyAgreement");
      byte[] issuedPem =
          keytool.genCert(caKeyStore(), password, CA_ALIAS, csr, days(validity), ext, startDate);
      Path certFile = work.resolve("cert.pem");
      Files.write(certFile, issuedPem);
      X509Certificate leaf = Pem.certificates(certFile).get(0);
      KeyStore generated = load(request, password);
      PrivateKey key = (PrivateKey) generated.getKey(NODE_ALIAS, password);
      // The chain is assembled here rather than with two more keytool runs (-importcert).
      KeyStore out = KeyStore.getInstance("PKCS12");
      out.load(null, null);
      out.setKeyEntry(NODE_ALIAS, key, password, new Certificate[] {leaf, caCertificate});
      out.setCertificateEntry(CA_ALIAS, caCertificate);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      out.store(bytes, password);
      SecureFiles.writePrivate(target, bytes.toByteArray());
    } catch (GeneralSecurityException | KeyMaterialException e) {
      throw new IOException(target + ": cannot assemble the key store: " + e.getMessage(), e);
    } finally {
      deleteTree(work);
    }
  }

  /** True when {@code target} holds a key chained to this CA, for these SANs, not due renewal. */
  private boolean current(Path target, List<String> wantedSans) {
    if (!Files.exists(target)) {
      return false;
    }
    try {
      KeyStore ks = load(target, password);
      Certificate[] chain = ks.getCertificateChain(NODE_ALIAS);
      if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return false;
      }
      leaf.verify(caCertificate.getPublicKey());
      Duration left = Duration.between(clock.instant(), leaf.getNotAfter().toInstant());
      Duration window =
          RENEW_BEFORE.compareTo(nodeValidity.dividedBy(2)) < 0
              ? RENEW_BEFORE
              : nodeValidity.dividedBy(2);
      return left.compareTo(window) > 0 && sans(leaf).equals(normalized(wantedSans));
    } catch (IOException | GeneralSecurityException e) {
      return false; // unreadable, another CA's or broken: issue a new one
    }
  }

  private static Set<String> sans(X509Certificate leaf) throws CertificateParsingException {
    Set<String> out = new HashSet<>();
    Collection<List<?>> names = leaf.getSubjectAlternativeNames();
    if (names == null) {
      return out;
    }
    for (List<?> san : names) {
      int type = (Integer) san.get(0);
      String value = String.valueOf(san.get(1));
      switch (type) {
        case SAN_URI -> out.add("uri:" + value);
        case SAN_DNS -> out.add("dns:" + value.toLowerCase(Locale.ROOT));
        case SAN_IP -> out.add("ip:" + canonicalIp(value));
        default -> out.add(type + ":" + value);
      }
    }
    return out;
  }

  private static Set<String> normalized(List<String> sans) {
    Set<String> out = new HashSet<>();
    for (String s : sans) {
      if (s.startsWith("ip:")) {
        out.add("ip:" + canonicalIp(s.substring(3)));
      } else if (s.startsWith("dns:")) {
        out.add(s.toLowerCase(Locale.ROOT));
      } else {
        out.add(s);
      }
    }
    return out;
  }

  private static String canonicalIp(String ip) {
    try {
      return java.net.InetAddress.getByName(ip).getHostAddress(); // a literal: no look-up
    } catch (java.net.UnknownHostException e) {
      return ip;
    }
  }

  /** {@code dns:NAME} or {@code ip:ADDRESS} for a host name or address literal. */
  static String sanEntry(String host) {
    String h = host.trim();
    if (h.startsWith("dns:") || h.startsWith("ip:")) {
      checkSanValue(host, h.substring(h.indexOf(':') + 1));
      return h;
    }
    checkSanValue(host, h);
    return (IPV4.matcher(h).matches() || h.contains(":") ? "ip:" : "dns:") + h;
  }

  private static void checkSanValue(String given, String value) {
    if (value.isEmpty() || !SAN_VALUE.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "host SAN '" + given + "' is not a host name or IP address");
    }
  }

  private static void createCa(Path dir, Path caStore, char[] password, Keytool keytool)
      throws IOException {
    Path work = Files.createTempDirectory(dir, ".ca-");
    try {
      Path tmp = work.resolve("ca.p12");
      keytool.genKeyPair(
          tmp,
          password,
          CA_ALIAS,
          "CN=Sluice cluster CA " + java.util.UUID.randomUUID().toString().substring(0, 8),
          days(CA_VALIDITY),
          List.of("bc:c=ca:true,pathlen:0", "ku:c=keyCertSign,cRLSign"),
          Optional.empty());
      SecureFiles.makePrivate(tmp);
      try {
        Files.move(tmp, caStore);
      } catch (FileAlreadyExistsException raced) {
        // another process created the CA first: use that one
      }
    } finally {
      deleteTree(work);
    }
  }

  private static X509Certificate caCertificate(Path caStore, char[] password) throws IOException {
    try {
      Certificate cert = load(caStore, password).getCertificate(CA_ALIAS);
      if (!(cert instanceof X509Certificate x509)) {
        throw new IOException(caStore + ": holds no CA certificate under alias " + CA_ALIAS);
      }
      return x509;
    } catch (GeneralSecurityException e) {
      throw new IOException(caStore + ": cannot read the CA (" + e.getMessage() + ")", e);
    }
  }

  private static KeyStore load(Path file, char[] password)
      throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password);
      return ks;
    }
  }

  private static long days(Duration d) {
    return Math.max(1, d.toDays());
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
