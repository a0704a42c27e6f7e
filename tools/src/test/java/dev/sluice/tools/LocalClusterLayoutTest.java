package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.config.SluiceConfigLoader;
import dev.sluice.config.SluiceSettings;
import dev.sluice.node.NodeConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ports, files and {@code node.conf} of a local cluster, without starting anything. */
class LocalClusterLayoutTest {

  @TempDir Path tmp;

  @Test
  void nodeKUsesTenPortsFromBasePlusTenKMinusOne() {
    LocalClusterLayout layout = LocalClusterLayout.of(tmp, 3, 7700, Map.of());

    assertEquals(3, layout.nodes().size());
    assertPorts(layout.node(1), 7700, 7701, 7702, 7703);
    assertPorts(layout.node(2), 7710, 7711, 7712, 7713);
    assertPorts(layout.node(3), 7720, 7721, 7722, 7723);
    assertEquals("pekko://sluice@127.0.0.1:7713", layout.node(2).clusterAddress());
    assertEquals("https://127.0.0.1:7720", layout.node(3).apiUrl());
    assertEquals("https://127.0.0.1:7702", layout.node(1).managementUrl());
    assertEquals(tmp.resolve("node-2").resolve("node.log"), layout.node(2).logFile());
  }

  @Test
  void nodeOneMatchesTheDefaultsOfReferenceConf() {
    LocalClusterNode node1 = LocalClusterLayout.of(tmp, 1, 7700, Map.of()).node(1);
    Config defaults = ConfigFactory.defaultReference();

    assertEquals(defaults.getInt("sluice.api.port"), node1.apiPort());
    assertEquals(defaults.getInt("sluice.replication.port"), node1.replicationPort());
    assertEquals(defaults.getInt("sluice.management.port"), node1.managementPort());
    assertEquals(defaults.getInt("sluice.cluster.port"), node1.clusterPort());
  }

  @Test
  void writtenNodeConfSetsEveryLayoutKeyAndEverySetOption() throws IOException {
    LocalClusterLayout layout =
        LocalClusterLayout.of(
            tmp.resolve("lc"),
            3,
            27700,
            Map.of("sluice.storage.flush", "os", "sluice.replication.min-in-sync-replicas", "2"));

    layout.writeConfigs();

    Path dir = tmp.resolve("lc").toAbsolutePath();
    Config conf = ConfigFactory.parseFile(dir.resolve("node-2/node.conf").toFile());
    assertEquals(2, conf.getInt("sluice.node.id"));
    assertEquals("127.0.0.1", conf.getString("sluice.node.host"));
    assertEquals(dir.resolve("node-2/data").toString(), conf.getString("sluice.data-dir"));
    assertEquals(27710, conf.getInt("sluice.api.port"));
    assertEquals(27711, conf.getInt("sluice.replication.port"));
    assertEquals(27712, conf.getInt("sluice.management.port"));
    assertEquals(27713, conf.getInt("sluice.cluster.port"));
    assertEquals(
        List.of("127.0.0.1:27703", "127.0.0.1:27713", "127.0.0.1:27723"),
        conf.getStringList("sluice.cluster.seed-nodes"));
    assertEquals(
        dir.resolve("controller/journal").toString(), conf.getString("sluice.controller.h2-path"));
    assertEquals("os", conf.getString("sluice.storage.flush"));
    assertEquals(2, conf.getInt("sluice.replication.min-in-sync-replicas"));
    assertTrue(Files.isDirectory(dir.resolve("node-2/data")));
    assertTrue(Files.isDirectory(dir.resolve("controller")));

    String text = Files.readString(dir.resolve("node-3/node.conf"));
    assertTrue(
        text.contains("#   bin/sluice node --config " + dir.resolve("node-3/node.conf")), text);
  }

