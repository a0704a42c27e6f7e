package dev.sluice.node;

import com.typesafe.config.Config;
import dev.sluice.config.SluiceSettings;
import dev.sluice.node.api.ClientApi;
import dev.sluice.node.api.ConsumeHandler;
import dev.sluice.node.api.ProduceHandler;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.ControllerSingleton;
import dev.sluice.node.controller.ElectionPolicy;
import dev.sluice.node.management.NodeManagement;
import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.ReplicaManager;
import dev.sluice.replication.leader.LeaderSettings;
import dev.sluice.replication.transfer.LeaderTransferServer;
import dev.sluice.replication.transfer.TransferSettings;
import dev.sluice.replication.watchdog.StallWatchdog;
import dev.sluice.replication.watchdog.WatchdogState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Sluice node: a cluster member hosting the controller singleton (when it is the oldest),
 * its local partition replicas, the client HTTP API and management.
 *
 * <p>{@link #start} validates the settings before anything binds a port: a node with a broken
 * config fails with every violation listed and leaves no listener behind.
 */
public final class SluiceNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SluiceNode.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final SluiceSettings settings;
  private final LocalReplicas replicas;
  private final ServerBinding api;
  private final LeaderTransferServer replicationServer;
  private final long startedNanos = System.nanoTime();

  private SluiceNode(
      ActorSystem<Void> system,
      SluiceSettings settings,
      LocalReplicas replicas,
      ServerBinding api,
      LeaderTransferServer replicationServer) {
    this.system = system;
    this.settings = settings;
    this.replicas = replicas;
    this.api = api;
    this.replicationServer = replicationServer;
  }

  /** Starts a node from a fully resolved config and returns once its HTTP API is bound. */
  public static SluiceNode start(Config config) {
    SluiceSettings settings = SluiceSettings.from(config);
    try {
      Files.createDirectories(settings.node().dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create sluice.data-dir " + settings.node().dataDir(), e);
    }
    StorageId storageId = StorageId.loadOrCreate(settings.node().dataDir());
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), NodeConfig.SYSTEM_NAME, NodeConfig.forNode(settings, config));
    try {
      return init(system, settings, storageId);
    } catch (RuntimeException | Error e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * Runs a node until the process is told to stop (SIGTERM, a graceful leave). A node the cluster
   * removed, because it was unreachable for longer than the split brain resolver waits (a long GC,
   * SIGSTOP, a frozen VM, a network partition) or because it could not join, does not exit: it
   * starts a fresh actor system in the same process and joins again as a new incarnation, after a
   * delay that grows while removals repeat. Its replicas reopen from disk as followers and cut any
   * suffix the new leaders do not have (by leader epoch) before serving.
   *
   * <p>Why in the process rather than exit and be restarted: a supervisor restarts a failed
   * process, but a node that was downed ran a clean shutdown; nothing outside (systemd's {@code
   * Restart=on-failure}, {@code local-cluster}, a test harness) would bring it back, and a cluster
   * that loses a node at every pause shrinks to nothing. Staying in the process needs no supervisor
   * at all; a start that fails outright still ends the process with an error.
   */
  public static void runBlocking(Config config) {
    Duration delay = Duration.ZERO;
    while (true) {
      SluiceNode node = start(config);
      Optional<CoordinatedShutdown.Reason> reason = node.awaitTermination();
      if (reason.isEmpty() || !rejoins(reason.get())) {
        return;
      }
      delay = RejoinDelay.next(delay, node.uptime());
      log.warn(
          "Sluice node {} was removed from the cluster ({}); rejoining as a new incarnation in {} ms",
          node.settings.node().id(),
          reason.get(),
          delay.toMillis());
      try {
        Thread.sleep(delay.toMillis()); // between two actor systems: nothing to wait on but time
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Removals by the cluster bring the node back; a requested stop does not. */
  static boolean rejoins(CoordinatedShutdown.Reason reason) {
    return reason.equals(CoordinatedShutdown.clusterDowningReason())
        || reason.equals(CoordinatedShutdown.clusterJoinUnsuccessfulReason());
  }

  /** Blocks until the actor system terminated; returns why it was shut down, if known. */
  private Optional<CoordinatedShutdown.Reason> awaitTermination() {
    system.getWhenTerminated().toCompletableFuture().join();
    return CoordinatedShutdown.get(system).getShutdownReason();
  }

  private Duration uptime() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /**
   * Wires the node's components into an existing ActorSystem; {@code storageId} is the one of
   * {@code settings}' data directory ({@link StorageId#loadOrCreate}).
   */
  public static SluiceNode init(
      ActorSystem<Void> system, SluiceSettings settings, StorageId storageId) {
    Cluster cluster = Cluster.get(system);
    if (settings.cluster().seedNodes().isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    Executor blocking =
        system
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig(NodeConfig.BLOCKING_IO_DISPATCHER));
    await(ControllerSingleton.prepareJournal(system), "controller journal schema");
    ActorRef<Controller.Command> controller =
        ControllerSingleton.init(
            system, ElectionPolicy.of(settings.replication().uncleanLeaderElection()));

    LocalReplicas replicas =
        new LocalReplicas(
            settings.node().id(), settings.node().dataDir(), settings.storage(), Clock.systemUTC());
    LeaderSettings leaderSettings =
        LeaderSettings.of(
            settings.node().id(),
            settings.replication().minInSyncReplicas(),
            settings.replication().replicaLagTimeMax());
    AppliedMetadata metadata = new AppliedMetadata();
    TransferSettings transfer = transferSettings(settings);
    WatchdogState watchdogState = new WatchdogState();
    ActorRef<StallWatchdog.Command> watchdog =
        system.systemActorOf(
            StallWatchdog.create(settings.watchdog(), watchdogState, System::nanoTime),
            "stall-watchdog",
            Props.empty());
    system.systemActorOf(
        ReplicaManager.create(
            replicas, metadata, controller, transfer, leaderSettings, watchdog, watchdogState),
        "replica-manager",
        DispatcherSelector.fromConfig(NodeConfig.BLOCKING_IO_DISPATCHER));

    ControllerTopicService topics = new ControllerTopicService(system, controller, metadata);
    ClientApi routes =
        new ClientApi(
            system,
            topics,
            new ProduceHandler(
                system,
                replicas,
                topics,
                settings.storage().maxBatchBytes(),
                settings.api().requestTimeout(),
                blocking),
            new ConsumeHandler(replicas, topics, blocking));
    ServerBinding binding =
        await(
            Http.get(system)
                .newServerAt(settings.node().host(), settings.api().port())
                .bind(routes.routes()),
            "client API on port " + settings.api().port());

    LeaderTransferServer replicationServer =
        await(
            LeaderTransferServer.bind(
                system, settings.node().host(), settings.replication().port(), replicas, transfer),
            "replication server on port " + settings.replication().port());

    NodeManagement.init(system, settings.node().id(), replicas, watchdogState, metadata);
    int managementPort =
        await(
                PekkoManagement.get(system).start(),
                "management on port " + settings.management().port())
            .getPort();
    NodeAddress self =
        new NodeAddress(
            cluster.selfMember().address().toString(),
            settings.node().host(),
            binding.localAddress().getPort(),
            replicationServer.address().getPort(),
            managementPort);
    system.systemActorOf(
        NodeMembership.create(settings.node().id(), self, storageId, controller, metadata),
        "membership",
        Props.empty());

    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "sluice-unbind-api",
            () -> binding.unbind().thenApply(x -> Done.getInstance()));
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "sluice-unbind-replication",
            replicationServer::unbind);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "sluice-close-logs",
            () -> {
              replicas.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    log.info(
        "Sluice node {} up: api {}, management {}, replication {}:{}, cluster {}",
        settings.node().id(),
        self.apiUri(),
        managementPort,
        self.host(),
        self.replicationPort(),
        self.clusterAddress());
    return new SluiceNode(system, settings, replicas, binding, replicationServer);
  }

  /** Leader heartbeats: a few per watchdog interval, so a silent connection is noticed early. */
  static TransferSettings transferSettings(SluiceSettings settings) {
    java.time.Duration heartbeat = settings.watchdog().interval();
    return TransferSettings.from(settings.replication(), heartbeat);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage, String what) {
    try {
      return stage.toCompletableFuture().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + what, e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("could not start " + what + ": " + e.getCause(), e);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public SluiceSettings settings() {
    return settings;
  }

  public LocalReplicas replicas() {
    return replicas;
  }

  /** The server followers of this node's partitions connect to. */
  public LeaderTransferServer replicationServer() {
    return replicationServer;
  }

  public int apiPort() {
    return api.localAddress().getPort();
  }

  public URI apiUri() {
    return URI.create("http://" + settings.node().host() + ":" + apiPort());
  }

  /** Leaves the cluster and stops, closing every log. */
  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }
}
