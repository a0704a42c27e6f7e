package dev.sluice.replication.follower;

import dev.sluice.log.PartitionLog;
import dev.sluice.replication.protocol.Frame;
import dev.sluice.replication.protocol.PartitionId;
import dev.sluice.replication.transfer.FollowerEvent;
import dev.sluice.replication.transfer.FollowerSession;
import dev.sluice.replication.transfer.FollowerTransfer;
import dev.sluice.replication.transfer.TransferSettings;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Everything a {@link FollowerReplica} needs, given by the node that owns the replica. The log is
 * open and owned by the node: the follower writes to it but never closes it.
 *
 * @param replicaId this node's id, sent to the leader in the handshake
 * @param replicationAddressOfNode a node's replication address; empty when unknown or offline.
 *     Asked at every attempt, so a moved leader is found; called on the actor thread, must not
 *     block
 * @param leaderNode the leader's node id when the follower starts
 * @param leaderEpoch the leader epoch when the follower starts
 * @param status where the follower publishes its state; shared with the node and the watchdog
 * @param nanoClock monotonic time in nanoseconds for progress timestamps and attempt durations, the
 *     same clock the watchdog compares {@link FollowerStatus.Snapshot#lastProgressNanos} with
 * @param random jitter of the backoff, values in [0, 1)
 * @param attempts opens one connection attempt; {@link #TCP_ATTEMPTS} except in tests
 * @param topicId the topic incarnation the log belongs to, sent in every handshake ({@link
 *     Frame.Hello#NO_TOPIC_ID} if it names none)
 */
public record FollowerSetup(
    int replicaId,
    PartitionId partition,
    PartitionLog log,
    IntFunction<Optional<InetSocketAddress>> replicationAddressOfNode,
    int leaderNode,
    int leaderEpoch,
    TransferSettings settings,
    FollowerStatus status,
    LongSupplier nanoClock,
    DoubleSupplier random,
    AttemptFactory attempts,
    String topicId) {

  /**
   * Opens one connection attempt: a source that emits the attempt's events, completes when the
   * leader closes the connection and fails on any error. It must recompute its start from {@code
   * session} (as {@link FollowerTransfer#attempt} does) so a retry resumes.
   */
  @FunctionalInterface
  public interface AttemptFactory {
    Source<FollowerEvent, ?> open(
        ActorSystem<?> system,
        FollowerSession session,
        InetSocketAddress leader,
        TransferSettings settings);

    /**
     * An attempt to the leader node {@code leaderNode}, which a secure transport checks the
     * leader's certificate against. What the follower calls; by default the node id is not needed.
     */
    default Source<FollowerEvent, ?> open(
        ActorSystem<?> system,
        FollowerSession session,
        int leaderNode,
        InetSocketAddress leader,
        TransferSettings settings) {
      return open(system, session, leader, settings);
    }
  }

  /** Real attempts over TCP (plaintext or TLS, as the settings say). */
  public static final AttemptFactory TCP_ATTEMPTS =
      new AttemptFactory() {
        @Override
        public Source<FollowerEvent, ?> open(
            ActorSystem<?> system,
            FollowerSession session,
            InetSocketAddress leader,
            TransferSettings settings) {
          return FollowerTransfer.attempt(system, session, leader, settings);
        }

        @Override
        public Source<FollowerEvent, ?> open(
            ActorSystem<?> system,
            FollowerSession session,
            int leaderNode,
            InetSocketAddress leader,
            TransferSettings settings) {
          return FollowerTransfer.attempt(system, session, leaderNode, leader, settings);
        }
      };

  public FollowerSetup {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(replicationAddressOfNode, "replicationAddressOfNode");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(nanoClock, "nanoClock");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(attempts, "attempts");
    Objects.requireNonNull(topicId, "topicId");
  }

  /** A production setup: system nano time, thread-local jitter, attempts over TCP. */
  public static FollowerSetup of(
      int replicaId,
      PartitionId partition,
      PartitionLog log,
      IntFunction<Optional<InetSocketAddress>> replicationAddressOfNode,
      int leaderNode,
      int leaderEpoch,
      TransferSettings settings,
      FollowerStatus status) {
    return new FollowerSetup(
        replicaId,
        partition,
        log,
        replicationAddressOfNode,
        leaderNode,
        leaderEpoch,
        settings,
        status,
        System::nanoTime,
        () -> ThreadLocalRandom.current().nextDouble(),
        TCP_ATTEMPTS,
        Frame.Hello.NO_TOPIC_ID);
  }

  public FollowerSetup withNanoClock(LongSupplier clock) {
    return withSeams(clock, random, attempts);
  }

  public FollowerSetup withRandom(DoubleSupplier jitter) {
    return withSeams(nanoClock, jitter, attempts);
  }

  public FollowerSetup withAttempts(AttemptFactory factory) {
    return withSeams(nanoClock, random, factory);
  }

  /** This setup for a log of the topic incarnation {@code id}. */
  public FollowerSetup withTopicId(String id) {
    return with(nanoClock, random, attempts, id);
  }

  /** This setup with other time, jitter and connections: what tests replace. */
  private FollowerSetup withSeams(
      LongSupplier clock, DoubleSupplier jitter, AttemptFactory factory) {
    return with(clock, jitter, factory, topicId);
  }

  private FollowerSetup with(
      LongSupplier clock, DoubleSupplier jitter, AttemptFactory factory, String id) {
    return new FollowerSetup(
        replicaId,
        partition,
        log,
        replicationAddressOfNode,
        leaderNode,
        leaderEpoch,
        settings,
        status,
        clock,
        jitter,
        factory,
        id);
  }
}
