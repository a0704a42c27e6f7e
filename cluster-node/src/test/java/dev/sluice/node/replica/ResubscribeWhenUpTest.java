package dev.sluice.node.replica;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node's replica manager subscribes to the controller's metadata again once the node is Up: the
 * subscription it made while joining can be dropped by the controller (its watch of a subscriber on
 * a node that is not yet a member fires at once), and the timer's next try is seconds away.
 */
class ResubscribeWhenUpTest {

  private final ActorTestKit kit =
      ActorTestKit.create(
          "ResubscribeWhenUpTest",
          ConfigFactory.parseString(
                  String.join(
                      "\n",
                      "pekko.actor.provider = cluster",
                      "pekko.remote.artery.canonical { hostname = \"127.0.0.1\", port = 0 }",
                      "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"))
              .withFallback(ConfigFactory.defaultReference()));

  @AfterEach
  void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void theManagerIsToldToResubscribeWhenTheNodeIsUpAndNotBefore() {
    TestProbe<ReplicaManager.Command> manager = kit.createTestProbe();
    ReplicaManager.resubscribeWhenUp(kit.system(), manager.ref());

    // Not a member yet: nothing to resubscribe for.
    manager.expectNoMessage(Duration.ofMillis(200));

    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));

    assertInstanceOf(
        ReplicaManager.Resubscribe.class, manager.receiveMessage(Duration.ofSeconds(20)));
    manager.expectNoMessage(Duration.ofMillis(200));
  }
}
