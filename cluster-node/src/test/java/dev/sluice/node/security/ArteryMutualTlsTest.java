package dev.sluice.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.sluice.node.SluiceNode;
import dev.sluice.node.TestCluster;
import dev.sluice.node.TestNodes;
import dev.sluice.security.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.GetCurrentState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The cluster port runs Artery {@code tls-tcp} with mutual authentication: two nodes with
 * certificates of the cluster CA form a cluster; a node whose certificate comes from another CA,
 * started on the same seeds (and trusting both CAs, so that it gets as far as presenting its
 * certificate), is refused during the TLS handshake and never becomes a member.
 */
class ArteryMutualTlsTest {
  private static final TestPki PKI = TestPki.shared();

  @TempDir Path dir;

  @Test
  void nodesOfTheClusterCaFormAClusterAndAForeignNodeCannotJoin() throws Exception {
    try (TestCluster cluster = TestCluster.startSecure(dir.resolve("cluster"), 2, Map.of());
        RefusedHandshakes refused = RefusedHandshakes.attach()) {
      List<String> seeds = cluster.nodes().stream().map(n -> n.address().clusterAddress()).toList();
      Set<String> goodPair = Set.copyOf(seeds);
      assertEquals(goodPair, members(cluster.node(1)));

      try (SluiceNode foreign = SluiceNode.start(foreignNode(seeds))) {
        // the foreign node dialled both seeds and each refused its certificate
        for (String seed : seeds) {
          cluster.awaitCondition(
              () -> refused.to(seed), "a refused TLS handshake of the foreign node with " + seed);
        }
        // what the good pair knows, asked of the cluster itself after the refusals
        for (SluiceNode node : cluster.nodes()) {
          TestProbe<ClusterEvent.CurrentClusterState> probe = TestProbe.create(node.system());
          Cluster.get(node.system()).subscriptions().tell(new GetCurrentState(probe.ref()));
          ClusterEvent.CurrentClusterState state = probe.receiveMessage();
          Set<String> members =
              StreamSupport.stream(state.getMembers().spliterator(), false)
                  .map(m -> m.address().toString())
                  .collect(Collectors.toSet());
          assertEquals(goodPair, members, "members seen by " + node.address().clusterAddress());
          assertTrue(state.getUnreachable().isEmpty(), "unreachable: " + state.getUnreachable());
        }
        assertEquals(2, TestCluster.upMembers(cluster.node(1)));
        assertTrue(
            members(foreign).stream().noneMatch(goodPair::contains),
            "the foreign node sees " + members(foreign));
      }
    }
  }

  /** Node 3 of the foreign CA, trusting both CAs, with a journal of its own. */
  private Config foreignNode(List<String> seeds) throws Exception {
    Path bundle = dir.resolve("both-cas.pem");
    Files.writeString(bundle, Files.readString(PKI.caPem()) + Files.readString(PKI.foreignCaPem()));
    Map<String, String> keys = new HashMap<>();
    keys.put("sluice.node.id", "3");
    keys.put("sluice.data-dir", dir.resolve("foreign/node-3").toString());
    keys.put("sluice.security.tls.enabled", "on");
    keys.put("sluice.security.tls.key-store", PKI.foreignNodeP12(3).toString());
    keys.put("sluice.security.tls.key-store-password-file", PKI.passwordFile().toString());
    keys.put("sluice.security.tls.ca-file", bundle.toString());
    return ConfigFactory.empty()
        .withValue("sluice.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds))
        .withFallback(TestNodes.singleNode(dir.resolve("foreign"), keys));
  }

  private static Set<String> members(SluiceNode node) {
    return StreamSupport.stream(
            Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .map(Member::address)
        .map(Object::toString)
        .collect(Collectors.toSet());
  }

  /** Pekko's WARNs of outbound cluster connections that failed in the TLS handshake, by target. */
  private static final class RefusedHandshakes extends AppenderBase<ILoggingEvent>
      implements AutoCloseable {
    private final Set<String> messages = ConcurrentHashMap.newKeySet();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    static RefusedHandshakes attach() {
      RefusedHandshakes appender = new RefusedHandshakes();
      appender.setContext(appender.root.getLoggerContext());
      appender.start();
      appender.root.addAppender(appender);
      return appender;
    }

    @Override
    protected void append(ILoggingEvent event) {
      String message = event.getFormattedMessage();
      if (message != null && message.contains("SSLHandshakeException")) {
        messages.add(message);
      }
    }

    boolean to(String address) {
      return messages.stream()
          .anyMatch(m -> m.contains("outbound connection to [" + address + "]"));
    }

    @Override
    public void close() {
      root.detachAppender(this);
      stop();
    }
  }
}
