package dev.sluice.tools;

import dev.sluice.config.FlushPolicy;
import dev.sluice.tools.bench.LogAppendBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice bench append [--dir D] [--batch-bytes B] [--total-bytes T] [--flush F]}: the
 * partition-log benchmark ({@link LogAppendBenchmark}) run by JMH in one forked JVM, which inherits
 * this JVM's class path and options. JMH's progress goes to stderr; stdout gets one line per
 * measurement, for scripts:
 *
 * <pre>
 * append batch-bytes=1048576 total-bytes=268435456 flush=os batches=256 seconds=0.412 mb-per-s=621.4 iterations=3
 * </pre>
 *
 * where {@code seconds} is the mean time to write (or read) the {@code total-bytes} and {@code
 * mb-per-s} is MiB per second at that mean.
 */
@Command(
    name = "append",
    mixinStandardHelpOptions = true,
    description = {
      "Measures appends to, and reads from, a partition log on local disk (JMH, one forked JVM).",
      "Progress goes to stderr; one result line per measurement to stdout."
    })
final class BenchAppendCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Where to create the logs (a fresh directory under it, deleted afterwards; default: the"
              + " temporary directory).")
  Path dir;

  @Option(
      names = "--batch-bytes",
      paramLabel = "SIZE",
      defaultValue = "1048576",
      converter = Sizes.Converter.class,
      description = "Bytes of each batch, one record each (default: ${DEFAULT-VALUE}).")
  long batchBytes;

  @Option(
      names = "--total-bytes",
      paramLabel = "SIZE",
      defaultValue = "268435456",
      converter = Sizes.Converter.class,
      description = "Bytes written per measurement (default: ${DEFAULT-VALUE}).")
  long totalBytes;

  @Option(
      names = "--flush",
      paramLabel = "every-batch|os",
      defaultValue = "os",
      converter = FlushConverter.class,
      description = "sluice.storage.flush (default: ${DEFAULT-VALUE}).")
  FlushPolicy flush;

  @Option(
      names = "--iterations",
      paramLabel = "N",
      defaultValue = "3",
      description = "Measurements of each kind, after one warm-up (default: ${DEFAULT-VALUE}).")
  int iterations;

  /** Checks the options; a problem is a usage error (exit code 2), found before JMH starts. */
  void validate() {
    try {
      LogAppendBenchmark.checkBatchBytes(batchBytes);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (totalBytes < 1) {
      throw new ParameterException(
          spec.commandLine(), "--total-bytes must be at least 1, got " + totalBytes);
    }
    if (iterations < 1) {
      throw new ParameterException(
          spec.commandLine(), "--iterations must be at least 1, got " + iterations);
    }
  }

  /** The JMH run: both benchmarks of {@link LogAppendBenchmark} with these options. */
  Options options() {
    long batches = LogAppendBenchmark.batches(batchBytes, totalBytes);
    String base = dir == null ? System.getProperty("java.io.tmpdir") : dir.toString();
    return new OptionsBuilder()
        .include("^" + Pattern.quote(LogAppendBenchmark.class.getName()) + "\\.")
        .forks(1)
        .warmupIterations(1)
        .measurementIterations(iterations)
        .operationsPerInvocation((int) Math.min(Integer.MAX_VALUE, batches))
        .param("batchBytes", Long.toString(batchBytes))
        .param("totalBytes", Long.toString(totalBytes))
        .param("flush", flush.configValue())
        .param("dir", Path.of(base).toAbsolutePath().toString())
        .shouldFailOnError(true)
        .build();
  }

  @Override
  public Integer call() throws RunnerException {
    validate();
    Runner runner =
        new Runner(
            options(), OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL));
    Collection<RunResult> results = runner.run();
    PrintWriter out = spec.commandLine().getOut();
    long batches = LogAppendBenchmark.batches(batchBytes, totalBytes);
    for (String kind : new String[] {"append", "read"}) {
      RunResult result =
          results.stream()
              .filter(r -> r.getParams().getBenchmark().endsWith("." + kind))
              .findFirst()
              .orElseThrow(() -> new CliException("JMH reported no result for " + kind));
      out.println(line(kind, batches, result.getPrimaryResult()));
    }
    out.flush();
    return 0;
  }

  /** One result line; JMH's score is the mean milliseconds per batch. */
  String line(String kind, long batches, Result<?> millisPerBatch) {
    double seconds = millisPerBatch.getScore() * batches / 1e3;
    return String.format(
        Locale.ROOT,
        "%s batch-bytes=%d total-bytes=%d flush=%s batches=%d seconds=%.3f mb-per-s=%.1f"
            + " iterations=%d",
        kind,
        batchBytes,
        batches * batchBytes,
        flush.configValue(),
        batches,
        seconds,
        Sizes.mibPerSecond(batches * batchBytes, (long) (seconds * 1e9)),
        millisPerBatch.getSampleCount());
  }

  /** {@code every-batch} or {@code os}, as in the config file (or the enum's name). */
  static final class FlushConverter implements ITypeConverter<FlushPolicy> {
    @Override
    public FlushPolicy convert(String value) {
      try {
        return LogAppendBenchmark.flushPolicy(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("'" + value + "': expected every-batch or os");
      }
    }
  }
}
