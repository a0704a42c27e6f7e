package dev.sluice.node;

import dev.sluice.api.ProducerIdResponse;
import dev.sluice.node.controller.Controller;
import dev.sluice.node.http.ApiException;
import dev.sluice.node.http.ProducerIdService;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * This node's supply of producer ids: a block taken from the controller ({@link
 * Controller.AllocateProducerIds}, {@code sluice.controller.producer-id-block} ids at a time),
 * handed out one id per {@link Next}, and the next block asked for when it runs out. The controller
 * journals every block before answering, so two nodes, or this node before and after a restart,
 * never hand out the same id; the unused rest of a block is lost when the node stops.
 *
 * <p>Transitions:
 *
 * <pre>
 * empty     -> fetching   Next: asks the controller for a block; the request waits
 * fetching  -> fetching   Next: waits with the others (one ask at a time, however many requests)
 * fetching  -> serving    a block: waiting requests get its ids in arrival order; ids left over
 * fetching  -> fetching   a block used up by the waiting requests: asks for the next one
 * fetching  -> empty      no block (no answer in time, or refused): every waiting request gets
 *                         {@link Unavailable}; the next request asks again
 * serving   -> serving    Next: answered from the block at once
 * serving   -> empty      Next takes the block's last id
 * </pre>
 *
 * <p>Invariant: an id is answered at most once, because only this actor hands ids out and its block
 * only moves forward. Thread-safety: an actor; state lives in its behaviours.
 */
public final class ProducerIds {

  public sealed interface Command {}

  /** Hands out one producer id; answered with {@link Allocated} or {@link Unavailable}. */
  public record Next(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply {}

  public record Allocated(long producerId) implements Reply {}

  /** No block could be had from the controller; {@code reason} says why. */
  public record Unavailable(String reason) implements Reply {}

  private record BlockAnswered(Controller.ProducerIdsReply reply, Throwable failure)
      implements Command {}

  private final ActorContext<Command> context;
  private final ActorRef<Controller.Command> controller;
  private final int blockSize;
  private final Duration askTimeout;

  /**
   * @param blockSize ids asked for at a time ({@code sluice.controller.producer-id-block})
   * @param askTimeout how long one ask to the controller may take
   */
  public static Behavior<Command> create(
      ActorRef<Controller.Command> controller, int blockSize, Duration askTimeout) {
    if (blockSize < 1) {
      throw new IllegalArgumentException("producer id block of " + blockSize + " ids; at least 1");
    }
    return Behaviors.setup(ctx -> new ProducerIds(ctx, controller, blockSize, askTimeout).empty());
  }

  /**
   * The client API's view of {@code producerIds}: an id per call, a 503 when none can be had within
   * {@code timeout}.
   */
  public static ProducerIdService service(
      ActorSystem<?> system, ActorRef<Command> producerIds, Duration timeout) {
    return () -> {
      CompletionStage<Reply> reply =
          AskPattern.ask(producerIds, Next::new, timeout, system.scheduler());
      return reply.handle(
          (r, failure) -> {
            if (r instanceof Allocated a) {
              return new ProducerIdResponse(a.producerId(), (short) 0);
            }
            String why =
                r instanceof Unavailable u
                    ? u.reason()
                    : "no answer within " + timeout.toMillis() + "ms (" + failure + ")";
            throw new ApiException(
                503, "no producer id could be given out now: " + why + "; retry");
          });
    };
  }

  private ProducerIds(
      ActorContext<Command> context,
      ActorRef<Controller.Command> controller,
      int blockSize,
      Duration askTimeout) {
    this.context = context;
    this.controller = controller;
    this.blockSize = blockSize;
    this.askTimeout = askTimeout;
  }

  private Behavior<Command> empty() {
    return Behaviors.receive(Command.class)
        .onMessage(Next.class, m -> fetch(new ArrayDeque<>(List.of(m.replyTo()))))
        .onMessage(BlockAnswered.class, m -> Behaviors.same()) // only while fetching
        .build();
  }

  private Behavior<Command> fetching(Deque<ActorRef<Reply>> waiting) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Next.class,
            m -> {
              waiting.addLast(m.replyTo());
              return Behaviors.same();
            })
        .onMessage(BlockAnswered.class, m -> onBlockAnswered(waiting, m))
        .build();
  }

  /** {@code next} is the block's next id, {@code end} one past its last. */
  private Behavior<Command> serving(long next, long end) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Next.class,
            m -> {
              m.replyTo().tell(new Allocated(next));
              return next + 1 == end ? empty() : serving(next + 1, end);
            })
        .onMessage(BlockAnswered.class, m -> Behaviors.same()) // only while fetching
        .build();
  }

  private Behavior<Command> fetch(Deque<ActorRef<Reply>> waiting) {
    context.ask(
        Controller.ProducerIdsReply.class,
        controller,
        askTimeout,
        replyTo -> new Controller.AllocateProducerIds(blockSize, replyTo),
        BlockAnswered::new);
    return fetching(waiting);
  }

  private Behavior<Command> onBlockAnswered(Deque<ActorRef<Reply>> waiting, BlockAnswered m) {
    if (!(m.reply() instanceof Controller.ProducerIdBlock block)) {
      String reason =
          m.reply() instanceof Controller.ProducerIdsRejected r
              ? "the controller refused a block of " + blockSize + " ids: " + r.message()
              : "the controller did not answer within "
                  + askTimeout.toMillis()
                  + "ms ("
                  + m.failure()
                  + ")";
      context.getLog().warn("No producer id block for {} requests: {}", waiting.size(), reason);
      for (ActorRef<Reply> w : waiting) {
        w.tell(new Unavailable(reason));
      }
      return empty();
    }
    long next = block.firstId();
    long end = block.firstId() + block.count();
    context
        .getLog()
        .info("Producer ids {} to {} taken from the controller", block.firstId(), end - 1);
    while (next < end && !waiting.isEmpty()) {
      waiting.removeFirst().tell(new Allocated(next++));
    }
    if (!waiting.isEmpty()) {
      return fetch(waiting);
    }
    return next < end ? serving(next, end) : empty();
  }
}
