package dev.sluice.client;

import dev.sluice.api.Acks;
import dev.sluice.api.ErrorBody;
import dev.sluice.api.Paths;
import dev.sluice.api.ProduceRecord;
import dev.sluice.api.ProduceResponse;
import dev.sluice.api.ProducerIdResponse;
import dev.sluice.api.RecordHeader;
import dev.sluice.format.Compression;
import dev.sluice.format.Header;
import dev.sluice.format.KafkaPartitioner;
import dev.sluice.format.MemoryBatchBuilder;
import dev.sluice.format.Record;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * A batching producer: {@link #send} returns at once with a future, records of a partition are
 * gathered into batches, and each batch is appended with one request ({@link
 * SluiceClient#appendBatch}), all or nothing, so that many small records cost one request and one
 * fsync instead of one each.
 *
 * <pre>{@code
 * try (SluiceProducer producer = SluiceProducer.builder(client).linger(Duration.ofMillis(5)).build()) {
 *   producer.send("orders", new ProduceRecord(key, value))
 *       .thenAccept(m -> System.out.println("written at " + m.partition() + "/" + m.offset()));
 * }
 * }</pre>
 *
 * <p><b>Partitioning.</b> A keyed record goes to Kafka's partition for its key ({@link
 * KafkaPartitioner#partitionForKey}: murmur2), so a key lands where a Kafka producer would put it.
 * Records without a key stick to one partition per topic until the batch they fill is closed, then
 * switch to another (Kafka's sticky partitioning). The partition count comes from {@link
 * SluiceClient#describeTopic}, cached per topic and read again after a failed batch.
 *
 * <p><b>Batching.</b> Each batch travels as one RecordBatch v2, Kafka's layout, built by the
 * producer ({@link MemoryBatchBuilder}) and stored by the server as sent. A record without a
 * timestamp gets the time {@link #send} was called. A partition's batch is sent when it reaches
 * {@code batchBytes}, counted as the bytes of the batch uncompressed (exactly: the 61-byte header
 * and each record's encoding), when {@code linger} has passed since its first record, or on {@link
 * #flush} and {@link #close}. A record larger than {@code batchBytes} is sent in a batch of its
 * own. At most {@code maxInFlight} batches per partition are in flight.
 *
 * <p><b>Compression</b> ({@link Builder#compression}; none by default). With gzip, snappy, lz4 or
 * zstd the records after the batch header are one compressed stream, as Kafka's producer writes
 * them; the server stores the batch as received and consumers get the records decoded. Like Kafka's
 * {@code batch.size}, {@code batchBytes} still counts the records uncompressed, because the
 * compressed size is known only once the batch is built: a compressed batch's request body is
 * usually much smaller than {@code batchBytes}. A batch is compressed once, on the sender thread
 * that first sends it, and a retry resends those bytes.
 *
 * <p><b>Retries.</b> A batch that fails with a retriable error (503: the leader moved or too few
 * replicas are in sync; 307 and 308 beyond the redirects the client follows; 408, 429, 502, 504; no
 * answer at all) is sent again after a backoff, with the same bytes, until it succeeds, {@code
 * retries} is used up or {@code deliveryTimeout} has passed since its first record was sent. A
 * retried batch goes back before every batch of its partition not sent yet, and batches being
 * resent go out one at a time in the order they were first sent. With idempotence, or with one
 * batch in flight, a partition's records are therefore written in the order of {@link #send},
 * retries included, unless a batch fails for good; without idempotence and with several in flight,
 * a batch that failed can land after a later one that did not. Errors a retry cannot cure (400
 * malformed, 401, 403, 404, 413 too large, ...) fail the batch at once. A failed batch completes
 * each of its futures with a {@link SluiceClientException} naming the topic, the partition, the
 * batch's size, its producer id and sequence, the attempts and the server's message.
 *
 * <p><b>Idempotence: no duplicates per producer session</b> (on by default). On first use the
 * producer asks the cluster for a producer id ({@link SluiceClient#newProducerId}, epoch 0). Each
 * partition has a sequence, starting at 0: a batch gets it when it is first sent (when it is built,
 * and no record can join it any more), and the sequence advances by the batch's record count,
 * wrapping from {@link Integer#MAX_VALUE} to 0. A retry resends exactly the same bytes, with the
 * same producer id, epoch and base sequence, and the partition's leader recognises a batch it
 * already holds among the producer's last 5 on that partition: it writes nothing and answers the
 * original offsets ({@code "duplicate": true}), with which the batch completes like any success.
 * The leader's memory of those batches is derived from its log and replicated with it, so a batch
 * written once is written once even when its answer was lost and the retry reaches another leader
 * after a failover; this is why {@code maxInFlight} is at most 5 with idempotence. A batch the
 * leader refuses as out of order (409 {@code OUT_OF_ORDER_SEQUENCE}) because an earlier batch of
 * the partition, still being retried, must come first is resent after that one (so is a batch
 * refused with {@code UNKNOWN_PRODUCER_ID} while the partition's sequence 0 is being retried). Any
 * other refusal of the sequences (409 {@code OUT_OF_ORDER_SEQUENCE}, {@code UNKNOWN_PRODUCER_ID},
 * {@code PRODUCER_FENCED}) ends the partition's session: the batch and the partition's other
 * outstanding batches of that producer id fail with a {@link SluiceClientException} naming the
 * producer id, the partition, the sequence and the expected one, and the partition goes on with a
 * new producer id from sequence 0. The guarantee therefore holds within one session (one producer
 * id on one partition), as for Kafka's idempotent producer without transactions. A batch that fails
 * for good after a lost answer, or expires, may have been written once. With {@code
 * idempotence(false)} a batch carries no producer id, and a retry after a lost answer <em>writes it
 * a second time</em>.
 *
 * <p><b>Size limit.</b> The server refuses a batch above its {@code sluice.api.inline-batch-bytes}
 * (16 MiB by default) or the partition's {@code max-batch-bytes} with 413, which is why {@code
 * batchBytes} is at most {@link #MAX_BATCH_BYTES}. A request body larger than {@link
 * #MAX_BATCH_BYTES} (a batch holding one record larger than {@code batchBytes}, or a compressed
 * batch of incompressible records, which the codec's framing makes slightly larger) is not sent:
 * its batch fails at once with status 413, naming its size and the limit; with idempotence, the
 * partition's next batch takes the sequences the leader never saw, unless a later batch holds
 * sequences already. A value that large is sent with {@link SluiceClient#append}, which streams it.
 *
 * <p><b>Memory.</b> Records wait in at most {@code bufferMemory} bytes; {@link #send} blocks while
 * it is full, for at most {@code maxBlock}, then fails the record's future. Blocked sends get
 * memory in the order they blocked, granted by the acknowledgement that frees it. An uncompressed
 * batch is encoded, when first sent, into a request buffer of {@code batchBytes} that the producer
 * reuses once the batch is acknowledged ({@link BatchBuffers}; at most {@code senderThreads} idle
 * ones are kept), so full batches cost no new array per request.
 *
 * <p><b>Threads.</b> One dispatcher thread decides what to send, and asks for producer ids; {@code
 * senderThreads} threads each carry one request at a time (the JDK client's blocking calls).
 * Futures are completed on a sender thread: callbacks attached to them must be short and must not
 * call {@link #flush} or {@link #close}, and a {@link #send} from a callback may block that thread
 * while the buffer is full.
 *
 * <p>Thread-safety: safe to share; {@link #send} may be called from any number of threads. The
 * mutable state (the {@link RecordAccumulator}, the buffer accounting, the request count) has one
 * owner, this class's lock, and no callback of other code runs while it is held.
 */
public final class SluiceProducer implements AutoCloseable {

  /**
   * What one request carried and how it went, for measurements; {@code failure} is null when the
   * server acknowledged it.
   *
   * @param records the records of the batch
   * @param bytes the size of the request body (the encoded RecordBatch v2, compressed if the
   *     producer compresses)
   * @param attempt 1 for the first request of this batch, 2 for its first retry, ...
   * @param latencyNanos from sending the request to its answer or failure
   * @param duplicate the leader answered that it already held the batch (an idempotent retry)
   */
  public record BatchReport(
      String topic,
      int partition,
      int records,
      long bytes,
      int attempt,
      long latencyNanos,
      Throwable failure,
      boolean duplicate) {}

  /** Sees every request the producer makes; called on a sender thread, so it must be quick. */
  @FunctionalInterface
  public interface BatchListener {
    void onRequest(BatchReport report);
  }

  /**
   * The largest {@code batchBytes}: the default of the server's {@code
   * sluice.api.inline-batch-bytes} (16 MiB), the largest request body a node accepts unless
   * configured otherwise.
   */
  public static final int MAX_BATCH_BYTES = 16 * 1024 * 1024;

  /**
   * The most batches in flight per partition with idempotence: the leader remembers a producer's
   * last 5 batches per partition, and recognises a retry only among them.
   */
  public static final int MAX_IN_FLIGHT_IDEMPOTENT = 5;

  private static final AtomicInteger PRODUCERS = new AtomicInteger();

  private final Settings settings;
  private final BatchSender sender;
  private final ToIntFunction<String> partitionCounts;
  private final Supplier<ProducerIdResponse> producerIds;
  private final LongSupplier clock;
  private final BatchListener listener;
  private final String name;

  private final ConcurrentHashMap<String, Integer> knownPartitionCounts = new ConcurrentHashMap<>();

  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled whenever something the dispatcher decides on changed. */
  private final Condition work = lock.newCondition();

  /**
   * Blocked {@link #send}s in arrival order. Memory is granted to them in that order by whoever
   * frees it ({@link #grantMemory}), as many at a time as it covers.
   */
  private final ArrayDeque<MemoryWaiter> memoryWaiters = new ArrayDeque<>();

  /** A {@link #send} waiting for {@code size} bytes of buffer memory. */
  private static final class MemoryWaiter {
    final long size;
    final Condition turn;
    boolean granted;

    MemoryWaiter(long size, Condition turn) {
      this.size = size;
      this.turn = turn;
    }
  }

  private final RecordAccumulator accumulator;

  /** Request bodies of uncompressed batches, reused once acknowledged. */
  private final BatchBuffers buffers;

  /**
   * Batches whose futures are not all completed yet: those of the accumulator, and those it let go
   * whose futures are being completed right now, which {@link #flush} must wait for too.
   */
  private final Set<ProducerBatch> unfinished = new HashSet<>();

  private long bufferedBytes;
  private int requestsInFlight;
  private int flushes;
  private boolean closing;

  /** The producer id new partition sessions start with; null until the first one arrives. */
  private ProducerIdResponse producerId;

  /** Whether a partition waits for a producer id newer than {@link #producerId} (or the first). */
  private boolean needProducerId;

  /** Failed requests for a producer id in a row, and when the next may go. */
  private int producerIdFailures;

  private long producerIdRetryAt = Long.MIN_VALUE;

  /** Why the last request for a producer id failed, named when a batch expires waiting for one. */
  private volatile RuntimeException lastProducerIdFailure;

  private final Thread dispatcher;
  private final ExecutorService requests;
  private final List<Thread> ownThreads = new CopyOnWriteArrayList<>();

  private SluiceProducer(
      Settings settings,
      BatchSender sender,
      ToIntFunction<String> partitionCounts,
      Supplier<ProducerIdResponse> producerIds,
      LongSupplier clock,
      BatchListener listener) {
    this.settings = settings;
    this.sender = sender;
    this.partitionCounts = partitionCounts;
    this.producerIds = producerIds;
    this.needProducerId = settings.idempotence();
    this.clock = clock;
    this.listener = listener;
    this.name = "sluice-producer-" + PRODUCERS.incrementAndGet();
    this.accumulator =
        new RecordAccumulator(
            settings.batchBytes(),
            settings.linger().toNanos(),
            settings.maxInFlight(),
            settings.deliveryTimeout().toNanos(),
            settings.idempotence(),
            settings.compression());
    // A sender thread has one request in flight at a time, so this many idle buffers cover them
    // (bufferMemory is at least batchBytes, so the pool keeps at least one).
    this.buffers =
        new BatchBuffers(
            settings.batchBytes(),
            (int)
                Math.min(
                    settings.senderThreads(), settings.bufferMemory() / settings.batchBytes()));
    this.requests =
        new ThreadPoolExecutor(
            settings.senderThreads(),
            settings.senderThreads(),
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            threads(name + "-sender-"));
    this.dispatcher = threads(name + "-dispatcher").newThread(this::dispatch);
    dispatcher.start();
  }

  /** Threads of this producer's own, each remembered so that {@link #close} can join it. */
  private ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return task -> {
      Thread t = new Thread(task, prefix.endsWith("-") ? prefix + n.incrementAndGet() : prefix);
      t.setDaemon(true);
      ownThreads.add(t);
      return t;
    };
  }

  /** A builder of a producer that sends through {@code client}. */
  public static Builder builder(SluiceClient client) {
    Objects.requireNonNull(client, "client");
    return new Builder(
        client::appendBatch,
        topic -> client.describeTopic(topic).partitionCount(),
        client::newProducerId);
  }

  /**
   * A builder of a producer over a scripted transport and partition counts (tests); its producer
   * ids count up from 0 unless {@link Builder#producerIds} says otherwise.
   */
  static Builder builder(BatchSender sender, ToIntFunction<String> partitionCounts) {
    AtomicLong ids = new AtomicLong();
    return new Builder(
        sender, partitionCounts, () -> new ProducerIdResponse(ids.getAndIncrement(), (short) 0));
  }

  /** The settings this producer runs with. */
  public Settings settings() {
    return settings;
  }

  /**
   * Sends a record to the partition its key maps to (Kafka's murmur2), or to the topic's sticky
   * partition when the key is null.
   *
   * @return a future completed with where the record was written once its batch is acknowledged, or
   *     with the failure: always a {@link SluiceClientException} (the server's refusals, the
   *     delivery timeout, a full buffer, a record larger than the buffer, an unknown topic)
   * @throws IllegalStateException once the producer is closing
   */
  public CompletableFuture<RecordMetadata> send(String topic, ProduceRecord record) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(record, "record");
    return enqueue(topic, -1, record);
  }

  /**
   * Sends a record to partition {@code partition}.
   *
   * @throws IllegalArgumentException when {@code partition} is negative
   * @throws IllegalStateException once the producer is closing
   */
  public CompletableFuture<RecordMetadata> send(String topic, int partition, ProduceRecord record) {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(record, "record");
    if (partition < 0) {
      throw new IllegalArgumentException("partition " + partition + " of " + topic + " is below 0");
    }
    return enqueue(topic, partition, record);
  }

  private CompletableFuture<RecordMetadata> enqueue(
      String topic, int requested, ProduceRecord record) {
    ensureOpen();
    int partitions;
    try {
      partitions = partitionCount(topic, requested);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(
          new SluiceClientException("cannot send to " + topic + ": " + e.getMessage(), e));
    }
    if (requested >= partitions) {
      return CompletableFuture.failedFuture(
          new SluiceClientException(
              SluiceClientException.NO_STATUS,
              "cannot send to "
                  + topic
                  + " partition "
                  + requested
                  + ": the topic has "
                  + partitions
                  + (partitions == 1 ? " partition" : " partitions"),
              null));
    }
    Record encoded = toBatchRecord(record, System.currentTimeMillis());
    // What the record holds in buffer memory: its encoding in a batch (the batch header aside).
    long recordBytes = MemoryBatchBuilder.sizeOfRecord(encoded, encoded.timestamp(), 0);
    if (recordBytes > settings.bufferMemory() || recordBytes > Integer.MAX_VALUE) {
      return CompletableFuture.failedFuture(
          new SluiceClientException(
              SluiceClientException.NO_STATUS,
              "a record of "
                  + recordBytes
                  + " encoded bytes for "
                  + topic
                  + " is larger than the producer's bufferMemory of "
                  + Math.min(settings.bufferMemory(), Integer.MAX_VALUE)
                  + " bytes; send it with SluiceClient.append, which streams it",
              null));
    }
    int size = (int) recordBytes;
    CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
    lock.lock();
    try {
      String refused = reserve(size, topic);
      if (refused != null) {
        return CompletableFuture.failedFuture(
            new SluiceClientException(SluiceClientException.NO_STATUS, refused, null));
      }
      if (closing) {
        // Closed since ensureOpen: the dispatcher may already have stopped, nobody would send it.
        release(size);
        throw new IllegalStateException("the producer " + name + " is closed");
      }
      int partition;
      if (requested >= 0) {
        partition = requested;
      } else if (record.key() != null) {
        partition = KafkaPartitioner.partitionForKey(record.key(), partitions);
      } else {
        partition =
            accumulator.stickyPartition(
                topic, partitions, encoded, n -> ThreadLocalRandom.current().nextInt(n));
      }
      ProducerBatch batch =
          accumulator.append(topic, partition, encoded, size, future, clock.getAsLong());
      if (requested < 0 && record.key() == null) {
        accumulator.stuckTo(topic, batch);
      }
      if (batch.recordCount() == 1) {
        unfinished.add(batch);
        batch.done().whenComplete((ignored, e) -> forget(batch));
      }
      if (batch.recordCount() == 1 || batch.closed()) {
        // A new batch brings a new linger deadline, a full one is ready now.
        work.signal();
      }
    } finally {
      lock.unlock();
    }
    return future;
  }

  /**
   * The record as the batch carries it: its own timestamp, or {@code nowMillis}, the time it was
   * sent (Kafka's CreateTime), since the server keeps a producer-built batch's timestamps as sent.
   */
  static Record toBatchRecord(ProduceRecord record, long nowMillis) {
    List<Header> headers = new ArrayList<>(record.headers().size());
    for (RecordHeader h : record.headers()) {
      headers.add(new Header(h.key(), h.value()));
    }
    return new Record(record.key(), record.value(), headers, record.timestamp().orElse(nowMillis));
  }

  private int partitionCount(String topic, int requested) {
    Integer known = knownPartitionCounts.get(topic);
    if (known != null && requested < known) {
      return known;
    }
    // Unknown topic, or a partition above the cached count (it may have grown): ask the server.
    // A node that is down, restarting or without metadata yet is waited for, like a full buffer,
    // up to maxBlock: the caller blocks in send, as Kafka's producer does for its metadata.
    long deadline = clock.getAsLong() + settings.maxBlock().toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        int count = partitionCounts.applyAsInt(topic);
        knownPartitionCounts.put(topic, count);
        return count;
      } catch (RuntimeException e) {
        long pause = backoffNanos(attempt);
        if (!retriable(e) || closing || clock.getAsLong() + pause > deadline) {
          throw e;
        }
        LockSupport.parkNanos(pause);
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Waits until {@code size} bytes of buffer memory are free and takes them; returns why not when
   * {@code maxBlock} passed or the producer closed first. Called with the lock held.
   *
   * <p>First come, first served: a send takes memory at once only when nobody waits; otherwise it
   * queues, and memory freed later goes to the queue in order ({@link #grantMemory}), to as many
   * waiters as it covers at once, so a large record is never overtaken by smaller ones for good.
   * Waiters are granted their bytes rather than woken to compete for them: when a batch's
   * acknowledgement frees its memory, every sending thread it covers is woken once, instead of one
   * thread per record in turn.
   */
  private String reserve(long size, String topic) {
    if (memoryWaiters.isEmpty() && bufferedBytes + size <= settings.bufferMemory()) {
      bufferedBytes += size;
      return null;
    }
    long deadline = clock.getAsLong() + settings.maxBlock().toNanos();
    MemoryWaiter waiter = new MemoryWaiter(size, lock.newCondition());
    memoryWaiters.addLast(waiter);
    grantMemory(); // nobody else may have been waiting, only the memory missing
    while (!waiter.granted) {
      String refused = null;
      if (closing) {
        memoryWaiters.remove(waiter);
        grantMemory();
        throw new IllegalStateException("the producer " + name + " is closed");
      }
      long left = deadline - clock.getAsLong();
      if (left <= 0) {
        refused =
            "the producer's buffer stayed full for "
                + settings.maxBlock().toMillis()
                + " ms (maxBlock): "
                + bufferedBytes
                + " of "
                + settings.bufferMemory()
                + " bytes (bufferMemory) in use, a record of "
                + size
                + " bytes for "
                + topic
                + " does not fit";
      } else {
        try {
          waiter.turn.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          refused = "interrupted while waiting for buffer memory for a record for " + topic;
        }
      }
      if (refused != null && !waiter.granted) {
        memoryWaiters.remove(waiter);
        grantMemory(); // the waiters behind this one may fit now
        return refused;
      }
    }
    return null;
  }

  /**
   * Grants free buffer memory to the waiting sends in their order, as long as the first one's bytes
   * fit, and wakes each one granted. Called with the lock held.
   */
  private void grantMemory() {
    MemoryWaiter first;
    while ((first = memoryWaiters.peekFirst()) != null
        && bufferedBytes + first.size <= settings.bufferMemory()) {
      memoryWaiters.pollFirst();
      bufferedBytes += first.size;
      first.granted = true;
      first.turn.signal();
    }
  }

  private void forget(ProducerBatch batch) {
    lock.lock();
    try {
      unfinished.remove(batch);
    } finally {
      lock.unlock();
    }
  }

  /** Called with the lock held. */
  private void release(long size) {
    bufferedBytes -= size;
    grantMemory();
  }

  /**
   * Sends every record sent so far without waiting for linger, and returns once each of them is
   * acknowledged or failed (see their futures for which).
   */
  public void flush() {
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    lock.lock();
    try {
      flushes++;
      for (ProducerBatch batch : unfinished) {
        pending.add(batch.done());
      }
      work.signal();
    } finally {
      lock.unlock();
    }
    try {
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
    } finally {
      lock.lock();
      try {
        flushes--;
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Sends everything sent so far (retries included, up to their delivery timeout), waits for the
   * answers, then stops the producer's threads. Later sends throw {@link IllegalStateException}.
   * Calling it again does nothing.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      closing = true;
      work.signal();
      for (MemoryWaiter waiter : memoryWaiters) {
        waiter.turn.signal();
      }
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    while (dispatcher.isAlive()) {
      try {
        dispatcher.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    requests.shutdown();
    for (Thread t : ownThreads) {
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    buffers.clear();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The request buffers of uncompressed batches (tests look at their reuse). */
  BatchBuffers batchBuffers() {
    return buffers;
  }

  /** Bytes of records sent and not yet acknowledged or failed (at most {@code bufferMemory}). */
  public long bufferedBytes() {
    lock.lock();
    try {
      return bufferedBytes;
    } finally {
      lock.unlock();
    }
  }

  /** How many {@link #send} calls are waiting for buffer memory right now. */
  public int blockedSends() {
    lock.lock();
    try {
      return memoryWaiters.size();
    } finally {
      lock.unlock();
    }
  }

  /** How many batches wait to be resent after a failed attempt (tests). */
  int resendsWaiting() {
    lock.lock();
    try {
      return accumulator.resendsWaiting();
    } finally {
      lock.unlock();
    }
  }

  /** The producer's name, which its threads' names start with. */
  @Override
  public String toString() {
    return name;
  }

  /** Wakes the dispatcher to look at the clock again. */
  void wakeUp() {
    lock.lock();
    try {
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  private void ensureOpen() {
    lock.lock();
    try {
      if (closing) {
        throw new IllegalStateException("the producer " + name + " is closed");
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The dispatcher thread: hands ready batches to the sender threads until closed and empty, and
   * fetches the producer ids partitions need for their sessions.
   */
  private void dispatch() {
    while (true) {
      RecordAccumulator.Drained drained;
      boolean fetchProducerId = false;
      lock.lock();
      try {
        while (true) {
          long now = clock.getAsLong();
          boolean flushing = flushes > 0 || closing;
          ProducerIdResponse sessions = needProducerId ? null : producerId;
          drained =
              accumulator.drain(
                  now, settings.senderThreads() - requestsInFlight, flushing, sessions);
          if (!drained.ready().isEmpty() || !drained.expired().isEmpty()) {
            break;
          }
          boolean waitingForId = needProducerId && accumulator.needsSession();
          if (waitingForId && now >= producerIdRetryAt) {
            fetchProducerId = true;
            break;
          }
          if (closing && accumulator.isEmpty()) {
            return;
          }
          long next =
              requestsInFlight >= settings.senderThreads()
                  ? Long.MAX_VALUE
                  : accumulator.nextDeadline(now, flushing, sessions != null);
          if (waitingForId) {
            next = Math.min(next, producerIdRetryAt);
          }
          long wait = next == Long.MAX_VALUE ? Long.MAX_VALUE : next - now;
          if (wait == Long.MAX_VALUE || wait > TimeUnit.DAYS.toNanos(1)) {
            work.await();
          } else if (wait > 0) {
            work.awaitNanos(wait);
          }
        }
        requestsInFlight += drained.ready().size();
        for (ProducerBatch batch : drained.expired()) {
          release(batch.reservedBytes());
        }
      } catch (InterruptedException e) {
        // Nobody interrupts this private thread but a JVM going down.
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      if (fetchProducerId) {
        fetchProducerId();
        continue;
      }
      for (ProducerBatch batch : drained.expired()) {
        fail(batch, expired(batch));
      }
      for (ProducerBatch batch : drained.ready()) {
        requests.execute(() -> attempt(batch));
      }
    }
  }

  /**
   * Asks for a new producer id, on the dispatcher thread and without the lock. A retriable failure
   * is retried after a backoff (the batches wait, up to their delivery timeout); any other fails
   * the batches that wait for it.
   */
  private void fetchProducerId() {
    ProducerIdResponse id = null;
    RuntimeException failure = null;
    try {
      id = producerIds.get();
    } catch (RuntimeException e) {
      failure = e;
    }
    List<ProducerBatch> refused = List.of();
    lock.lock();
    try {
      if (id != null) {
        producerId = id;
        needProducerId = false;
        producerIdFailures = 0;
        producerIdRetryAt = Long.MIN_VALUE;
      } else if (retriable(failure)) {
        producerIdFailures++;
        producerIdRetryAt = clock.getAsLong() + backoffNanos(producerIdFailures);
        lastProducerIdFailure = failure;
      } else {
        refused = accumulator.takeWaitingForSession();
        for (ProducerBatch batch : refused) {
          release(batch.reservedBytes());
        }
      }
      work.signal();
    } finally {
      lock.unlock();
    }
    for (ProducerBatch batch : refused) {
      fail(
          batch,
          withCause(
              failure,
              "producing to "
                  + batch.describe()
                  + " failed: the producer could not get a producer id for idempotence (POST /"
                  + Paths.producers()
                  + "): "
                  + failure.getMessage()
                  + " (a producer built with idempotence(false) needs none)"));
    }
  }

  /** One request for one batch, on a sender thread, and what follows from its outcome. */
  private void attempt(ProducerBatch batch) {
    int attempt = batch.startAttempt();
    long start = clock.getAsLong();
    ProduceResponse response = null;
    RuntimeException failure = null;
    long bodyBytes = batch.bytes();
    boolean sent = false;
    try {
      ByteBuffer body = batch.encoded(buffers::take);
      bodyBytes = body.remaining();
      if (bodyBytes > MAX_BATCH_BYTES) {
        throw tooLarge(batch, bodyBytes);
      }
      sent = true;
      response =
          sender.send(batch.topic, batch.partition, body, batch.recordCount(), settings.acks());
      String wrong = unexpected(response, batch);
      if (wrong != null) {
        // The server wrote something: BAD_ANSWER is not retried, which would write it twice.
        failure = new SluiceClientException(SluiceClientException.BAD_ANSWER, wrong, null);
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    long end = clock.getAsLong();
    try {
      // Before the bookkeeping, so that a listener sees a batch's attempts in order.
      listener.onRequest(
          new BatchReport(
              batch.topic,
              batch.partition,
              batch.recordCount(),
              bodyBytes,
              attempt,
              end - start,
              failure,
              failure == null && response != null && response.duplicate()));
    } finally {
      settle(batch, attempt, end, response, failure, sent);
    }
  }

  /**
   * Retries the batch, or completes its futures, once its attempt is over; {@code sent} is false
   * when the request never went out.
   */
  private void settle(
      ProducerBatch batch,
      int attempt,
      long end,
      ProduceResponse response,
      RuntimeException failure,
      boolean sent) {
    boolean retry = false;
    SluiceClientException outcome = null;
    List<ProducerBatch> abandoned = List.of();
    SluiceClientException abandonedBy = null;
    lock.lock();
    try {
      requestsInFlight--;
      SequenceRefusal refusal = failure == null ? null : SequenceRefusal.of(batch, failure);
      boolean staleSession =
          batch.producerId() >= 0 && failure != null && !accumulator.inCurrentSession(batch);
      if (refusal != null
          && !staleSession
          && refusal.waitsForAnEarlierBatch()
          && accumulator.earlierOutstandingStartsAt(batch, refusal.awaitedSequence())) {
        // An earlier batch of this partition failed and is being resent: this one goes after it.
        outcome = retryOrGiveUp(batch, attempt, end, failure);
        retry = outcome == null;
      } else if (refusal != null) {
        outcome = refusal.failure(batch);
        List<ProducerBatch> removed = accumulator.resetSession(batch);
        if (removed != null) {
          needProducerId = true;
          abandoned = removed;
          abandonedBy = outcome;
          for (ProducerBatch b : removed) {
            release(b.reservedBytes());
          }
        }
      } else if (staleSession) {
        outcome =
            failed(
                batch,
                failure,
                " (the leader refused another batch of producer id "
                    + batch.producerId()
                    + " on this partition, which ended its sequences there;"
                    + " this batch may have been written once)");
      } else if (failure != null && retriable(failure)) {
        knownPartitionCounts.remove(batch.topic);
        outcome = retryOrGiveUp(batch, attempt, end, failure);
        retry = outcome == null;
      } else if (failure != null) {
        if (failure instanceof SluiceClientException e && e.status() == 404) {
          knownPartitionCounts.remove(batch.topic);
        }
        outcome = failed(batch, failure, "");
      }
      if (!retry) {
        if (sent) {
          accumulator.completed(batch, outcome == null);
        } else {
          accumulator.completedUnsent(batch);
        }
        release(batch.reservedBytes());
      }
      work.signal();
    } finally {
      lock.unlock();
    }
    if (outcome != null) {
      fail(batch, outcome);
    } else if (!retry) {
      // Answered 2xx: the server has read the whole body, so its buffer can carry another batch.
      batch.releaseBuffer(buffers);
      succeed(batch, response);
    }
    for (ProducerBatch b : abandoned) {
      fail(b, abandoned(b, abandonedBy));
    }
  }

  /**
   * Queues the batch to be sent again after a backoff, or says why not (retries used up, delivery
   * timeout); with the lock held.
   */
  private SluiceClientException retryOrGiveUp(
      ProducerBatch batch, int attempt, long end, RuntimeException failure) {
    long backoff = backoffNanos(attempt);
    if (attempt > settings.retries()) {
      return failed(batch, failure, " (retries = " + settings.retries() + ")");
    }
    if (end + backoff - batch.createdNanos >= settings.deliveryTimeout().toNanos()) {
      batch.retryAfter(end, failure);
      return expired(batch);
    }
    accumulator.retry(batch, end + backoff, failure);
    return null;
  }

  /**
   * A 409 to an idempotent batch: the leader refused its producer id, epoch or sequence.
   *
   * @param code the {@link ErrorBody#CODE} ({@code OUT_OF_ORDER_SEQUENCE}, {@code
   *     UNKNOWN_PRODUCER_ID}, {@code PRODUCER_FENCED}), or "409" when the body has none
   * @param expectedSequence the sequence the leader expects next, -1 when it did not say
   */
  private record SequenceRefusal(
      String code, long expectedSequence, SluiceClientException refusal) {

    static SequenceRefusal of(ProducerBatch batch, RuntimeException failure) {
      if (batch.producerId() < 0
          || !(failure instanceof SluiceClientException e)
          || e.status() != 409) {
        return null;
      }
      String code =
          e.error().map(b -> b.details().get(ErrorBody.CODE)).map(String::valueOf).orElse("409");
      long expected =
          e.error().flatMap(b -> boxed(b.longDetail(ErrorBody.EXPECTED_SEQUENCE))).orElse(-1L);
      return new SequenceRefusal(code, expected, e);
    }

    private static Optional<Long> boxed(OptionalLong value) {
      return value.isPresent() ? Optional.of(value.getAsLong()) : Optional.empty();
    }

    /**
     * Whether the leader may refuse the batch only because an earlier one did not arrive yet: out
     * of order with the sequence it expects, or an unknown producer id, which is what a leader
     * answers while the producer's first batch there (sequence 0) is still missing.
     */
    boolean waitsForAnEarlierBatch() {
      return (OUT_OF_ORDER_SEQUENCE.equals(code) && expectedSequence >= 0)
          || UNKNOWN_PRODUCER_ID.equals(code);
    }

    /** The sequence the leader waits for: the one it named, 0 for an unknown producer id. */
    long awaitedSequence() {
      return UNKNOWN_PRODUCER_ID.equals(code) ? 0 : expectedSequence;
    }

    SluiceClientException failure(ProducerBatch batch) {
      String message =
          "producing to "
              + batch.describe()
              + " failed after "
              + batch.attempts()
              + (batch.attempts() == 1 ? " attempt" : " attempts")
              + ": the leader refused producer id "
              + batch.producerId()
              + " sequence "
              + batch.baseSequence()
              + " on "
              + batch.topic
              + " partition "
              + batch.partition
              + " with 409 "
              + code
              + (expectedSequence >= 0 ? ", expecting sequence " + expectedSequence : "")
              + "; the partition goes on with a new producer id from sequence 0: "
              + refusal.getMessage();
      return withCause(refusal, message);
    }
  }

  /**
   * The {@link ErrorBody#CODE} of a 409 for a sequence the leader did not expect (the server's
   * {@code ProducerError} name, which this module cannot see).
   */
  static final String OUT_OF_ORDER_SEQUENCE = "OUT_OF_ORDER_SEQUENCE";

  /** The {@link ErrorBody#CODE} of a 409 for a producer id the partition does not know. */
  static final String UNKNOWN_PRODUCER_ID = "UNKNOWN_PRODUCER_ID";

  private static SluiceClientException abandoned(ProducerBatch batch, SluiceClientException cause) {
    return withCause(
        cause,
        "producing to "
            + batch.describe()
            + " failed after "
            + batch.attempts()
            + (batch.attempts() == 1 ? " attempt" : " attempts")
            + ": it was waiting to be resent when the leader refused another batch of producer id "
            + batch.producerId()
            + " on "
            + batch.topic
            + " partition "
            + batch.partition
            + ", which ends that producer id's sequences there (this batch may have been written"
            + " once): "
            + cause.getMessage());
  }

  private static String unexpected(ProduceResponse response, ProducerBatch batch) {
    if (response == null) {
      return "no answer for the " + batch;
    }
    if (response.count() != batch.recordCount()
        || response.lastOffset() - response.offset() + 1 != batch.recordCount()) {
      return "the server answered offsets "
          + response.offset()
          + " to "
          + response.lastOffset()
          + " ("
          + response.count()
          + " records) for the "
          + batch;
    }
    return null;
  }

  /**
   * A request body no node accepts with the default {@code sluice.api.inline-batch-bytes}: refused
   * before it is sent, with the status a node would answer (413), so that it is not retried.
   */
  private static SluiceClientException tooLarge(ProducerBatch batch, long bodyBytes) {
    return new SluiceClientException(
        413,
        "the request body of the "
            + batch
            + " is "
            + bodyBytes
            + " bytes"
            + (batch.compression() == Compression.NONE
                ? ""
                : " (" + batch.compression().wireName() + ")")
            + ", above the limit of "
            + MAX_BATCH_BYTES
            + " bytes (a node's sluice.api.inline-batch-bytes by default); it was not sent."
            + " Send a record that large with SluiceClient.append, which streams it",
        null);
  }

  /** 503 (leader moved, too few in sync), gateway and throttling answers, and no answer at all. */
  static boolean retriable(RuntimeException failure) {
    if (!(failure instanceof SluiceClientException e)) {
      return false;
    }
    return switch (e.status()) {
      case SluiceClientException.NO_STATUS, 307, 308, 408, 429, 502, 503, 504 -> true;
      default -> false;
    };
  }

  /** Doubling from {@code retryBackoff} to {@code retryBackoffMax}, with ±20% jitter. */
  private long backoffNanos(int attempt) {
    long initial = settings.retryBackoff().toNanos();
    long max = settings.retryBackoffMax().toNanos();
    if (initial == 0) {
      return 0;
    }
    long base = initial << Math.min(attempt - 1, 20);
    base = base <= 0 ? max : Math.min(base, max);
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return (long) (base * jitter);
  }

  private void succeed(ProducerBatch batch, ProduceResponse response) {
    List<CompletableFuture<RecordMetadata>> futures = batch.futures();
    for (int i = 0; i < futures.size(); i++) {
      futures
          .get(i)
          .complete(new RecordMetadata(batch.topic, batch.partition, response.offset() + i));
    }
    batch.done().complete(null);
  }

  private static void fail(ProducerBatch batch, SluiceClientException failure) {
    for (CompletableFuture<RecordMetadata> future : batch.futures()) {
      future.completeExceptionally(failure);
    }
    batch.done().complete(null);
  }

  private SluiceClientException expired(ProducerBatch batch) {
    RuntimeException last = batch.lastFailure();
    String message =
        "producing to "
            + batch.describe()
            + " failed: its delivery timeout of "
            + settings.deliveryTimeout().toMillis()
            + " ms passed after "
            + batch.attempts()
            + (batch.attempts() == 1 ? " attempt" : " attempts")
            + (last == null ? "" : "; last error: " + last.getMessage())
            + (batch.attempts() == 0 && lastProducerIdFailure != null
                ? "; it waited for a producer id, the last request for one failed: "
                    + lastProducerIdFailure.getMessage()
                : "");
    return withCause(last, message);
  }

  private static SluiceClientException failed(
      ProducerBatch batch, RuntimeException failure, String note) {
    String message =
        "producing to "
            + batch.describe()
            + " failed after "
            + batch.attempts()
            + (batch.attempts() == 1 ? " attempt" : " attempts")
            + note
            + ": "
            + failure.getMessage();
    return withCause(failure, message);
  }

  /** Keeps the server's status and error body, so callers can still act on a 413's limit. */
  private static SluiceClientException withCause(RuntimeException cause, String message) {
    if (cause instanceof SluiceClientException e && e.status() != SluiceClientException.NO_STATUS) {
      SluiceClientException wrapped =
          new SluiceClientException(e.status(), message, e.error().orElse(null));
      wrapped.initCause(e);
      return wrapped;
    }
    return new SluiceClientException(message, cause);
  }

  /**
   * A producer's settings, validated together by {@link Builder#build}.
   *
   * <p>Thread-safety: immutable.
   *
   * @param batchBytes a batch is sent once its RecordBatch v2, counted uncompressed, reaches this
   *     size (Kafka's {@code batch.size})
   * @param linger how long a batch waits for more records after its first (Kafka's {@code
   *     linger.ms})
   * @param acks the acknowledgement every batch asks for
   * @param maxInFlight batches in flight per partition, at most 5 with idempotence; with
   *     idempotence or with 1, a partition keeps the order of {@link #send} across retries
   * @param retries how many times a failed batch is sent again at most
   * @param deliveryTimeout from a batch's first record to its last attempt's start
   * @param retryBackoff the wait before the first retry, doubled per retry
   * @param retryBackoffMax the longest wait between retries
   * @param bufferMemory bytes of records waiting or in flight, at most
   * @param maxBlock how long {@link #send} waits for buffer memory
   * @param senderThreads requests in flight over all partitions, at most
   * @param idempotence whether batches carry a producer id and sequences, so that a retry is never
   *     written twice
   * @param compression the codec of every batch's records
   */
  public record Settings(
      int batchBytes,
      Duration linger,
      Acks acks,
      int maxInFlight,
      int retries,
      Duration deliveryTimeout,
      Duration retryBackoff,
      Duration retryBackoffMax,
      long bufferMemory,
      Duration maxBlock,
      int senderThreads,
      boolean idempotence,
      Compression compression) {}

  /**
   * Configures a {@link SluiceProducer}. Defaults: {@code batchBytes} 256 KiB, {@code linger} 5 ms,
   * {@code acks} all, {@code maxInFlight} 1, {@code retries} unlimited within {@code
   * deliveryTimeout} 120 s, {@code retryBackoff} 100 ms to 1 s, {@code bufferMemory} 32 MiB, {@code
   * maxBlock} 60 s, {@code senderThreads} 8, {@code idempotence} on, {@code compression} none.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    private final BatchSender sender;
    private final ToIntFunction<String> partitionCounts;
    private Supplier<ProducerIdResponse> producerIds;
    private boolean idempotence = true;
    private Compression compression = Compression.NONE;
    private int batchBytes = 256 * 1024;
    private Duration linger = Duration.ofMillis(5);
    private Acks acks = Acks.ALL;
    private int maxInFlight = 1;
    private int retries = Integer.MAX_VALUE;
    private Duration deliveryTimeout = Duration.ofMinutes(2);
    private Duration retryBackoff = Duration.ofMillis(100);
    private Duration retryBackoffMax = Duration.ofSeconds(1);
    private long bufferMemory = 32L * 1024 * 1024;
    private Duration maxBlock = Duration.ofMinutes(1);
    private int senderThreads = 8;
    private LongSupplier clock = System::nanoTime;
    private BatchListener listener = report -> {};

    private Builder(
        BatchSender sender,
        ToIntFunction<String> partitionCounts,
        Supplier<ProducerIdResponse> producerIds) {
      this.sender = sender;
      this.partitionCounts = partitionCounts;
      this.producerIds = producerIds;
    }

    /**
     * Encoded batch size (the RecordBatch v2 request body, counted uncompressed) at which a batch
     * is sent without waiting for linger; at most {@link #MAX_BATCH_BYTES}, the default of the
     * server's {@code sluice.api.inline-batch-bytes}, which it must stay under.
     */
    public Builder batchBytes(int batchBytes) {
      this.batchBytes = batchBytes;
      return this;
    }

    /** How long a batch waits for more records after its first (Kafka's {@code linger.ms}). */
    public Builder linger(Duration linger) {
      this.linger = Objects.requireNonNull(linger, "linger");
      return this;
    }

    /** The acknowledgement each batch asks for. */
    public Builder acks(Acks acks) {
      this.acks = Objects.requireNonNull(acks, "acks");
      return this;
    }

    /**
     * Batches in flight per partition; at most {@link #MAX_IN_FLIGHT_IDEMPOTENT} with idempotence.
     * Without idempotence and above 1, a batch that failed can land after a later one that did not:
     * the partition's order is then no longer the order of {@link #send}.
     */
    public Builder maxInFlight(int maxInFlight) {
      this.maxInFlight = maxInFlight;
      return this;
    }

    /** Retries of a failed batch at most (0: none); {@code deliveryTimeout} bounds them too. */
    public Builder retries(int retries) {
      this.retries = retries;
      return this;
    }

    /** How long after its first record a batch may still be sent (Kafka's delivery.timeout.ms). */
    public Builder deliveryTimeout(Duration deliveryTimeout) {
      this.deliveryTimeout = Objects.requireNonNull(deliveryTimeout, "deliveryTimeout");
      return this;
    }

    /** The wait before the first retry, doubled per retry up to {@code max}, with ±20% jitter. */
    public Builder retryBackoff(Duration initial, Duration max) {
      this.retryBackoff = Objects.requireNonNull(initial, "initial");
      this.retryBackoffMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** Bytes of records held at most; {@link SluiceProducer#send} blocks while they are used. */
    public Builder bufferMemory(long bufferMemory) {
      this.bufferMemory = bufferMemory;
      return this;
    }

    /** How long {@link SluiceProducer#send} blocks for buffer memory before it fails the record. */
    public Builder maxBlock(Duration maxBlock) {
      this.maxBlock = Objects.requireNonNull(maxBlock, "maxBlock");
      return this;
    }

    /** Requests in flight over all partitions, each on a thread of its own. */
    public Builder senderThreads(int senderThreads) {
      this.senderThreads = senderThreads;
      return this;
    }

    /**
     * Whether batches carry a producer id and per-partition sequences, so that the leader drops a
     * retry of a batch it already holds (on by default). Off, a retry after a lost answer may write
     * a batch twice, and the producer needs no {@code POST /producers}.
     */
    public Builder idempotence(boolean idempotence) {
      this.idempotence = idempotence;
      return this;
    }

    /**
     * The codec of every batch's records ({@link Compression#NONE} by default): {@code GZIP},
     * {@code SNAPPY}, {@code LZ4} or {@code ZSTD} compress each batch once, on a sender thread, in
     * the stream formats Kafka's producer writes.
     */
    public Builder compression(Compression compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /** Where producer ids come from (tests). */
    Builder producerIds(Supplier<ProducerIdResponse> producerIds) {
      this.producerIds = Objects.requireNonNull(producerIds, "producerIds");
      return this;
    }

    /** Sees every request, for measurements. */
    public Builder batchListener(BatchListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The time source of linger, backoff and timeouts, in nanoseconds (tests). */
    Builder clock(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Validates the settings together and starts the producer's threads.
     *
     * @throws IllegalArgumentException listing every setting out of its range
     */
    public SluiceProducer build() {
      List<String> problems = new ArrayList<>();
      if (batchBytes < 1 || batchBytes > MAX_BATCH_BYTES) {
        problems.add(
            "batchBytes = "
                + batchBytes
                + ": must be from 1 to "
                + MAX_BATCH_BYTES
                + " (request body bytes; a node refuses bodies above its"
                + " sluice.api.inline-batch-bytes, 16 MiB by default)");
      }
      if (linger.isNegative()) {
        problems.add("linger = " + linger + ": must not be negative");
      }
      if (maxInFlight < 1) {
        problems.add("maxInFlight = " + maxInFlight + ": must be at least 1");
      } else if (idempotence && maxInFlight > MAX_IN_FLIGHT_IDEMPOTENT) {
        problems.add(
            "maxInFlight = "
                + maxInFlight
                + ": must be at most "
                + MAX_IN_FLIGHT_IDEMPOTENT
                + " with idempotence (a leader recognises a retry only among a producer's last "
                + MAX_IN_FLIGHT_IDEMPOTENT
                + " batches per partition); turn idempotence off for more");
      }
      if (retries < 0) {
        problems.add("retries = " + retries + ": must not be negative");
      }
      if (deliveryTimeout.compareTo(linger) <= 0) {
        problems.add(
            "deliveryTimeout = " + deliveryTimeout + ": must be longer than linger = " + linger);
      }
      if (retryBackoff.isNegative() || retryBackoffMax.compareTo(retryBackoff) < 0) {
        problems.add(
            "retryBackoff = "
                + retryBackoff
                + ", max "
                + retryBackoffMax
                + ": must be 0 or more, and the max at least the initial wait");
      }
      if (bufferMemory < batchBytes) {
        problems.add(
            "bufferMemory = " + bufferMemory + ": must be at least batchBytes = " + batchBytes);
      }
      if (maxBlock.isNegative()) {
        problems.add("maxBlock = " + maxBlock + ": must not be negative");
      }
      if (senderThreads < 1) {
        problems.add("senderThreads = " + senderThreads + ": must be at least 1");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid producer settings: " + String.join("; ", problems));
      }
      return new SluiceProducer(
          new Settings(
              batchBytes,
              linger,
              acks,
              maxInFlight,
              retries,
              deliveryTimeout,
              retryBackoff,
              retryBackoffMax,
              bufferMemory,
              maxBlock,
              senderThreads,
              idempotence,
              compression),
          sender,
          partitionCounts,
          producerIds,
          clock,
          listener);
    }
  }
}
