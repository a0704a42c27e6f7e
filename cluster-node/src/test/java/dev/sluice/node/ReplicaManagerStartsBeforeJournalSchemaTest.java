package dev.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.node.replica.ReplicaManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A starting node subscribes its replica manager to the controller while the controller journal's
 * schema is still being prepared: a restarted follower's assignment does not wait for the node's
 * first journal connection. The start still waits for the schema before it returns, and fails when
 * the schema cannot be prepared.
 */
class ReplicaManagerStartsBeforeJournalSchemaTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void theReplicaManagerRunsWhileTheSchemaIsPreparedAndTheStartWaitsForTheSchema()
      throws Exception {
    AtomicReference<ActorSystem<Void>> system = new AtomicReference<>();
    CountDownLatch created = new CountDownLatch(1);
    CompletableFuture<Done> schema = new CompletableFuture<>();
    CompletableFuture<SluiceNode> started =
        CompletableFuture.supplyAsync(
            () ->
                SluiceNode.start(
                    TestNodes.singleNode(dir, Map.of()),
                    sys -> {
                      system.set(sys);
                      created.countDown();
                      return schema;
                    }));
    try {
      assertTrue(created.await(WAIT.toSeconds(), TimeUnit.SECONDS), "no actor system created");
      TestProbe<Receptionist.Listing> probe = TestProbe.create(system.get());
      probe.awaitAssert(
          WAIT,
          () -> {
            system
                .get()
                .receptionist()
                .tell(Receptionist.find(ReplicaManager.SERVICE_KEY, probe.getRef()));
            Receptionist.Listing listing = probe.receiveMessage(Duration.ofSeconds(5));
            assertEquals(1, listing.getServiceInstances(ReplicaManager.SERVICE_KEY).size());
            return null;
          });
      assertFalse(started.isDone(), "the start returned before the journal schema was prepared");

      schema.complete(Done.getInstance());
      try (SluiceNode node = started.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        assertTrue(node.apiPort() > 0);
      }
    } finally {
      schema.complete(Done.getInstance());
      started.thenAccept(SluiceNode::close);
    }
  }

  @Test
  void aSchemaThatCannotBePreparedFailsTheStart() throws Exception {
    CompletableFuture<SluiceNode> started =
        CompletableFuture.supplyAsync(
            () ->
                SluiceNode.start(
                    TestNodes.singleNode(dir, Map.of()),
                    sys ->
                        CompletableFuture.<Done>failedFuture(
                            new IllegalStateException("journal unreachable"))));
    CompletionStage<Throwable> failure =
        started.handle(
            (node, e) -> {
              if (node != null) {
                node.close();
              }
              return e;
            });
    Throwable e = failure.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(
        e != null && String.valueOf(e.getMessage()).contains("controller journal schema"),
        String.valueOf(e));
  }
}
