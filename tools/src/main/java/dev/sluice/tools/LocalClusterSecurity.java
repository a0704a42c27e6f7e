package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import dev.sluice.client.CaTrust;
import dev.sluice.client.SluiceClient;
import dev.sluice.security.ClusterCa;
import dev.sluice.security.Keytool;
import dev.sluice.security.SecureFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;

/**
 * The key material of a secure local cluster, under {@code DIR/security} (0700):
 *
 * <pre>
 * ca.p12, ca.pem      the cluster CA ({@link ClusterCa}): its key (kept, so that nodes added later
 *                     get certificates) and the trust anchor of nodes and clients (0644)
 * node-K.p12          node K's key and chain; SANs sluice:node:K, localhost and the host (0600)
 * store.password      the password of every .p12 (0600)
 * tokens.conf         the hashed tokens every node accepts ({@link TokenFile}, 0600)
 * admin.token         the admin token in clear text, for the CLI and local-cluster's probes (0600)
 * </pre>
 *
 * {@link #ensure} creates what is missing and keeps what exists: the first run creates the CA, a
 * certificate per node and the admin token (about three keytool JVMs per node, run in parallel);
 * later runs reuse them, issue certificates only for added nodes, for a changed host or for those
 * that expire within {@link ClusterCa#RENEW_BEFORE}, and issue a new admin token only when {@code
 * admin.token} is missing or no longer in the tokens file (revoked). {@code DIR/client.conf}, which
 * names the CA and the admin token, is written with the nodes' configs ({@link
 * LocalClusterLayout#writeConfigs}).
 *
 * <p>Not for two local-cluster processes on one directory at once (the command refuses a running
 * cluster before it gets here). Stateless; the parallel issuing is confined to {@link #ensure}.
 */
final class LocalClusterSecurity {

  /** Validity of the node certificates; they are re-issued 30 days before they expire. */
  static final Duration NODE_VALIDITY = Duration.ofDays(365);

  /** The name of the admin token in the tokens file. */
  static final String ADMIN_TOKEN_NAME = "admin";

  /** What the admin token may do: everything. */
  static final List<Permission> ADMIN_PERMISSIONS =
      List.of(Permission.admin(), Permission.produce("*"), Permission.consume("*"));

  /** Printed before the first run's keytool work, which takes some seconds. */
  static final String FIRST_RUN = "creating the cluster CA and node certificates (first run)";

  private LocalClusterSecurity() {}

  /**
   * What {@link #ensure} did.
   *
   * @param createdCa whether this run created the CA (the first run)
   * @param issued the nodes whose certificates this run issued, in id order
   * @param newAdminToken whether this run wrote a new admin token
   */
  record Outcome(boolean createdCa, List<Integer> issued, boolean newAdminToken) {}

  /**
   * Creates what is missing under {@code DIR/security}, printing a line to {@code out} before work
   * that takes time.
   *
   * @throws CliException naming the file when the material cannot be read or created
   */
  static Outcome ensure(LocalClusterLayout layout, PrintWriter out) {
    return ensure(layout, out, Clock.systemUTC(), Keytool.ofRunningJdk());
  }

  /** {@link #ensure(LocalClusterLayout, PrintWriter)} with a clock and a keytool. */
  static Outcome ensure(LocalClusterLayout layout, PrintWriter out, Clock clock, Keytool keytool) {
    if (layout.security() != LocalClusterLayout.Security.SECURE) {
      throw new IllegalArgumentException("an --insecure cluster has no key material to ensure");
    }
    Path dir = layout.securityDir();
    boolean firstRun = !Files.exists(dir.resolve("ca.p12"));
    List<Integer> missing =
        layout.nodes().stream()
            .filter(n -> !Files.exists(layout.nodeKeyStore(n)))
            .map(LocalClusterNode::id)
            .toList();
    if (firstRun) {
      out.println(FIRST_RUN);
    } else if (!missing.isEmpty()) {
      out.println("issuing certificates for the added node(s) " + missing);
    }
    out.flush();
    ClusterCa ca;
    try {
      ca = ClusterCa.openOrCreate(dir, NODE_VALIDITY, clock, keytool);
    } catch (UncheckedIOException e) {
      throw new CliException(e.getMessage());
    }
    checkPaths(layout, ca);
    issueNodeCertificates(layout, ca);
    List<Integer> issued = ca.issued().stream().sorted().toList();
    List<Integer> renewed = issued.stream().filter(id -> !missing.contains(id)).toList();
    if (!firstRun && !renewed.isEmpty()) {
      out.println(
          "re-issued the certificates of node(s) "
              + renewed
              + " (expiring within "
              + ClusterCa.RENEW_BEFORE.toDays()
              + " days, for other hosts, or unreadable)");
    }
    boolean newAdmin;
    try {
      newAdmin = ensureAdminToken(layout, out, clock, firstRun);
    } catch (IOException e) {
      throw new CliException(
          "cannot create the admin token in " + layout.tokensFile() + ": " + e.getMessage());
    } catch (TokenFile.InvalidTokenFileException e) {
      throw new CliException(e.getMessage());
    }
    out.flush();
    return new Outcome(firstRun, issued, newAdmin);
  }

  /** The host SANs of node certificates: {@code localhost} and the nodes' host. */
  static List<String> hostSans(LocalClusterLayout layout) {
    List<String> sans = new ArrayList<>();
    sans.add("dns:localhost");
    if (!layout.host().equalsIgnoreCase("localhost")) {
      sans.add(layout.host());
    }
    return sans;
  }

