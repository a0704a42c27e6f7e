package dev.sluice.tools;

import dev.sluice.api.Acks;
import dev.sluice.api.ProduceRecord;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceProducer;
import dev.sluice.format.Compression;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The producer path of {@code sluice bench produce}: {@code threads} application threads call
 * {@link SluiceProducer#send} for {@code records} records of {@code recordBytes} to partition 0,
 * then flush. It measures the throughput from the first measured send to the last acknowledgement,
 * each record's latency from {@code send} to its acknowledgement, and each batch request's latency
 * (from {@link SluiceProducer.BatchListener}). Warm-up records go first, through the same producer,
 * and are left out of every figure. While it runs, one progress line a second.
 *
 * <p>Thread-safety: one run per instance; the counters are shared with the producer's threads
 * through atomics and a synchronized list.
 */
final class BenchProducerRun {

  /** Settings of a run, as the command's options gave them. */
  record Options(
      long records,
      int recordBytes,
      int warmup,
      int threads,
      int batchBytes,
      Duration linger,
      int maxInFlight,
      Compression compression,
      boolean idempotence) {}

  /**
   * What a run measured; latencies in nanoseconds, sorted.
   *
   * @param requests successful batch requests
   * @param retried batch requests that failed and were retried or given up
   * @param duplicates successful requests the leader answered as duplicates: retries of batches it
   *     had already written (idempotence)
   */
  record Result(
      long records,
      long bytes,
      long elapsedNanos,
      long[] recordLatencies,
      long[] requestLatencies,
      long requests,
      long requestRecords,
      long requestBytes,
      long retried,
      long duplicates) {

    double mibPerSecond() {
      return Sizes.mibPerSecond(bytes, elapsedNanos);
    }

    double recordsPerSecond() {
      return elapsedNanos <= 0 ? 0 : records / (elapsedNanos / 1e9);
    }
  }

  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Options options;
  private final AtomicBoolean measuring = new AtomicBoolean();
  private final List<Long> requestLatencies = new ArrayList<>();
  private final AtomicLong requestRecords = new AtomicLong();
  private final AtomicLong requestBytes = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  BenchProducerRun(Options options) {
    this.options = options;
  }

  /**
   * Runs the warm-up and the measured records to partition 0 of {@code topic}.
   *
   * @throws RuntimeException the first failure of a record, which ends the run
   */
  Result run(SluiceClient client, String topic, PrintWriter out) throws InterruptedException {
    return run(client, topic, out, () -> {});
  }

  /**
   * {@link #run(SluiceClient, String, PrintWriter)}, calling {@code atStart} once the warm-up is
   * acknowledged, just before the measured part starts.
   */
  Result run(SluiceClient client, String topic, PrintWriter out, Runnable atStart)
      throws InterruptedException {
    byte[] value = new byte[options.recordBytes()];
    new SplittableRandom(42).nextBytes(value);
    ProduceRecord record = new ProduceRecord(null, value);
    long[] latencies = new long[Math.toIntExact(options.records())];
    SluiceProducer.Builder builder =
        SluiceProducer.builder(client)
            .acks(Acks.ALL)
            .batchBytes(options.batchBytes())
            .linger(options.linger())
            .maxInFlight(options.maxInFlight())
            .compression(options.compression())
            .idempotence(options.idempotence())
            .bufferMemory(Math.max(32L << 20, 4L * options.batchBytes()))
            .batchListener(this::onRequest);
    long start;
    long elapsed;
    ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
    try (SluiceProducer producer = builder.build()) {
      for (int i = 0; i < options.warmup(); i++) {
        producer.send(topic, 0, record).whenComplete((m, e) -> noteFailure(e));
      }
      producer.flush();
      rethrowFailure();
      atStart.run();
      measuring.set(true);
      start = System.nanoTime();
      long total = options.records() * options.recordBytes();
      progress.scheduleAtFixedRate(
          () -> {
            out.println(
                progressLine(
                    System.nanoTime() - start, acknowledged.get() * options.recordBytes(), total));
            out.flush();
          },
          PROGRESS_EVERY_NANOS,
          PROGRESS_EVERY_NANOS,
          TimeUnit.NANOSECONDS);
      send(producer, topic, record, latencies);
      producer.flush();
      elapsed = System.nanoTime() - start;
    } finally {
      progress.shutdownNow();
      progress.awaitTermination(1, TimeUnit.MINUTES);
    }
    rethrowFailure();
    Arrays.sort(latencies);
    long[] requests;
    synchronized (requestLatencies) {
      requests = requestLatencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    return new Result(
        options.records(),
        options.records() * options.recordBytes(),
        elapsed,
        latencies,
        requests,
        requests.length,
        requestRecords.get(),
        requestBytes.get(),
        retried.get(),
        duplicates.get());
  }

  private void send(SluiceProducer producer, String topic, ProduceRecord record, long[] latencies)
      throws InterruptedException {
    AtomicLong next = new AtomicLong();
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < options.threads(); t++) {
      Thread sender =
          new Thread(
              () -> {
                for (long i = next.getAndIncrement();
                    i < options.records() && failure.get() == null;
                    i = next.getAndIncrement()) {
                  int index = (int) i;
                  long sent = System.nanoTime();
                  producer
                      .send(topic, 0, record)
                      .whenComplete(
                          (metadata, e) -> {
                            if (e == null) {
                              latencies[index] = System.nanoTime() - sent;
                              acknowledged.incrementAndGet();
                            } else {
                              noteFailure(e);
                            }
                          });
                }
              },
              "bench-produce-sender-" + t);
      sender.start();
      senders.add(sender);
    }
    for (Thread sender : senders) {
      sender.join();
    }
  }

  private void onRequest(SluiceProducer.BatchReport report) {
    if (!measuring.get()) {
      return;
    }
    if (report.failure() != null) {
      retried.incrementAndGet();
      return;
    }
    if (report.duplicate()) {
      duplicates.incrementAndGet();
    }
    requestRecords.addAndGet(report.records());
    requestBytes.addAndGet(report.bytes());
    synchronized (requestLatencies) {
      requestLatencies.add(report.latencyNanos());
    }
  }

  private void noteFailure(Throwable e) {
    if (e != null) {
      failure.compareAndSet(null, e);
    }
  }

  private void rethrowFailure() {
    Throwable e = failure.get();
    if (e instanceof RuntimeException r) {
      throw r;
    }
    if (e != null) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code 3.0s [##### ] 25% 128.0 MiB of 512.0 MiB acknowledged, 42.7 MiB/s}. */
  static String progressLine(long elapsedNanos, long acknowledgedBytes, long totalBytes) {
    long done = Math.min(acknowledgedBytes, totalBytes);
    return String.format(
        Locale.ROOT,
        "    %5.1fs %s %3d%%  %s of %s acknowledged, %.1f MiB/s",
        elapsedNanos / 1e9,
        ProgressBar.bar(done, totalBytes, 20),
        ProgressBar.percent(done, totalBytes),
        Sizes.format(done),
        Sizes.format(totalBytes),
        Sizes.mibPerSecond(done, elapsedNanos));
  }

  /** Nearest-rank percentile of sorted nanoseconds, in milliseconds; 0 for none. */
  static double percentileMillis(long[] sortedNanos, double percent) {
    if (sortedNanos.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(percent / 100.0 * sortedNanos.length);
    return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))] / 1e6;
  }
}
