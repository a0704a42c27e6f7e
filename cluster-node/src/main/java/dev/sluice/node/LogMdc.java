package dev.sluice.node;

import dev.sluice.replication.protocol.PartitionId;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.MDC;

/**
 * The diagnostic context of a node's log lines: {@value #NODE}, {@value #TOPIC} and {@value
 * #PARTITION} where they are known, so that the JSON log format (logback's {@code JsonEncoder}, see
 * {@code logback.xml}) can be filtered by node and partition. Actors get it through {@link
 * Behaviors#withMdc} around every message they process; other code sets it around its log calls.
 *
 * <p>Thread-safety: stateless; slf4j's MDC is per thread.
 */
public final class LogMdc {
  public static final String NODE = "node";
  public static final String TOPIC = "topic";
  public static final String PARTITION = "partition";

  private LogMdc() {}

  /** The context of one replica's log lines. */
  public static Map<String, String> of(int node, PartitionId partition) {
    return Map.of(
        NODE,
        Integer.toString(node),
        TOPIC,
        partition.topic(),
        PARTITION,
        Integer.toString(partition.partition()));
  }

  /** {@code behavior} with the replica's context on every log line it writes. */
  public static <T> Behavior<T> around(
      Class<T> protocol, int node, PartitionId partition, Behavior<T> behavior) {
    return Behaviors.withMdc(protocol, of(node, partition), behavior);
  }

  /** Runs {@code logCall} with the replica's context set, and removes it afterwards. */
  public static void run(int node, PartitionId partition, Runnable logCall) {
    Map<String, String> context = of(node, partition);
    context.forEach(MDC::put);
    try {
      logCall.run();
    } finally {
      context.keySet().forEach(MDC::remove);
    }
  }
}