  /** node.conf names the layout's paths; they must be the ones the CA writes. */
  private static void checkPaths(LocalClusterLayout layout, ClusterCa ca) {
    for (LocalClusterNode node : layout.nodes()) {
      if (!ca.nodeKeyStorePath(node.id()).equals(layout.nodeKeyStore(node))) {
        throw new IllegalStateException(
            "node "
                + node.id()
                + ": the CA writes "
                + ca.nodeKeyStorePath(node.id())
                + " but node.conf names "
                + layout.nodeKeyStore(node));
      }
    }
    if (!ca.caPem().equals(layout.caPem())
        || !ca.storePasswordFile().equals(layout.storePasswordFile())) {
      throw new IllegalStateException(
          "the CA writes "
              + ca.caPem()
              + " and "
              + ca.storePasswordFile()
              + ", node.conf names "
              + layout.caPem()
              + " and "
              + layout.storePasswordFile());
    }
  }

  /** One keytool sequence per node, a few at once: each is a handful of short JVMs. */
  private static void issueNodeCertificates(LocalClusterLayout layout, ClusterCa ca) {
    List<String> sans = hostSans(layout);
    int threads =
        Math.min(layout.nodes().size(), Math.max(2, Runtime.getRuntime().availableProcessors()));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Path>> issuing = new ArrayList<>();
      for (LocalClusterNode node : layout.nodes()) {
        issuing.add(pool.submit(() -> ca.nodeKeyStore(node.id(), sans)));
      }
      for (Future<Path> f : issuing) {
        f.get();
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new CliException(
          "cannot issue the node certificates in "
              + layout.securityDir()
              + ": "
              + (cause instanceof UncheckedIOException u ? u.getCause().getMessage() : cause));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while issuing the node certificates");
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Keeps the admin token when {@code admin.token} holds a token the tokens file knows; otherwise
   * replaces the entry named {@value #ADMIN_TOKEN_NAME} with a new token and writes it there.
   *
   * @return whether a new token was written
   */
  private static boolean ensureAdminToken(
      LocalClusterLayout layout, PrintWriter out, Clock clock, boolean firstRun)
      throws IOException {
    TokenFile tokens = new TokenFile(layout.tokensFile());
    Path adminFile = layout.adminTokenFile();
    List<TokenFile.Entry> entries = tokens.list();
    Optional<String> clear =
        Files.isRegularFile(adminFile)
            ? Optional.of(Files.readString(adminFile, UTF_8).strip()).filter(t -> !t.isEmpty())
            : Optional.empty();
    boolean known =
        clear.isPresent()
            && entries.stream().anyMatch(e -> e.sha256().equals(Auth.sha256Hex(clear.get())));
    if (known) {
      SecureFiles.makePrivate(adminFile);
      SecureFiles.makePrivate(layout.tokensFile());
      return false;
    }
    if (clear.isPresent() && !firstRun) {
      out.println(
          "the admin token in "
              + adminFile
              + " is not in "
              + layout.tokensFile()
              + " (revoked?); issuing a new one");
    }
    tokens.revoke(ADMIN_TOKEN_NAME);
    TokenFile.Created created = tokens.create(ADMIN_TOKEN_NAME, ADMIN_PERMISSIONS, clock);
    SecureFiles.writePrivate(adminFile, (created.token() + "\n").getBytes(US_ASCII));
    return true;
  }

  /**
   * How the tools reach the nodes of a local cluster: trusting its CA and presenting its admin
   * token, or plain {@code http} without a token for an {@code --insecure} one. Immutable; the
   * {@link SSLContext} is shared by every client made from it.
   *
   * @param sslContext trusts the cluster CA; empty when insecure
   * @param adminToken the admin token; empty when insecure
   */
  record Access(Optional<SSLContext> sslContext, Optional<String> adminToken) {

    /** Plain {@code http}, no token. */
    static Access insecure() {
      return new Access(Optional.empty(), Optional.empty());
    }

    /** Whether the cluster's listeners use TLS. */
    boolean tls() {
      return sslContext.isPresent();
    }

    /**
     * Reads the CA and the admin token of a secure cluster ({@link #ensure} wrote them).
     *
     * @throws CliException naming the file when one cannot be read
     */
    static Access of(LocalClusterLayout layout) {
      if (layout.security() == LocalClusterLayout.Security.INSECURE) {
        return insecure();
      }
      SSLContext context;
      try {
        context = CaTrust.sslContext(layout.caPem());
      } catch (UncheckedIOException | IllegalArgumentException e) {
        throw new CliException("cannot read the local cluster's CA: " + e.getMessage());
      }
      String token =
          ServerOptions.readToken(layout.adminTokenFile(), layout.adminTokenFile().toString())
              .value();
      return new Access(Optional.of(context), Optional.of(token));
    }

    /** A client of the API at {@code api} with the CA and the admin token. */
    SluiceClient client(URI api) {
      SluiceClient.Builder builder = SluiceClient.builder(api);
      sslContext.ifPresent(builder::sslContext);
      adminToken.ifPresent(builder::token);
      return builder.build();
    }

    /**
     * The {@code Authorization} header of management requests: HTTP Basic, whose password is the
     * admin token (the user name is not checked); empty when insecure.
     */
    Optional<String> managementAuthorization() {
      return adminToken.map(
          t ->
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString((ADMIN_TOKEN_NAME + ":" + t).getBytes(UTF_8)));
    }

    @Override
    public String toString() {
      return "Access[tls=" + sslContext.isPresent() + ", token=" + adminToken.isPresent() + "]";
    }
  }
}