  @Test
  void writtenNodeConfIsAValidNodeConfiguration() throws IOException {
    LocalClusterLayout layout = LocalClusterLayout.of(tmp, 2, 7700, Map.of());
    layout.writeConfigs();

    Config loaded = SluiceConfigLoader.load(layout.node(2).configFile(), Map.of());
    SluiceSettings settings = SluiceSettings.from(loaded);
    Config pekko = NodeConfig.forNode(settings, loaded);

    assertEquals(2, settings.node().id());
    assertEquals(
        List.of("pekko://sluice@127.0.0.1:7703", "pekko://sluice@127.0.0.1:7713"),
        pekko.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(7713, pekko.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(
        tmp.resolve("controller/journal").toString(), pekko.getString("sluice.controller.h2-path"));
  }

  @Test
  void rewritingKeepsTheDataAndGivesTheSameConfig() throws IOException {
    LocalClusterLayout layout = LocalClusterLayout.of(tmp, 1, 7700, Map.of());
    layout.writeConfigs();
    String before = Files.readString(layout.node(1).configFile());
    Path segment = Files.writeString(layout.node(1).dataDir().resolve("some-segment"), "x");

    layout.writeConfigs();

    assertEquals(before, Files.readString(layout.node(1).configFile()));
    assertEquals("x", Files.readString(segment));
  }

  @Test
  void setHostMovesEveryAddress() {
    LocalClusterLayout layout =
        LocalClusterLayout.of(tmp, 2, 7700, Map.of("sluice.node.host", "10.0.0.5"));

    assertEquals("pekko://sluice@10.0.0.5:7713", layout.node(2).clusterAddress());
    String conf = layout.nodeConf(layout.node(1));
    assertEquals("10.0.0.5", ConfigFactory.parseString(conf).getString("sluice.node.host"));
    assertFalse(conf.contains("# --set options"), conf);
  }

  @Test
  void settingsTheLayoutOwnsAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalClusterLayout.of(tmp, 3, 7700, Map.of("sluice.api.port", "9000")));
    assertTrue(e.getMessage().contains("--set sluice.api.port"), e.getMessage());
  }

