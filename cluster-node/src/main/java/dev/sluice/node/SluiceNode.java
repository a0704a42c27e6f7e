package dev.sluice.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.sluice.config.ClusterSettings;
import dev.sluice.config.SecuritySettings;
import dev.sluice.config.SluiceSettings;
import dev.sluice.config.TlsSettings.Listener;
import dev.sluice.log.LogFormat;
import dev.sluice.node.auth.Authorizer;
import dev.sluice.node.auth.ManagementAuth;
import dev.sluice.node.auth.TokenStore;
import dev.sluice.node.cluster.IslandProbe;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.controller.ControllerSingleton;
import dev.sluice.node.controller.ElectionPolicy;
import dev.sluice.node.http.ApiMetrics;
import dev.sluice.node.http.ClientApi;
import dev.sluice.node.http.ConsumeHandler;
import dev.sluice.node.http.ProduceHandler;
import dev.sluice.node.management.ClusterStatusService;
import dev.sluice.node.management.NodeManagement;
import dev.sluice.node.management.NodeMetrics;
import dev.sluice.node.management.NodeState;
import dev.sluice.node.management.StalledReplicasReporter;
import dev.sluice.node.replica.AppliedMetadata;
import dev.sluice.node.replica.LocalReplicas;
import dev.sluice.node.replica.ReplicaDirectories;
import dev.sluice.node.replica.ReplicaManager;
import dev.sluice.node.security.H2Journal;
import dev.sluice.node.security.NodeTls;
import dev.sluice.replication.BlockingIo;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.setup.Setup;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Sluice node: a cluster member hosting the controller singleton (when it is the oldest),
 * its local partition replicas, the client HTTP API and management.
 *
 * <p>{@link #start} validates the settings before anything binds a port: a node with a broken
 * config fails with every violation listed and leaves no listener behind. The same holds for the
 * key material ({@link NodeTls}), the tokens file and the H2 journal's password and bind address
 * ({@link H2Journal}): each is read and checked before the first listener binds.
 *
 * <p>{@code sluice.security} decides how the listeners are protected: with TLS on, Artery runs
 * {@code tls-tcp} with mutual authentication, the replication port mutual TLS, the client API and
 * management HTTPS; with {@code api.auth = tokens} the client API wants bearer tokens, with {@code
 * management.auth = tokens} management wants an admin token as its Basic password.
 */
public final class SluiceNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SluiceNode.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final SluiceSettings settings;
  private final LocalReplicas replicas;
  private final ServerBinding api;
  private final LeaderTransferServer replicationServer;
  private final NodeAddress address;
  private final CompletableFuture<Done> logsClosed;
  private final long startedNanos = System.nanoTime();

  private SluiceNode(
      ActorSystem<Void> system,
      SluiceSettings settings,
      LocalReplicas replicas,
      ServerBinding api,
      LeaderTransferServer replicationServer,
      NodeAddress address,
      CompletableFuture<Done> logsClosed) {
    this.system = system;
    this.settings = settings;
    this.replicas = replicas;
    this.api = api;
    this.replicationServer = replicationServer;
    this.address = address;
    this.logsClosed = logsClosed;
  }

  /** Starts a node from a fully resolved config and returns once its HTTP API is bound. */
  public static SluiceNode start(Config config) {
    return start(config, ControllerSingleton::prepareJournal);
  }

  /**
   * As {@link #start(Config)}, with {@code journalSchema} preparing the controller journal's schema
   * in the new actor system (see {@link #init(ActorSystem, SluiceSettings, StorageId, NodeTls,
   * CompletionStage)}).
   */
  static SluiceNode start(
      Config config, Function<ActorSystem<Void>, CompletionStage<Done>> journalSchema) {
    SluiceSettings settings = SluiceSettings.from(config);
    try {
      Files.createDirectories(settings.node().dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create sluice.data-dir " + settings.node().dataDir(), e);
    }
    requireReadableLogs(settings);
    StorageId storageId = StorageId.loadOrCreate(settings.node().dataDir());
    NodeTls tls = NodeTls.load(settings.security().tls(), settings.node().id(), Clock.systemUTC());
    Optional<String> h2Password = Optional.empty();
    if (NodeConfig.usesH2(settings)) {
      H2Journal.defaultBindAddress();
      String url = NodeConfig.forNode(settings, config).getString(NodeConfig.H2_DB + ".url");
      h2Password =
          Optional.of(
              H2Journal.open(settings.controller(), NodeConfig.h2Path(settings), url).password());
    }
    List<Setup> setups = new ArrayList<>();
    setups.add(BootstrapSetup.create(NodeConfig.forNode(settings, config, h2Password)));
    tls.arterySetup().ifPresent(setups::add);
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            NodeConfig.SYSTEM_NAME,
            ActorSystemSetup.create(setups.toArray(new Setup[0])));
    try {
      return init(system, settings, storageId, tls, journalSchema.apply(system));
    } catch (RuntimeException | Error e) {
      // A failed start stops everything it started before it reports: the caller (a retrying
      // supervisor, a test cleaning its data directory) must not race the system's shutdown,
      // which still closes logs and the journal's connections in the data directory.
      system.terminate();
      try {
        system
            .getWhenTerminated()
            .toCompletableFuture()
            .get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        e.addSuppressed(interrupted);
      } catch (java.util.concurrent.ExecutionException
          | java.util.concurrent.TimeoutException notTerminated) {
        e.addSuppressed(
            new IllegalStateException(
                "the actor system did not terminate within "
                    + STARTUP_TIMEOUT.toSeconds()
                    + " s after the failed start",
                notTerminated));
      }
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
   *
   * <p>An actor system that does not finish terminating within {@code
   * sluice.node.shutdown-hang-timeout} after its shutdown closed every log halts the JVM ({@link
   * ShutdownGuard}): with exit code {@value ShutdownGuard#EXIT_CODE} when the node would have
   * rejoined, for its supervisor to start it again; with 0 when it was stopping on request.
   */
  public static void runBlocking(Config config) {
    Duration delay = Duration.ZERO;
    Config incarnation = config;
    while (true) {
      SluiceNode node = start(incarnation);
      incarnation = laterIncarnation(config);
      node.guardShutdown(
          ShutdownGuard.forProcess(
              "Sluice node " + node.settings.node().id(),
              node.settings.node().shutdownHangTimeout()));
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

  /**
   * The config of a new incarnation that rejoins after a removal: never forms a new cluster of its
   * own ({@link ClusterSettings#formNewCluster} holds for the process's first start alone), since
   * the cluster it was removed from runs.
   */
  static Config laterIncarnation(Config config) {
    return config.withValue(ClusterSettings.FORM_NEW_CLUSTER, ConfigValueFactory.fromAnyRef(false));
  }

  /** Removals by the cluster bring the node back; a requested stop does not. */
  static boolean rejoins(CoordinatedShutdown.Reason reason) {
    return reason.equals(CoordinatedShutdown.clusterDowningReason())
        || reason.equals(CoordinatedShutdown.clusterJoinUnsuccessfulReason());
  }

  /** Arms {@code guard} once this node's shutdown has closed every log. */
  void guardShutdown(ShutdownGuard guard) {
    logsClosed.thenRun(
        () -> {
          Optional<CoordinatedShutdown.Reason> reason =
              CoordinatedShutdown.get(system).getShutdownReason();
          guard.logsClosed(
              reason.map(Object::toString).orElse("reason unknown"),
              reason.map(SluiceNode::afterShutdown).orElse(ShutdownGuard.Then.STOPS),
              system.getWhenTerminated());
        });
  }

  /** What {@link #runBlocking} and {@link Main} do once a shutdown for {@code reason} is over. */
  static ShutdownGuard.Then afterShutdown(CoordinatedShutdown.Reason reason) {
    if (reason.equals(CoordinatedShutdown.jvmExitReason())) {
      return ShutdownGuard.Then.JVM_EXITS;
    }
    return rejoins(reason) ? ShutdownGuard.Then.REJOINS : ShutdownGuard.Then.STOPS;
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
   * {@code settings}' data directory ({@link StorageId#loadOrCreate}), {@code tls} the node's key
   * material ({@link NodeTls#load}; the actor system must have been created with its {@link
   * NodeTls#arterySetup()}).
   */
  public static SluiceNode init(
      ActorSystem<Void> system, SluiceSettings settings, StorageId storageId, NodeTls tls) {
    return init(system, settings, storageId, tls, ControllerSingleton.prepareJournal(system));
  }

  /**
   * As {@link #init(ActorSystem, SluiceSettings, StorageId, NodeTls)}, with the preparation of the
   * controller journal's schema already under way as {@code journalSchema}.
   *
   * <p>The schema is awaited last, not first: nothing of this node but the controller singleton
   * uses the journal, and the singleton prepares the schema itself before it recovers ({@link
   * ControllerSingleton}). Awaiting it first put the first connection to the journal (seconds on a
   * cold JVM: the JDBC pool, H2's AUTO_SERVER handshake) before the replica manager subscribed to
   * the controller, so a restarted follower learnt its assignment that much later. Awaiting it at
   * all keeps a node whose journal cannot be reached from starting.
   */
  static SluiceNode init(
      ActorSystem<Void> system,
      SluiceSettings settings,
      StorageId storageId,
      NodeTls tls,
      CompletionStage<Done> journalSchema) {
    Executor blocking = BlockingIo.executor(system);
    // Before anything binds: a broken tokens file fails the start with its problems listed.
    Optional<TokenStore> tokens = tokenStore(settings.security());
    system
        .scheduler()
        .scheduleAtFixedRate(
            NodeTls.EXPIRY_CHECK_INTERVAL,
            NodeTls.EXPIRY_CHECK_INTERVAL,
            tls::warnIfExpiring,
            system.executionContext());
    Cluster cluster = Cluster.get(system);
    if (settings.cluster().seedNodes().isEmpty() || settings.cluster().formNewCluster()) {
      if (!settings.cluster().seedNodes().isEmpty()) {
        // A manual join ends the seed-node process Pekko started from the seed list.
        log.info(
            "Sluice node {}: forming a new cluster at once ({} = on), not asking the seed nodes {}",
            settings.node().id(),
            ClusterSettings.FORM_NEW_CLUSTER,
            settings.cluster().seedNodes());
      }
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    // First of the node's actors: the other seeds' probes may ask as soon as Artery listens.
    system.systemActorOf(
        IslandProbe.create(
            settings.node().id(),
            system.settings().config().getStringList("pekko.cluster.seed-nodes")),
        IslandProbe.NAME,
        Props.empty());
    ActorRef<Controller.Command> controller =
        ControllerSingleton.init(
            system,
            ElectionPolicy.of(settings.replication().uncleanLeaderElection()),
            settings.controller().leaderBalance());

    LocalReplicas replicas =
        new LocalReplicas(
            settings.node().id(), settings.node().dataDir(), settings.storage(), Clock.systemUTC());
    LeaderSettings leaderSettings =
        LeaderSettings.of(
            settings.node().id(),
            settings.replication().minInSyncReplicas(),
            settings.replication().replicaLagTimeMax());
    AppliedMetadata metadata = new AppliedMetadata();
    TransferSettings transfer = transferSettings(settings).withSecurity(tls.transferSecurity());
    WatchdogState watchdogState = new WatchdogState();
    ActorRef<StallWatchdog.Command> watchdog =
        system.systemActorOf(
            StallWatchdog.create(settings.watchdog(), watchdogState, System::nanoTime),
            "stall-watchdog",
            Props.empty());
    ActorRef<ReplicaManager.Command> replicaManager =
        system.systemActorOf(
            ReplicaManager.create(
                replicas, metadata, controller, transfer, leaderSettings, watchdog, watchdogState),
            "replica-manager",
            BlockingIo.SELECTOR);
    ReplicaManager.resubscribeWhenUp(system, replicaManager);

    system.systemActorOf(
        StalledReplicasReporter.create(settings.node().id(), replicas, watchdogState),
        "stalled-replicas",
        Props.empty());

    int minInSync = settings.replication().minInSyncReplicas();
    NodeMetrics metrics = NodeMetrics.create(minInSync);
    system.getWhenTerminated().thenRun(metrics::close);
    ApiMetrics apiMetrics = ApiMetrics.of(metrics.registry());
    ControllerTopicService topics =
        new ControllerTopicService(system, controller, metadata, settings.storage());
    ActorRef<ProducerIds.Command> producerIds =
        system.systemActorOf(
            // Half the request's time for the controller, so that a request hears why, not a
            // bare timeout.
            ProducerIds.create(
                controller,
                settings.controller().producerIdBlock(),
                settings.api().requestTimeout().dividedBy(2)),
            "producer-ids",
            Props.empty());
    ClientApi routes =
        new ClientApi(
            topics,
            new ProduceHandler(
                system,
                replicas,
                topics,
                settings.storage().maxBatchBytes(),
                settings.api().inlineBatchBytes(),
                settings.api().requestTimeout(),
                blocking,
                apiMetrics),
            ProducerIds.service(system, producerIds, settings.api().requestTimeout()),
            new ConsumeHandler(replicas, topics, blocking, settings.api().maxFetchWait()),
            settings.security().api().auth() == SecuritySettings.AuthMode.TOKENS
                ? new Authorizer(tokens.orElseThrow(), settings.node().id())
                : Authorizer.none(),
            new ClusterStatusService(system, settings.node().id(), metadata, minInSync),
            apiMetrics);
    ServerBuilder apiServer =
        Http.get(system).newServerAt(settings.node().bindHost(), settings.api().port());
    if (tls.on(Listener.API)) {
      apiServer = apiServer.enableHttps(tls.httpsServer(Listener.API));
    }
    ServerBinding binding =
        await(
            apiServer.bind(routes.routes()),
            tls.scheme(Listener.API) + " client API on port " + settings.api().port());

    LeaderTransferServer replicationServer =
        await(
            LeaderTransferServer.bind(
                system,
                settings.node().bindHost(),
                settings.replication().port(),
                replicas,
                transfer),
            "replication server on port " + settings.replication().port());

    AtomicBoolean apiServing = new AtomicBoolean(true);
    NodeManagement.init(
        system,
        new NodeState.Components(
            settings.node().id(), replicas, watchdogState, metadata, apiServing::get),
        metrics);
    boolean managementAuth =
        settings.security().management().auth() == SecuritySettings.AuthMode.TOKENS;
    int managementPort =
        await(
                PekkoManagement.get(system)
                    .start(
                        s -> {
                          if (tls.on(Listener.MANAGEMENT)) {
                            s = s.withHttpsConnectionContext(tls.httpsServer(Listener.MANAGEMENT));
                          }
                          if (managementAuth) {
                            s = s.withAuth(new ManagementAuth(tokens.orElseThrow())::authenticate);
                          }
                          return s;
                        }),
                tls.scheme(Listener.MANAGEMENT)
                    + " management on port "
                    + settings.management().port())
            .getPort();
    NodeAddress self =
        new NodeAddress(
            cluster.selfMember().address().toString(),
            settings.node().host(),
            binding.localAddress().getPort(),
            replicationServer.address().getPort(),
            managementPort,
            tls.scheme(Listener.API));
    system.systemActorOf(
        NodeMembership.create(settings.node().id(), self, storageId, controller, metadata),
        "membership",
        Props.empty());

    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "sluice-unbind-api",
            () -> {
              apiServing.set(false); // readiness turns false before the port closes
              return binding.unbind().thenApply(x -> Done.getInstance());
            });
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "sluice-unbind-replication",
            replicationServer::unbind);
    CompletableFuture<Done> logsClosed = new CompletableFuture<>();
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "sluice-close-logs",
            () -> {
              try {
                replicas.close();
              } catch (RuntimeException | Error e) {
                logsClosed.completeExceptionally(e); // not closed cleanly: no guard may halt
                throw e;
              }
              logsClosed.complete(Done.getInstance());
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    await(journalSchema, "controller journal schema");
    if (settings.node().bindsElsewhere()) {
      log.info(
          "Sluice node {} listens on {} and advertises {}",
          settings.node().id(),
          settings.node().bindHost(),
          settings.node().host());
    }
    log.info(
        "Sluice node {} up: api {}, management {}://{}:{}, replication {}:{} ({}), cluster {} ({})",
        settings.node().id(),
        self.apiUri(),
        tls.scheme(Listener.MANAGEMENT),
        self.host(),
        managementPort,
        self.host(),
        self.replicationPort(),
        tls.on(Listener.REPLICATION) ? "mutual TLS" : "plaintext",
        self.clusterAddress(),
        tls.on(Listener.CLUSTER) ? "mutual TLS" : "plaintext");
    return new SluiceNode(system, settings, replicas, binding, replicationServer, self, logsClosed);
  }

  /** The tokens file, when the client API or management authenticates with tokens. */
  private static Optional<TokenStore> tokenStore(SecuritySettings security) {
    boolean needed =
        security.api().auth() == SecuritySettings.AuthMode.TOKENS
            || security.management().auth() == SecuritySettings.AuthMode.TOKENS;
    if (!needed) {
      return Optional.empty();
    }
    // The validator refuses tokens without a tokens-file; this names the key if that ever changes.
    java.nio.file.Path file =
        security
            .api()
            .tokensFile()
            .orElseThrow(
                () ->
                    new dev.sluice.config.SettingsException(
                        List.of(TokenStore.TOKENS_FILE_KEY + " = \"\": required with tokens")));
    return Optional.of(
        TokenStore.open(file, security.api().tokensReloadInterval(), Clock.systemUTC()));
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

  /** The client API's base URI: {@code https} when the API uses TLS. */
  public URI apiUri() {
    return address.apiUri();
  }

  /** How other nodes and clients reach this node, as registered with the controller. */
  public NodeAddress address() {
    return address;
  }

  /** Leaves the cluster and stops, closing every log. */
  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  /** Refuses to start on logs in a format this version cannot read, naming all of them at once. */
  private static void requireReadableLogs(SluiceSettings settings) {
    try {
      // A directory being deleted is removed at start-up, whatever its format.
      LogFormat.requireAll(
          settings.node().dataDir(),
          "node " + settings.node().id(),
          dir -> !dir.getFileName().toString().endsWith(ReplicaDirectories.DELETED_SUFFIX));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check the logs under " + settings.node().dataDir(), e);
    }
  }
}
