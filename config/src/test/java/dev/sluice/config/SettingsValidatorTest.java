package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsValidatorTest {

  private static Config with(Map<String, String> overrides) {
    ConfigFactory.invalidateCaches();
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  private static SettingsException rejected(Map<String, String> overrides) {
    return assertThrows(SettingsException.class, () -> SluiceSettings.from(with(overrides)));
  }

  @Test
  void referenceDefaultsAreValidAndReadIntoRecords() {
    SluiceSettings s = SluiceSettings.from(with(Map.of()));
    assertEquals(1, s.node().id());
    assertEquals(1024L * 1024, s.replication().peerMaxBytes());
    assertEquals(1024L * 1024 * 1024, s.storage().segmentBytes());
    assertEquals(256L * 1024 * 1024, s.storage().maxBatchBytes());
    assertEquals(FlushPolicy.EVERY_BATCH, s.storage().flush());
    assertEquals(-1, s.storage().retentionBytes());
    assertEquals(Duration.ofMillis(200), s.replication().backoff().min());
    assertEquals(List.of(), s.cluster().seedNodes());
    assertFalse(s.cluster().formNewCluster());
    assertFalse(s.replication().uncleanLeaderElection());
    assertEquals(Duration.ofSeconds(20), s.api().maxFetchWait());
    assertEquals(Duration.ofSeconds(30), s.node().shutdownHangTimeout());
  }

  @Test
  void inlineBatchBytesDefaultsTo16MiBOrTheBatchLimitWhenThatIsSmaller() {
    assertEquals(16L << 20, SluiceSettings.from(with(Map.of())).api().inlineBatchBytes());
    SluiceSettings small =
        SluiceSettings.from(with(Map.of("sluice.storage.max-batch-bytes", "4MiB")));
    assertEquals(4L << 20, small.api().inlineBatchBytes());
    SluiceSettings set =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.storage.max-batch-bytes", "4MiB",
                    "sluice.api.inline-batch-bytes", "1MiB")));
    assertEquals(1L << 20, set.api().inlineBatchBytes());
    SettingsException above =
        rejected(
            Map.of(
                "sluice.storage.max-batch-bytes", "4MiB", "sluice.api.inline-batch-bytes", "5MiB"));
    assertEquals(
        List.of(
            "sluice.api.inline-batch-bytes = 5242880: must not be larger than"
                + " sluice.storage.max-batch-bytes = 4194304: the records of one batched produce"
                + " request become one batch, which that limits"),
        above.violations());
  }

  @Test
  void maxFetchWaitDefaultsTo20sOrHalfARequestTimeoutOf20sOrLess() {
    SluiceSettings shortTimeout =
        SluiceSettings.from(with(Map.of("sluice.api.request-timeout", "5s")));
    assertEquals(Duration.ofMillis(2500), shortTimeout.api().maxFetchWait());
    SluiceSettings longTimeout =
        SluiceSettings.from(with(Map.of("sluice.api.request-timeout", "2m")));
    assertEquals(Duration.ofSeconds(20), longTimeout.api().maxFetchWait());
    SluiceSettings set =
        SluiceSettings.from(
            with(Map.of("sluice.api.request-timeout", "5s", "sluice.api.max-fetch-wait", "4s")));
    assertEquals(Duration.ofSeconds(4), set.api().maxFetchWait());
  }

  @Test
  void uncleanLeaderElectionIsReadWhenEnabled() {
    SluiceSettings s =
        SluiceSettings.from(with(Map.of("sluice.replication.unclean-leader-election", "true")));
    assertTrue(s.replication().uncleanLeaderElection());
  }

  @ParameterizedTest(name = "{0} = {1} is refused")
  @CsvSource({
    // peer-max-bytes must exceed the frame header: header - 1, header
    "sluice.replication.peer-max-bytes, 63, must be larger than the frame header",
    "sluice.replication.peer-max-bytes, 64, must be larger than the frame header",
    // buffers must hold a frame
    "sluice.replication.socket-buffer-bytes, 1048576, must hold at least one frame",
    // a batch must fit a segment
    "sluice.storage.max-batch-bytes, 2GiB, must not be larger than sluice.storage.segment-bytes",
    "sluice.storage.segment-bytes, 3GiB, index positions are 32-bit",
    "sluice.storage.max-batch-bytes, 10, must be at least 68",
    // the smallest batch (header and one empty record) is 68 bytes: one below it
    "sluice.storage.max-batch-bytes, 67, must be at least 68",
    "sluice.storage.flush, sometimes, must be one of every-batch, os",
    "sluice.storage.retention.bytes, 0, must be -1 (no limit) or greater than 0",
    "sluice.storage.retention.check-interval, 0s, must be positive",
    "sluice.storage.index-interval-bytes, 0, must be > 0",
    // backoff min <= max, jitter within [0, 1]
    "sluice.replication.backoff.max, 100ms, must not be smaller than sluice.replication.backoff.min",
    "sluice.replication.backoff.random-factor, 1.5, must be between 0 and 1",
    // the stall timeout must exceed the sampling interval
    "sluice.watchdog.stall-timeout, 1s, must be larger than sluice.watchdog.interval",
    "sluice.watchdog.stall-timeout, 500ms, must be larger than sluice.watchdog.interval",
    // a fetch's wait stays below the request timeout
    "sluice.api.max-fetch-wait, 30s, must be smaller than sluice.api.request-timeout",
    "sluice.api.max-fetch-wait, 0s, must be positive",
    // ports distinct and in range
    "sluice.management.port, 7701, the same port as sluice.replication.port",
    "sluice.cluster.port, 70000, must be between 0 and 65535",
    "sluice.replication.min-in-sync-replicas, 0, must be at least 1",
    "sluice.node.id, -3, must be 0 or greater",
    "sluice.node.shutdown-hang-timeout, 0s, must be positive",
    // wrong types are reported like rule violations
    "sluice.api.port, seven, seven",
    "sluice.watchdog.interval, soon, soon",
    "sluice.replication.unclean-leader-election, sometimes, sometimes",
    // the controller's journal
    "sluice.controller.journal, postgress, must be one of h2, postgres",
    "sluice.controller.journal, H2, must be one of h2, postgres",
    "sluice.controller.pool-size, 0, must be at least 1",
    "sluice.controller.pool-size, many, many",
    "sluice.controller.producer-id-block, 0, must be between 1 and 1000000",
    "sluice.controller.producer-id-block, 1000001, must be between 1 and 1000000",
    "sluice.controller.h2-user, '', must name a database user when sluice.controller.journal = h2",
    // security
    "sluice.security.api.auth, maybe, must be one of none, tokens",
    "sluice.security.management.auth, basic, must be one of none, tokens",
    "sluice.security.api.tokens-reload-interval, 0s, must be positive",
    "sluice.security.tls.reload-interval, 0s, must be positive",
    "sluice.security.tls.enabled, sometimes, sometimes",
    // an inline (NDJSON) produce body becomes one batch: not above the batch limit
    "sluice.api.inline-batch-bytes, 300MiB, must not be larger than sluice.storage.max-batch-bytes"
        + " = 268435456",
    "sluice.api.inline-batch-bytes, 0, must be > 0",
  })
  void eachRuleNamesKeyValueAndReason(String key, String value, String reason) {
    SettingsException e = rejected(Map.of(key, value));
    assertEquals(1, e.violations().size(), e.getMessage());
    String line = e.violations().get(0);
    assertTrue(line.startsWith(key + " = "), line);
    assertTrue(line.contains(reason), line);
  }

  private static final String TLS = "sluice.security.tls.";

  private static SluiceSettings fromHocon(String hocon) {
    ConfigFactory.invalidateCaches();
    return SluiceSettings.from(
        ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve());
  }

  private static List<String> violations(String hocon) {
    return assertThrows(SettingsException.class, () -> fromHocon(hocon)).violations();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // key material: PEM xor PKCS12, both PEM halves, trust anchors
        "sluice.security.tls { enabled = on, key-file = /k.pem, cert-file = /c.pem, key-store ="
            + " /s.p12, ca-file = /ca.pem }"
            + " | sluice.security.tls.key-store = /s.p12: give either key-file and cert-file (PEM)"
            + " or key-store (PKCS12), not both",
        "sluice.security.tls { enabled = on, key-file = /k.pem, ca-file = /ca.pem }"
            + " | sluice.security.tls.cert-file = \"\": the certificate chain is required with"
            + " sluice.security.tls.key-file = /k.pem",
        "sluice.security.tls { enabled = on, cert-file = /c.pem, ca-file = /ca.pem }"
            + " | sluice.security.tls.key-file = \"\": the private key is required with"
            + " sluice.security.tls.cert-file = /c.pem",
        "sluice.security.tls { enabled = on, key-store = /s.p12 }"
            + " | sluice.security.tls.ca-file = \"\": TLS is on (sluice.security.tls.enabled = on)"
            + " but no trust anchors are set; give ca-file (PEM) or trust-store (PKCS12)",
        "sluice.security.tls { enabled = on, key-store = /s.p12, ca-file = /ca.pem, trust-store ="
            + " /t.p12 }"
            + " | sluice.security.tls.trust-store = /t.p12: give either ca-file (PEM) or"
            + " trust-store (PKCS12), not both; either may hold several CAs",
        "sluice.security.tls { enabled = on, key-store = /s.p12, ca-file = /ca.pem, listeners = [] }"
            + " | sluice.security.tls.listeners = []: must name at least one listener when"
            + " sluice.security.tls.enabled = on; set enabled = off for no TLS",
        "sluice.security.tls { enabled = on, key-store = /s.p12, ca-file = /ca.pem, protocols = [] }"
            + " | sluice.security.tls.protocols = []: must name at least one of TLSv1.2, TLSv1.3"
            + " when TLS is on",
        // protocols and listeners by name
        "sluice.security.tls.protocols = [TLSv1.3, TLSv1.1]"
            + " | sluice.security.tls.protocols = [TLSv1.3, TLSv1.1]: TLSv1.1 is not allowed; must"
            + " be among TLSv1.2, TLSv1.3",
        "sluice.security.tls.listeners = [cluster, gossip]"
            + " | sluice.security.tls.listeners = [cluster, gossip]: unknown listener gossip; must"
            + " be among cluster, replication, api, management",
        // tokens need their file
        "sluice.security.api.auth = tokens"
            + " | sluice.security.api.tokens-file = \"\": must name the tokens file when"
            + " sluice.security.api.auth = tokens",
        "sluice.security.management.auth = tokens"
            + " | sluice.security.management.auth = tokens: needs sluice.security.api.tokens-file,"
            + " whose admin tokens are the management passwords",
        // plaintext listeners only on loopback, unless accepted
        "sluice.node.host = 10.0.0.5"
            + " | sluice.node.host = 10.0.0.5: not a loopback address, and the listeners cluster,"
            + " replication, api, management are plaintext (sluice.security.tls.enabled = off);"
            + " turn TLS on for them, or set sluice.security.allow-plaintext-on-network = on to"
            + " accept that anyone on the network can read and write",
        "sluice.node.host = node1.example, sluice.security.tls { enabled = on, key-store = /s.p12,"
            + " ca-file = /ca.pem, listeners = [cluster, replication] }"
            + " | sluice.node.host = node1.example: not a loopback address, and the listeners api,"
            + " management are plaintext (sluice.security.tls.enabled = on); turn TLS on for them,"
            + " or set sluice.security.allow-plaintext-on-network = on to accept that anyone on"
            + " the network can read and write",
        // with TLS everywhere, the API and management still need tokens on a network address
        "sluice.node.host = node1.example, sluice.security.tls { enabled = on, key-store = /s.p12,"
            + " ca-file = /ca.pem }"
            + " | sluice.node.host = node1.example: not a loopback address, and"
            + " sluice.security.api.auth = none, sluice.security.management.auth = none lets anyone"
            + " who reaches it in without a token; set tokens, or set"
            + " sluice.security.allow-plaintext-on-network = on to accept that",
        "sluice.node.host = node1.example, sluice.security.tls { enabled = on, key-store = /s.p12,"
            + " ca-file = /ca.pem }, sluice.security.api { auth = tokens, tokens-file = /t.conf }"
            + " | sluice.node.host = node1.example: not a loopback address, and"
            + " sluice.security.management.auth = none lets anyone who reaches it in without a"
            + " token; set tokens, or set sluice.security.allow-plaintext-on-network = on to accept"
            + " that",
        // the bind address counts like the advertised one: 0.0.0.0 listens on the network
        "sluice.node.bind-host = 0.0.0.0"
            + " | sluice.node.bind-host = 0.0.0.0: not a loopback address, and the listeners"
            + " cluster, replication, api, management are plaintext (sluice.security.tls.enabled ="
            + " off); turn TLS on for them, or set sluice.security.allow-plaintext-on-network = on"
            + " to accept that anyone on the network can read and write",
        "sluice.node.bind-host = \"10.0.0.5\", sluice.security.tls { enabled = on, key-store ="
            + " /s.p12, ca-file = /ca.pem }"
            + " | sluice.node.bind-host = 10.0.0.5: not a loopback address, and"
            + " sluice.security.api.auth = none, sluice.security.management.auth = none lets anyone"
            + " who reaches it in without a token; set tokens, or set"
            + " sluice.security.allow-plaintext-on-network = on to accept that",
        // the advertised address must be one others can reach
        "sluice.node.host = 0.0.0.0, sluice.security.allow-plaintext-on-network = on"
            + " | sluice.node.host = 0.0.0.0: is the address clients and other nodes connect to,"
            + " and a wildcard address reaches no one; set it to a name or address of this machine,"
            + " and sluice.node.bind-host = 0.0.0.0 to listen on every interface",
        "sluice.node.host = \"::\", sluice.node.bind-host = \"::1\","
            + " sluice.security.allow-plaintext-on-network = on"
            + " | sluice.node.host = ::: is the address clients and other nodes connect to, and a"
            + " wildcard address reaches no one; set it to a name or address of this machine, and"
            + " sluice.node.bind-host = :: to listen on every interface",
        // the H2 journal is a file of this machine: no seed elsewhere
        "sluice.cluster.seed-nodes = [\"10.0.0.7:7703\"]"
            + " | sluice.cluster.seed-nodes = [10.0.0.7:7703]: seed 10.0.0.7:7703 is on another"
            + " machine (not a loopback address, not sluice.node.host = 127.0.0.1), but"
            + " sluice.controller.journal = h2 keeps the controller history in a file on this"
            + " machine, so nodes on other machines would keep histories of their own; set"
            + " sluice.controller.journal = postgres and sluice.controller.postgres.url for a"
            + " cluster across machines",
        "sluice.node.host = 10.0.0.5, sluice.security.allow-plaintext-on-network = on,"
            + " sluice.cluster.seed-nodes = [\"10.0.0.5:7703\", \"pekko://sluice@node2.example:7703\","
            + " \"[fd00::7]:7703\"]"
            + " | sluice.cluster.seed-nodes = [10.0.0.5:7703, pekko://sluice@node2.example:7703,"
            + " [fd00::7]:7703]: seeds pekko://sluice@node2.example:7703, [fd00::7]:7703 are on"
            + " another machine (not a loopback address, not sluice.node.host = 10.0.0.5), but"
            + " sluice.controller.journal = h2 keeps the controller history in a file on this"
            + " machine, so nodes on other machines would keep histories of their own; set"
            + " sluice.controller.journal = postgres and sluice.controller.postgres.url for a"
            + " cluster across machines",
      })
  void eachSecurityRuleNamesKeyValueAndReason(String hocon, String line) {
    assertEquals(List.of(line), violations(hocon));
  }

  @Test
  void theBindAddressDefaultsToTheAdvertisedOne() {
    NodeSettings node = fromHocon("sluice.node.host = localhost").node();
    assertEquals("localhost", node.host());
    assertEquals("localhost", node.bindHost());
    assertFalse(node.bindsElsewhere());

    NodeSettings nat =
        fromHocon(
                "sluice.node { host = node1.example, bind-host = 0.0.0.0 }\n"
                    + "sluice.security.allow-plaintext-on-network = on")
            .node();
    assertEquals("node1.example", nat.host());
    assertEquals("0.0.0.0", nat.bindHost());
    assertTrue(nat.bindsElsewhere());

    // loopback on both sides is a bare local node, whatever the two addresses are
    NodeSettings local =
        fromHocon("sluice.node { host = localhost, bind-host = 127.0.0.2 }").node();
    assertEquals("127.0.0.2", local.bindHost());
  }

  @Test
  void seedsOnThisMachineOrAJournalInPostgresAreAccepted() {
    SluiceSettings local =
        fromHocon(
            "sluice.cluster.seed-nodes = [\"127.0.0.1:7703\", \"localhost:7713\","
                + " \"pekko://sluice@[::1]:7723\"]");
    assertEquals(3, local.cluster().seedNodes().size());
    assertTrue(
        fromHocon(
                "sluice.cluster.seed-nodes = [\"127.0.0.1:7703\", \"127.0.0.1:7713\"]\n"
                    + ClusterSettings.FORM_NEW_CLUSTER
                    + " = on")
            .cluster()
            .formNewCluster());
    SluiceSettings sameHost =
        fromHocon(
            "sluice.node { host = node1.example, bind-host = 10.0.0.5 }\n"
                + "sluice.security.allow-plaintext-on-network = on\n"
                + "sluice.cluster.seed-nodes = [\"NODE1.example:7703\", \"10.0.0.5:7713\"]");
    assertEquals(2, sameHost.cluster().seedNodes().size());
    SluiceSettings postgres =
        fromHocon(
            "sluice.controller.journal = postgres\n"
                + "sluice.cluster.seed-nodes = [\"10.0.0.7:7703\", \"node2.example:7703\"]");
    assertEquals(Journal.POSTGRES, postgres.controller().journal());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "127.0.0.1:7703, 127.0.0.1",
    "node2.example:7703, node2.example",
    "pekko://sluice@10.0.0.7:7703, 10.0.0.7",
    "[fd00::7]:7703, [fd00::7]",
    "pekko://sluice@[::1]:7703, [::1]",
    "node3.example, node3.example",
  })
  void theHostOfASeedIsFoundInEachForm(String seed, String host) {
    assertEquals(host, SettingsValidator.seedHost(seed));
  }

  @Test
  void tlsWithoutAnyFilesNamesTheKeyMaterialAndTheTrustAnchors() {
    assertEquals(
        List.of(
            TLS
                + "key-store = \"\": TLS is on (sluice.security.tls.enabled = on) but no key"
                + " material is set; give key-file and cert-file (PEM) or key-store (PKCS12)",
            TLS
                + "ca-file = \"\": TLS is on (sluice.security.tls.enabled = on) but no trust"
                + " anchors are set; give ca-file (PEM) or trust-store (PKCS12)"),
        violations("sluice.security.tls.enabled = on"));
  }

  @Test
  void securityDefaultsAreABareLoopbackNode() {
    SecuritySettings sec = SluiceSettings.from(with(Map.of())).security();
    assertFalse(sec.tls().enabled());
    assertEquals(java.util.EnumSet.allOf(TlsSettings.Listener.class), sec.tls().listeners());
    assertFalse(sec.tls().on(TlsSettings.Listener.API));
    assertEquals(List.of("TLSv1.3"), sec.tls().protocols());
    assertEquals(List.of(), sec.tls().cipherSuites());
    assertEquals(Duration.ofMinutes(5), sec.tls().reloadInterval());
    assertFalse(sec.tls().verifyHostname());
    assertTrue(sec.tls().keyStorePassword().isEmpty());
    assertEquals(SecuritySettings.AuthMode.NONE, sec.api().auth());
    assertEquals(Optional.empty(), sec.api().tokensFile());
    assertEquals(Duration.ofSeconds(10), sec.api().tokensReloadInterval());
    assertEquals(SecuritySettings.AuthMode.NONE, sec.management().auth());
    assertFalse(sec.allowPlaintextOnNetwork());
    assertEquals(SecuritySettings.none(), sec);

    ControllerSettings c = SluiceSettings.from(with(Map.of())).controller();
    assertEquals("sa", c.h2User());
    assertEquals(Optional.empty(), c.h2PasswordFile());
  }

  @Test
  void aSecureNodeIsReadIntoRecords(@TempDir Path dir) throws Exception {
    Path pw = Files.writeString(dir.resolve("store.password"), "s3cret\n");
    SluiceSettings s =
        fromHocon(
            "sluice.node.host = 10.0.0.5\n"
                + "sluice.security.tls { enabled = on, key-store = \"/etc/sluice/node-1.p12\","
                + " key-store-password = inline, key-store-password-file = \""
                + pw
                + "\", ca-file = /etc/sluice/ca.pem, protocols = [TLSv1.2, TLSv1.3],"
                + " verify-hostname = on, reload-interval = 30s, cipher-suites ="
                + " [TLS_AES_128_GCM_SHA256] }\n"
                + "sluice.security.api { auth = tokens, tokens-file = /etc/sluice/tokens.conf }\n"
                + "sluice.security.management.auth = tokens\n"
                + "sluice.controller { h2-user = journal, h2-password-file = /etc/sluice/h2.pw }");
    TlsSettings tls = s.security().tls();
    assertTrue(tls.on(TlsSettings.Listener.REPLICATION));
    assertTrue(tls.usesKeyStore());
    assertEquals(Optional.of(Path.of("/etc/sluice/node-1.p12")), tls.keyStore());
    assertEquals(Optional.of(Path.of("/etc/sluice/ca.pem")), tls.caFile());
    assertEquals(List.of("TLSv1.2", "TLSv1.3"), tls.protocols());
    assertEquals(List.of("TLS_AES_128_GCM_SHA256"), tls.cipherSuites());
    assertTrue(tls.verifyHostname());
    assertEquals(Duration.ofSeconds(30), tls.reloadInterval());
    // the file wins over the inline value, and neither is printed
    assertEquals("s3cret", new String(tls.keyStorePassword().reveal()));
    assertFalse(tls.toString().contains("s3cret"), tls.toString());
    assertFalse(tls.toString().contains("inline"), tls.toString());
    assertEquals(SecuritySettings.AuthMode.TOKENS, s.security().api().auth());
    assertEquals(Optional.of(Path.of("/etc/sluice/tokens.conf")), s.security().api().tokensFile());
    assertEquals(SecuritySettings.AuthMode.TOKENS, s.security().management().auth());
    assertEquals("journal", s.controller().h2User());
    assertEquals(Optional.of(Path.of("/etc/sluice/h2.pw")), s.controller().h2PasswordFile());
  }

  @Test
  void anInlineSecretIsNeverPrinted() {
    Secret inline = Secret.of(TLS + "key-store-password", "hunter2");
    assertEquals("hunter2", new String(inline.reveal()));
    assertEquals("Secret[sluice.security.tls.key-store-password=***]", inline.toString());
    assertEquals(TLS + "key-store-password", inline.source());
  }

  @Test
  void plaintextOnANetworkAddressIsAcceptedWhenAllowed() {
    SluiceSettings s =
        fromHocon("sluice.node.host = 10.0.0.5\nsluice.security.allow-plaintext-on-network = on");
    assertTrue(s.security().allowPlaintextOnNetwork());
    SluiceSettings secure =
        fromHocon(
            "sluice.node.host = 10.0.0.5\n"
                + "sluice.security.tls { enabled = on, key-store = /s.p12, ca-file = /ca.pem }\n"
                + "sluice.security.api { auth = tokens, tokens-file = /t.conf }\n"
                + "sluice.security.management.auth = tokens");
    assertTrue(secure.security().tls().enabled());
  }

  @ParameterizedTest(name = "{0} is loopback: {1}")
  @CsvSource({
    "127.0.0.1, true",
    "127.1.2.3, true",
    "localhost, true",
    "LOCALHOST, true",
    "::1, true",
    "[::1], true",
    "0:0:0:0:0:0:0:1, true",
    "0.0.0.0, false",
    "10.0.0.5, false",
    "127.0.0.256, false",
    "127.0.0, false",
    "127.0.0.1.example, false",
    "localhost.example, false",
    "::, false",
  })
  void loopbackIsDecidedWithoutLookUps(String host, boolean loopback) {
    assertEquals(loopback, SettingsValidator.isLoopback(host));
  }

  @Test
  void valuesJustInsideEachLimitAreAccepted() {
    SluiceSettings s =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.replication.peer-max-bytes", "65",
                    "sluice.replication.socket-buffer-bytes", "129",
                    "sluice.storage.max-batch-bytes", "1GiB",
                    "sluice.storage.segment-bytes", "1GiB",
                    "sluice.replication.backoff.max", "200ms",
                    "sluice.watchdog.stall-timeout", "1001ms",
                    "sluice.api.port", "0",
                    "sluice.replication.port", "0")));
    assertEquals(65, s.replication().peerMaxBytes());
    assertEquals(s.storage().segmentBytes(), s.storage().maxBatchBytes());
  }

  @Test
  void thePeerFrameLimitStopsWhereAFrameWithItsHeaderStillFitsAnArray() {
    String largest = Long.toString(Integer.MAX_VALUE - ReplicationSettings.FRAME_HEADER_BYTES);
    String aboveIt = Long.toString(Integer.MAX_VALUE - ReplicationSettings.FRAME_HEADER_BYTES + 1);
    SluiceSettings s =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.replication.peer-max-bytes",
                    largest,
                    "sluice.replication.socket-buffer-bytes",
                    "4GiB")));
    assertEquals(SettingsValidator.MAX_PEER_MAX_BYTES, s.replication().peerMaxBytes());

    SettingsException e =
        rejected(
            Map.of(
                "sluice.replication.peer-max-bytes",
                aboveIt,
                "sluice.replication.socket-buffer-bytes",
                "4GiB"));
    assertEquals(
        List.of(
            "sluice.replication.peer-max-bytes = "
                + aboveIt
                + ": must be at most "
                + largest
                + ", or a frame with its header would not fit one array"),
        e.violations());
  }

  @Test
  void theSmallestBatchIsAcceptedAsBatchAndSegmentLimit() {
    SluiceSettings s =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.storage.max-batch-bytes", "68",
                    "sluice.storage.segment-bytes", "68")));
    assertEquals(SettingsValidator.MIN_BATCH_BYTES, s.storage().maxBatchBytes());
    assertEquals(SettingsValidator.MIN_BATCH_BYTES, s.storage().segmentBytes());
  }

  @Test
  void storageSettingsMadeInCodeAreCheckedByTheSameRules() {
    StorageSettings ok =
        new StorageSettings(1 << 20, 4096, 1 << 20, FlushPolicy.OS, -1, Duration.ZERO);
    SettingsValidator.requireValid(ok);

    StorageSettings bad =
        new StorageSettings(1L << 31, 0, 58, null, 0, Duration.ofSeconds(-1), Duration.ZERO);
    SettingsException e =
        assertThrows(SettingsException.class, () -> SettingsValidator.requireValid(bad));
    assertEquals(
        List.of(
            "sluice.storage.segment-bytes",
            "sluice.storage.index-interval-bytes",
            "sluice.storage.max-batch-bytes",
            "sluice.storage.retention.bytes",
            "sluice.storage.flush",
            "sluice.storage.retention.check-interval",
            "sluice.storage.retention.time"),
        e.violations().stream().map(line -> line.substring(0, line.indexOf(" = "))).toList());
  }

  @Test
  void controllerSettingsAreReadWithTheDefaultsOfTheReference() {
    ControllerSettings c = SluiceSettings.from(with(Map.of())).controller();
    assertEquals(Journal.H2, c.journal());
    assertEquals(Optional.empty(), c.h2Path());
    assertEquals("jdbc:postgresql://127.0.0.1:5432/sluice", c.postgres().url());
    assertEquals("sluice", c.postgres().user());
    assertEquals(4, c.poolSize());
    assertEquals(1000, c.producerIdBlock());

    ControllerSettings set =
        SluiceSettings.from(
                with(
                    Map.of(
                        "sluice.controller.journal", "postgres",
                        "sluice.controller.h2-path", "/var/sluice/journal",
                        "sluice.controller.postgres.password", "secret",
                        "sluice.controller.pool-size", "2",
                        "sluice.controller.producer-id-block", "10")))
            .controller();
    assertEquals(Journal.POSTGRES, set.journal());
    assertEquals(Optional.of(Path.of("/var/sluice/journal")), set.h2Path());
    assertEquals("secret", set.postgres().password());
    assertEquals(2, set.poolSize());
    assertEquals(10, set.producerIdBlock());
    assertFalse(set.toString().contains("secret"), "the password is never printed");
  }

  @Test
  void aPostgresJournalNeedsAPostgresUrlAndAUser() {
    SettingsException e =
        rejected(
            Map.of(
                "sluice.controller.journal", "postgres",
                "sluice.controller.postgres.url", "jdbc:mysql://db/sluice",
                "sluice.controller.postgres.user", " "));
    assertEquals(
        List.of(
            "sluice.controller.postgres.url = \"jdbc:mysql://db/sluice\": must start with"
                + " jdbc:postgresql: when sluice.controller.journal = postgres",
            "sluice.controller.postgres.user = \" \": must name a database user when"
                + " sluice.controller.journal = postgres"),
        e.violations());

    // With the H2 journal the PostgreSQL keys are not used, so they are not checked.
    SluiceSettings h2 =
        SluiceSettings.from(
            with(
                Map.of(
                    "sluice.controller.postgres.url", "jdbc:mysql://db/sluice",
                    "sluice.controller.postgres.user", "")));
    assertEquals(Journal.H2, h2.controller().journal());
  }

  @Test
  void severalViolationsAreAllReportedInOneError() {
    SettingsException e =
        rejected(
            Map.of(
                "sluice.replication.peer-max-bytes", "16",
                "sluice.storage.max-batch-bytes", "2GiB",
                "sluice.replication.backoff.min", "5s",
                "sluice.replication.backoff.max", "1s",
                "sluice.watchdog.stall-timeout", "1s",
                "sluice.management.port", "7700"));
    assertEquals(5, e.violations().size(), e.getMessage());
    String message = e.getMessage();
    assertTrue(message.startsWith("invalid Sluice configuration (5 problems):"), message);
    for (String key :
        List.of(
            "sluice.replication.peer-max-bytes = 16",
            "sluice.storage.max-batch-bytes = 2147483648",
            "sluice.replication.backoff.max = PT1S",
            "sluice.watchdog.stall-timeout = PT1S",
            "sluice.management.port = 7700")) {
      assertTrue(message.contains("\n  " + key + ": "), "missing " + key + " in\n" + message);
    }
  }

  @Test
  void loaderLayersOverridesOverFileOverReference(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("node.conf");
    Files.writeString(file, "sluice.node.id = 7\nsluice.api.port = 9100\n");
    Config c = SluiceConfigLoader.load(file, Map.of("sluice.api.port", "9200"));
    SluiceSettings s = SluiceSettings.from(c);
    assertEquals(7, s.node().id());
    assertEquals(9200, s.api().port());
    assertEquals(7701, s.replication().port());
  }

  @Test
  void loaderNamesAMissingFile(@TempDir Path dir) {
    SettingsException e =
        assertThrows(
            SettingsException.class,
            () -> SluiceConfigLoader.load(dir.resolve("nope.conf"), Map.of()));
    assertTrue(e.getMessage().contains("nope.conf: no such file"), e.getMessage());
  }
}
