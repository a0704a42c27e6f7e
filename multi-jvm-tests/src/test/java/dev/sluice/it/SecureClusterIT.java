package dev.sluice.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.ApiJson;
import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.FrameCodec;
import dev.sluice.replication.protocol.FrameDecoder;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.protocol.RejectReason;
import dev.sluice.security.Pem;
import dev.sluice.security.testing.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only cluster members replicate, with real node JVMs in the secure default (TLS on every listener,
 * tokens on the API): three nodes of the test CA form the cluster, and
 *
 * <ul>
 *   <li>the client API over HTTPS refuses a request without a token or with an unknown one (401)
 *       and a token without the permission (403), before the leader redirect;
 *   <li>a forged follower, over plain TCP, over TLS with a certificate of another CA, and over TLS
 *       with a member's certificate naming another node, connects to a leader's replication port,
 *       sends a handshake that names a real follower (held in the in-sync set while it is down) and
 *       a position report at the leader's log end: it reads no record, and the leader's high
 *       watermark stays where the real follower left it, until that follower comes back;
 *   <li>a node JVM with a certificate of another CA, started on the cluster's seeds, is refused in
 *       the TLS handshake and never becomes a member, while the cluster keeps acknowledging.
 * </ul>
 *
 * One cluster serves the three tests, which leave it whole; they wait on conditions (log lines,
 * membership views, closed sockets), never on time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureClusterIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);

  /** Every record of the forged-follower topic carries it, so a leak is found in any bytes. */
  private static final String MARKER = "only-members-may-read-this-record";

  @TempDir static Path dir;

  private NodeCluster cluster;
  private String readerToken;
  private NodeJvm foreign;

  @BeforeAll
  void startCluster() throws Exception {
    cluster =
        NodeCluster.builder(dir.resolve("cluster"))
            // A killed follower stays in the in-sync set for the whole test: the high watermark
            // then stays where it left it, and only a report under its name could move it.
            .set("sluice.replication.replica-lag-time-max", "10m")
            .build();
    assertTrue(cluster.security().isSecure());
    readerToken = cluster.security().createToken("orders-reader", Permission.consume("orders-*"));
    try {
      cluster.startAll();
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  @AfterAll
  void stopCluster() {
    if (foreign != null) {
      foreign.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  // ---- (c) the client API: 401 and 403 over HTTPS ----

  @Test
  @Order(1)
  void apiRefusesAMissingOrUnknownTokenAndATokenWithoutThePermission() throws Exception {
    TopicState topic = cluster.createTopic("payments", 1, 3, TIMEOUT);
    int leader = topic.partition(0).leader();
    int follower = topic.partition(0).followers().get(0);
    HttpClient http =
        cluster.security().httpClientBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    String produce = "/topics/payments/partitions/0/records";

    // No token: 401 with the Bearer challenge, and no hint where the leader is.
    HttpResponse<String> none = http.send(post(follower, produce, Optional.empty()), string());
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(
        none.headers().firstValue(Auth.WWW_AUTHENTICATE).orElse("").startsWith(Auth.BEARER),
        none.headers().map().toString());
    assertTrue(none.body().contains("requires a bearer token"), none.body());
    assertFalse(none.headers().firstValue("Location").isPresent(), none.headers().map()::toString);

    // An unknown token: 401, the challenge says the token is invalid.
    HttpResponse<String> unknown =
        http.send(post(follower, produce, Optional.of(Auth.newToken())), string());
    assertEquals(401, unknown.statusCode(), unknown.body());
    assertTrue(
        unknown.headers().firstValue(Auth.WWW_AUTHENTICATE).orElse("").contains("invalid_token"),
        unknown.headers().map().toString());

    // A valid token without produce:payments: 403 naming the permission, before any redirect.
    HttpResponse<String> reader =
        http.send(post(follower, produce, Optional.of(readerToken)), string());
    assertEquals(403, reader.statusCode(), reader.body());
    JsonNode body = ApiJson.mapper().readTree(reader.body());
    assertEquals("orders-reader", body.path("token").asText(), reader.body());
    assertEquals("produce:payments", body.path("requiredPermission").asText(), reader.body());
    assertFalse(
        reader.headers().firstValue("Location").isPresent(), reader.headers().map()::toString);
    // ... nor may it read the topic or create one.
    HttpResponse<String> read =
        http.send(
            bearer(
                    HttpRequest.newBuilder(
                        cluster.api(leader).resolve("/topics/payments/partitions/0/records/0")),
                    Optional.of(readerToken))
                .build(),
            string());
    assertEquals(403, read.statusCode(), read.body());
    assertTrue(read.body().contains("consume:payments"), read.body());
    HttpResponse<String> create =
        http.send(
            bearer(
                    HttpRequest.newBuilder(cluster.api(leader).resolve("/topics")),
                    Optional.of(readerToken))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"name\":\"orders-1\",\"partitions\":1}"))
                .build(),
            string());
    assertEquals(403, create.statusCode(), create.body());
    assertTrue(create.body().contains("admin"), create.body());

    // Management: HTTP Basic with an admin token only.
    HttpResponse<String> members =
        http.send(
            HttpRequest.newBuilder(cluster.management(leader).resolve("/cluster/members")).build(),
            string());
    assertEquals(401, members.statusCode(), members.body());
    HttpResponse<String> membersAsReader =
        http.send(
            HttpRequest.newBuilder(cluster.management(leader).resolve("/cluster/members"))
                .header(
                    Auth.AUTHORIZATION,
                    "Basic "
                        + Base64.getEncoder()
                            .encodeToString(("orders-reader:" + readerToken).getBytes(UTF_8)))
                .build(),
            string());
    assertEquals(401, membersAsReader.statusCode(), membersAsReader.body());

    // Plain http reaches no listener.
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    assertThrows(
        IOException.class,
        () ->
            plain.send(
                HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:" + cluster.ports(leader).api() + "/topics"))
                    .timeout(Duration.ofSeconds(10))
                    .header(Auth.AUTHORIZATION, Auth.authorization(cluster.security().adminToken()))
                    .build(),
                string()));

    // The admin token may produce: the follower redirects it to the leader, which appends.
    HttpResponse<String> redirected =
        http.send(post(follower, produce, Optional.of(cluster.security().adminToken())), string());
    assertEquals(307, redirected.statusCode(), redirected.body());
    HttpResponse<String> appended =
        http.send(post(leader, produce, Optional.of(cluster.security().adminToken())), string());
    assertEquals(200, appended.statusCode(), appended.body());
  }

  // ---- (b) a forged follower reads nothing and cannot move the high watermark ----

  @Test
  @Order(2)
  void aForgedFollowerReadsNoRecordAndCannotMoveTheHighWatermark() throws Exception {
    String name = "forged";
    cluster.createTopic(name, 1, 3, TIMEOUT);
    TopicState.PartitionState p = cluster.awaitFullyInSync(name, TIMEOUT).partition(0);
    int leader = p.leader();
    // The victim is a follower not hosting node 1's seed role, when possible: restarting it is
    // then a plain rejoin.
    List<Integer> followers = p.followers();
    int victim = followers.stream().filter(n -> n != 1).findFirst().orElse(followers.get(0));
    int other = followers.stream().filter(n -> n != victim).findFirst().orElseThrow();
    ProduceClient producer = new ProduceClient(cluster, Duration.ofSeconds(30));
    for (int i = 0; i < 5; i++) {
      assertEquals(
          new ProduceClient.Acked(i, leader),
          producer.produce(name, 0, record(i), ProduceClient.Acks.ALL, leader));
    }
    cluster.awaitConverged(name, TIMEOUT);

    // The victim dies at offset 5 and stays in the in-sync set; the leader takes 5 more records.
    cluster.kill9(victim);
    for (int i = 5; i < 10; i++) {
      assertEquals(
          new ProduceClient.Acked(i, leader),
          producer.produce(name, 0, record(i), ProduceClient.Acks.LEADER, leader));
    }
    TopicState.ReplicaState held =
        Await.value(
            () ->
                cluster
                    .describe(leader, name)
                    .map(t -> t.partition(0))
                    .filter(q -> q.replica(other).leo() == 10 && q.inSync().contains(victim))
                    .map(q -> q.replica(leader)),
            TIMEOUT,
            Duration.ofMillis(250),
            "node " + other + " caught up to 10 while node " + victim + " is in the in-sync set",
            () -> cluster.describe(leader, name).map(Object::toString).orElse("no answer"));
    assertEquals(10, held.leo(), held.toString());
    assertEquals(5, held.hw(), "the dead follower holds the high watermark: " + held);

    InetSocketAddress port =
        new InetSocketAddress("127.0.0.1", cluster.ports(leader).replication());
    TestPki pki = cluster.security().pki();
    PartitionId partition = new PartitionId(name, 0);
    byte[] forged = forgedFollower(victim, partition, p.leaderEpoch(), 10);
    NodeJvm leaderJvm = cluster.jvm(leader);

    // Plain TCP: the TLS listener refuses the bytes.
    Attempt plain = attempt(new Socket(), "127.0.0.1", port, forged);
    awaitRefusal(leaderJvm, plain, "TLS failed");
    // TLS with a certificate of another CA, shown whatever CAs the leader asks for. From another
    // loopback address, so that the leader's WARN is not folded into the last one.
    Attempt foreignCa =
        attempt(
            presentingAlways(pki.foreignNodeP12(1), pki).getSocketFactory().createSocket(),
            "127.0.0.2",
            port,
            forged);
    String foreignRefusal = awaitRefusal(leaderJvm, foreignCa, "TLS failed");
    assertFalse(
        foreignRefusal.contains("Empty client certificate chain"),
        "the forged follower showed no certificate: " + foreignRefusal);
    // TLS with a certificate of this cluster, a member's, naming another node than the handshake.
    SSLContext member = pki.clientContext(other);
    Attempt impostor = attempt(member.getSocketFactory().createSocket(), "127.0.0.3", port, forged);
    awaitRefusal(leaderJvm, impostor, "certificate node " + other);

    for (Attempt a : List.of(plain, foreignCa, impostor)) {
      assertFalse(new String(a.received(), UTF_8).contains(MARKER), a + " read record bytes");
      for (Frame f : a.frames()) {
        assertFalse(
            f instanceof Frame.Batches || f instanceof Frame.Chunk,
            a + " read a record frame " + f);
      }
    }
    // The member's connection got far enough to be answered: the forged handshake was well formed.
    assertEquals(1, impostor.frames().size(), impostor.toString());
    Frame.Rejected rejected = assertInstanceOf(Frame.Rejected.class, impostor.frames().get(0));
    assertEquals(RejectReason.PEER_IDENTITY, rejected.reason(), rejected.toString());

    TopicState.ReplicaState after =
        cluster.describe(leader, name).orElseThrow().partition(0).replica(leader);
    assertEquals(10, after.leo(), after.toString());
    assertEquals(5, after.hw(), "the forged reports moved the high watermark: " + after);

    // The real follower, back, moves it: the reports were the only thing missing.
    cluster.start(victim);
    cluster.awaitStarted(victim, TIMEOUT);
    cluster.awaitMembersUp(cluster.nodes(), TIMEOUT);
    TopicState converged = cluster.awaitConverged(name, TIMEOUT);
    assertEquals(10, converged.partition(0).replica(leader).hw(), converged.toString());
  }

  // ---- (a) a node of another CA never becomes a member ----

  @Test
  @Order(3)
  void aNodeWithACertificateOfAnotherCaNeverBecomesAMember() throws Exception {
    cluster.awaitMembersUp(cluster.nodes(), TIMEOUT);
    TestPki pki = cluster.security().pki();
    Path foreignDir = dir.resolve("foreign");
    Files.createDirectories(foreignDir);
    // It trusts both CAs, so that the refusal is ours, not its own.
    Path bothCas = foreignDir.resolve("both-cas.pem");
    Files.writeString(
        bothCas, Files.readString(pki.caPem()) + Files.readString(pki.foreignCaPem()));
    String seeds =
        cluster.nodes().stream()
            .map(n -> "\"127.0.0.1:" + cluster.ports(n).cluster() + "\"")
            .collect(Collectors.joining(", "));
    int clusterPort = NodeJvm.freePort();
    Path conf =
        NodeJvm.writeConfig(
            foreignDir.resolve("node-3.conf"),
            String.join(
                "\n",
                "sluice.node.id = 3",
                "sluice.data-dir = \"" + foreignDir.resolve("node-3") + "\"",
                "sluice.controller.h2-path = \"" + foreignDir.resolve("controller/journal") + "\"",
                "sluice.api.port = " + NodeJvm.freePort(),
                "sluice.replication.port = " + NodeJvm.freePort(),
                "sluice.management.port = " + NodeJvm.freePort(),
                "sluice.cluster.port = " + clusterPort,
                "sluice.cluster.seed-nodes = [" + seeds + "]",
                "sluice.security.tls.enabled = on",
                "sluice.security.tls.key-store = \"" + pki.foreignNodeP12(3) + "\"",
                "sluice.security.tls.key-store-password-file = \"" + pki.passwordFile() + "\"",
                "sluice.security.tls.ca-file = \"" + bothCas + "\"",
                ""));
    foreign = new NodeJvm("foreign-node-3", conf).start("-Xmx192m");
    String foreignAddress = "pekko://sluice@127.0.0.1:" + clusterPort;

    // It dialled every seed, and each refused its certificate in the TLS handshake.
    for (int node : cluster.nodes()) {
      String seed = cluster.clusterAddress(node);
      Await.until(
          () ->
              foreign.output().stream()
                  .anyMatch(
                      l ->
                          l.contains("SSLHandshakeException")
                              && l.contains("outbound connection to [" + seed + "]")),
          TIMEOUT,
          "the foreign node logged a refused TLS handshake with " + seed);
    }
    assertTrue(foreign.isAlive(), "the foreign node is still trying");

    // The members, asked after the refusals: the three of them, Up, none unreachable.
    cluster.awaitMembersUp(cluster.nodes(), TIMEOUT);
    Set<String> good = new TreeSet<>();
    cluster.nodes().forEach(n -> good.add(cluster.clusterAddress(n)));
    for (int node : cluster.nodes()) {
      JsonNode members = cluster.members(node).orElseThrow();
      Set<String> seen = new TreeSet<>();
      members.path("members").forEach(m -> seen.add(m.path("node").asText()));
      assertEquals(good, seen, "node " + node + " sees " + members);
      assertFalse(members.toString().contains(foreignAddress), members.toString());
    }
    // ... and the cluster still acknowledges with every replica.
    TopicState topic = cluster.createTopic("after-foreign", 1, 3, TIMEOUT);
    int leader = topic.partition(0).leader();
    ProduceClient.Outcome acked =
        new ProduceClient(cluster, Duration.ofSeconds(30))
            .produce("after-foreign", 0, record(0), ProduceClient.Acks.ALL, leader);
    assertEquals(new ProduceClient.Acked(0, leader), acked);
  }

  // ---- helpers ----

  private static byte[] record(int i) {
    return (MARKER + "-" + i).getBytes(UTF_8);
  }

  private HttpRequest post(int node, String path, Optional<String> token) {
    return bearer(HttpRequest.newBuilder(cluster.api(node).resolve(path)), token)
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofString("a record"))
        .build();
  }

  private static HttpRequest.Builder bearer(HttpRequest.Builder b, Optional<String> token) {
    token.ifPresent(t -> b.header(Auth.AUTHORIZATION, Auth.authorization(t)));
    return b.timeout(Duration.ofSeconds(30));
  }

  private static HttpResponse.BodyHandler<String> string() {
    return HttpResponse.BodyHandlers.ofString();
  }

  /**
   * What a follower's connection says first: a handshake as node {@code victim} with an empty log,
   * then a position report at {@code leaderEnd}, which would make the leader count the victim as
   * caught up.
   */
  private static byte[] forgedFollower(
      int victim, PartitionId partition, int leaderEpoch, long leaderEnd) {
    ByteString hello =
        FrameCodec.encode(
            new Frame.Hello(victim, partition, 0, -1, leaderEpoch, Frame.StagedPosition.NONE));
    ByteString progress = FrameCodec.encode(new Frame.Progress(leaderEnd, 0));
    return hello.concat(progress).toArray();
  }

  /**
   * One forged connection: what the peer received, and how the connection ended.
   *
   * @param local the peer's address, as the leader's WARN names it
   */
  private record Attempt(String kind, InetSocketAddress local, byte[] received, String end) {
    List<Frame> frames() {
      List<Frame> frames = new ArrayList<>();
      FrameDecoder decoder = new FrameDecoder(toString(), 64L * 1024 * 1024);
      decoder.feed(ByteString.fromArray(received));
      try {
        for (Frame f = decoder.next(); f != null; f = decoder.next()) {
          frames.add(f);
        }
      } catch (RuntimeException notFrames) {
        // bytes that are no frames (a TLS alert read as plain bytes) carry no record either
      }
      return frames;
    }

    @Override
    public String toString() {
      return kind + " from " + local + " (" + received.length + " bytes, ended: " + end + ")";
    }
  }

  /**
   * Connects {@code socket} from {@code localHost} to the leader's replication port, sends the
   * forged frames and reads until the leader closes the connection. TLS failures end it too.
   */
  private static Attempt attempt(
      Socket socket, String localHost, InetSocketAddress leader, byte[] frames) throws IOException {
    String kind = socket instanceof SSLSocket ? "TLS" : "plain TCP";
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    String end;
    try (socket) {
      socket.bind(new InetSocketAddress(localHost, 0));
      socket.connect(leader, 5_000);
      socket.setSoTimeout((int) SOCKET_TIMEOUT.toMillis());
      InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
      try {
        if (socket instanceof SSLSocket tls) {
          tls.startHandshake();
        }
        OutputStream out = socket.getOutputStream();
        out.write(frames);
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          received.write(buffer, 0, n);
        }
        end = "closed by the leader";
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            kind
                + " from "
                + local
                + ": the leader kept the forged connection open for "
                + SOCKET_TIMEOUT);
      } catch (IOException e) {
        end = e.toString();
      }
      Attempt a = new Attempt(kind, local, received.toByteArray(), end);
      System.out.println("[it] forged follower: " + a);
      return a;
    }
  }

  /** Waits until the leader logged one refusal naming the forged connection's address. */
  private static String awaitRefusal(NodeJvm leader, Attempt a, String why)
      throws InterruptedException {
    String from = "from /" + a.local().getAddress().getHostAddress() + ":" + a.local().getPort();
    return Await.value(
        () ->
            leader.output().stream()
                .filter(l -> l.contains(from) && l.contains("refused") && l.contains(why))
                .findFirst(),
        TIMEOUT,
        Duration.ofMillis(50),
        "the leader logged the refusal of " + a + " (\"" + why + "\")",
        () -> "no such line from " + leader.name());
  }

  /**
   * A TLS client that presents the one key of {@code p12} to any server, trusting the test CA. A
   * JDK client would otherwise send no certificate when the server asks for another CA's.
   */
  private static SSLContext presentingAlways(Path p12, TestPki pki) throws Exception {
    char[] password = pki.password();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      keys.load(in, password);
    }
    String alias = Collections.list(keys.aliases()).get(0);
    PrivateKey key = (PrivateKey) keys.getKey(alias, password);
    X509Certificate[] chain =
        Arrays.stream(keys.getCertificateChain(alias))
            .map(X509Certificate.class::cast)
            .toArray(X509Certificate[]::new);
    X509ExtendedKeyManager always =
        new X509ExtendedKeyManager() {
          @Override
          public String chooseClientAlias(String[] types, Principal[] issuers, Socket socket) {
            return alias;
          }

          @Override
          public String[] getClientAliases(String type, Principal[] issuers) {
            return new String[] {alias};
          }

          @Override
          public String[] getServerAliases(String type, Principal[] issuers) {
            return new String[0];
          }

          @Override
          public String chooseServerAlias(String type, Principal[] issuers, Socket socket) {
            return null;
          }

          @Override
          public X509Certificate[] getCertificateChain(String a) {
            return alias.equals(a) ? chain.clone() : null;
          }

          @Override
          public PrivateKey getPrivateKey(String a) {
            return alias.equals(a) ? key : null;
          }
        };
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (X509Certificate ca : Pem.certificates(pki.caPem())) {
      trust.setCertificateEntry("ca-" + i++, ca);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {always}, tmf.getTrustManagers(), null);
    return context;
  }
}