  @Test
  void defaultJavaOptionsAreReplacedByTheEnvironmentsOnes() {
    LocalClusterNode node = LocalClusterLayout.of(tmp, 1, 7700, Map.of()).node(1);

    List<String> command = LocalClusterProcesses.javaCommand(node, " -Xmx256m  -XX:+UseSerialGC ");

    assertEquals(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), command.get(0));
    assertEquals(
        List.of("-Dh2.bindAddress=127.0.0.1", "-Xmx256m", "-XX:+UseSerialGC", "-cp"),
        command.subList(1, 5));
    assertEquals(System.getProperty("java.class.path"), command.get(5));
    assertEquals(
        List.of("dev.sluice.node.Main", node.configFile().toString()),
        command.subList(6, command.size()));
  }

  @Test
  void secureNodeConfTurnsOnTlsAndTokensWithTheFilesOfTheSecurityDirectory() throws IOException {
    LocalClusterLayout layout = LocalClusterLayout.of(tmp.resolve("lc"), 2, 7700, Map.of());
    layout.writeConfigs();

    Path security = tmp.resolve("lc").toAbsolutePath().resolve("security");
    Config conf = ConfigFactory.parseFile(layout.node(2).configFile().toFile());
    assertTrue(conf.getBoolean("sluice.security.tls.enabled"));
    assertEquals(
        security.resolve("node-2.p12").toString(), conf.getString("sluice.security.tls.key-store"));
    assertEquals(
        security.resolve("store.password").toString(),
        conf.getString("sluice.security.tls.key-store-password-file"));
    assertEquals(
        security.resolve("ca.pem").toString(), conf.getString("sluice.security.tls.ca-file"));
    assertEquals("tokens", conf.getString("sluice.security.api.auth"));
    assertEquals(
        security.resolve("tokens.conf").toString(),
        conf.getString("sluice.security.api.tokens-file"));
    assertEquals("tokens", conf.getString("sluice.security.management.auth"));

    // The settings validator accepts it, and the node reads the same values.
    SluiceSettings settings =
        SluiceSettings.from(SluiceConfigLoader.load(layout.node(2).configFile(), Map.of()));
    assertTrue(settings.security().tls().enabled());
    assertEquals(Optional.of(security.resolve("node-2.p12")), settings.security().tls().keyStore());
  }

  @Test
  void insecureNodeConfWritesPlaintextListenersAndNoAuthentication() throws IOException {
    LocalClusterLayout layout =
        LocalClusterLayout.of(tmp, 1, 7700, Map.of(), LocalClusterLayout.Security.INSECURE);
    layout.writeConfigs();

    Config conf = ConfigFactory.parseFile(layout.node(1).configFile().toFile());
    assertFalse(conf.getBoolean("sluice.security.tls.enabled"));
    assertEquals("none", conf.getString("sluice.security.api.auth"));
    assertEquals("none", conf.getString("sluice.security.management.auth"));
    assertFalse(conf.hasPath("sluice.security.tls.key-store"));
    assertFalse(conf.hasPath("sluice.security.api.tokens-file"));
    assertEquals("http://127.0.0.1:7700", layout.node(1).apiUrl());
    assertEquals("http://127.0.0.1:7702", layout.node(1).managementUrl());
    SluiceSettings settings =
        SluiceSettings.from(SluiceConfigLoader.load(layout.node(1).configFile(), Map.of()));
    assertFalse(settings.security().tls().enabled());
    assertFalse(Files.exists(tmp.resolve("security")), "no key material with --insecure");
  }

  @Test
  void clientConfNamesEveryNodeNodeOneFirstAndTheClusterCaAndAdminToken() throws IOException {
    LocalClusterLayout secure = LocalClusterLayout.of(tmp.resolve("s"), 2, 7700, Map.of());
    secure.writeConfigs();
    ClientConf conf = ClientConf.read(secure.clientConf());
    assertEquals(
        Optional.of(
            List.of(URI.create("https://127.0.0.1:7700"), URI.create(secure.node(2).apiUrl()))),
        conf.server());
    assertEquals(Optional.of(secure.caPem()), conf.caFile());
    assertEquals(Optional.of(secure.adminTokenFile()), conf.tokenFile());
    // Relative paths: a moved directory keeps working.
    assertTrue(Files.readString(secure.clientConf()).contains("\"security/ca.pem\""));

    LocalClusterLayout insecure =
        LocalClusterLayout.of(
            tmp.resolve("i"), 2, 7800, Map.of(), LocalClusterLayout.Security.INSECURE);
    insecure.writeConfigs();
    ClientConf plain = ClientConf.read(insecure.clientConf());
    assertEquals(
        Optional.of(
            List.of(URI.create("http://127.0.0.1:7800"), URI.create(insecure.node(2).apiUrl()))),
        plain.server());
    assertEquals(Optional.empty(), plain.caFile());
    assertEquals(Optional.empty(), plain.tokenFile());
  }

  @Test
  void securityKeysBelongToTheLayout() {
    for (String key :
        List.of(
            "sluice.security.tls.enabled",
            "sluice.security.tls.key-store",
            "sluice.security.api.auth",
            "sluice.security.api.tokens-file",
            "sluice.security.management.auth")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> LocalClusterLayout.of(tmp, 1, 7700, Map.of(key, "x")));
      assertTrue(e.getMessage().startsWith("--set " + key + ": local-cluster sets"), e::getMessage);
      assertTrue(e.getMessage().contains("--insecure"), e::getMessage);
    }
    // Keys the layout does not set stay the user's.
    LocalClusterLayout layout =
        LocalClusterLayout.of(tmp, 1, 7700, Map.of("sluice.security.tls.protocols", "TLSv1.2"));
    assertTrue(layout.nodeConf(layout.node(1)).contains("sluice.security.tls.protocols"));
  }

  @Test
  void insecureOnANetworkAddressNeedsAllowPlaintextOnNetwork() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LocalClusterLayout.of(
                    tmp,
                    1,
                    7700,
                    Map.of("sluice.node.host", "10.0.0.5"),
                    LocalClusterLayout.Security.INSECURE));
    assertTrue(
        e.getMessage()
            .startsWith("--insecure with --set sluice.node.host=10.0.0.5: not a loopback address"),
        e::getMessage);
    assertTrue(
        e.getMessage().contains("--set sluice.security.allow-plaintext-on-network=on"),
        e::getMessage);

    LocalClusterLayout allowed =
        LocalClusterLayout.of(
            tmp,
            1,
            7700,
            Map.of(
                "sluice.node.host", "10.0.0.5", "sluice.security.allow-plaintext-on-network", "on"),
            LocalClusterLayout.Security.INSECURE);
    assertEquals("http://10.0.0.5:7700", allowed.node(1).apiUrl());
    // Secure on a network address, and insecure on loopback names, need nothing more.
    LocalClusterLayout.of(tmp, 1, 7700, Map.of("sluice.node.host", "10.0.0.5"));
    LocalClusterLayout.of(
        tmp,
        1,
        7700,
        Map.of("sluice.node.host", "localhost"),
        LocalClusterLayout.Security.INSECURE);
  }

  @Test
  void upMembersAreReadFromTheManagementAnswer() {
    String json =
        """
        {"leader":"pekko://sluice@127.0.0.1:7703",
         "members":[
           {"node":"pekko://sluice@127.0.0.1:7703","nodeUid":"1","roles":["dc-default"],"status":"Up"},
           {"node":"pekko://sluice@127.0.0.1:7713","nodeUid":"2","roles":["dc-default"],"status":"Joining"},
           {"node":"pekko://sluice@127.0.0.1:7723","nodeUid":"3","roles":["dc-default"],"status":"Up"}],
         "unreachable":[]}
        """;

    assertEquals(
        Set.of("pekko://sluice@127.0.0.1:7703", "pekko://sluice@127.0.0.1:7723"),
        LocalClusterProbe.upMembers(json));
    assertEquals(Set.of(), LocalClusterProbe.upMembers("not json"));
  }

  private static void assertPorts(
      LocalClusterNode node, int api, int replication, int management, int cluster) {
    assertEquals(
        List.of(api, replication, management, cluster),
        List.of(node.apiPort(), node.replicationPort(), node.managementPort(), node.clusterPort()),
        "ports of node " + node.id());
  }
}
