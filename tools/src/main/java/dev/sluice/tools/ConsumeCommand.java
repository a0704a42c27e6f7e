package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.client.ConsumedRecord;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClient.FetchedRecord;
import dev.sluice.client.SluiceConsumer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sluice consume TOPIC --partition P --from N ...}: reads records from {@code --from} up to
 * {@code --count} records or, without it, up to the high watermark the leader reports when the
 * command starts. With {@code --follow} it keeps waiting for new records (long polls, one request
 * per batch of records rather than per record) until interrupted (Ctrl-C) or, with {@code --count},
 * until that many were read.
 *
 * <p>Values go to stdout as {@code offset<TAB>value} lines, read many records per request ({@link
 * SluiceClient#fetchRecords}, up to {@code --max-bytes} of batches). With {@code --out-dir} each
 * value is written to its own file, {@code D/<offset>}, streamed by a single-record request so that
 * a value of any size fits; stdout then lists {@code offset<TAB>path}.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = "Reads records from a partition.")
final class ConsumeCommand implements Callable<Integer> {
  /** How long one long poll of {@code --follow} waits (the server may cap it lower). */
  static final Duration FOLLOW_WAIT = Duration.ofSeconds(15);

  /**
   * Without {@code --follow}, how long a read at a not yet readable offset waits before the command
   * gives up: enough for a record just produced to commit, or for a follower that serves the read
   * to catch up with the leader's high watermark.
   */
  static final Duration CATCH_UP_WAIT = Duration.ofSeconds(5);

  @ParentCommand SluiceCli root;

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic to read.")
  String topic;

  @Option(names = "--partition", required = true, paramLabel = "P", description = "Partition.")
  int partition;

  @Option(names = "--from", required = true, paramLabel = "N", description = "First offset.")
  long from;

  @Option(
      names = "--count",
      paramLabel = "C",
      description =
          "Records to read (default: up to the high watermark, or forever with --follow).")
  Long count;

  @Option(
      names = "--follow",
      description = "Keep waiting for new records until interrupted (Ctrl-C).")
  boolean follow;

  @Option(
      names = "--max-bytes",
      paramLabel = "B",
      description = "Bytes of batches asked for per request (default: ${DEFAULT-VALUE}).")
  int maxBytes = SluiceConsumer.DEFAULT_MAX_BYTES;

  @Option(
      names = "--out-dir",
      paramLabel = "D",
      description = "Write each value to D/<offset> instead of printing it.")
  Path outDir;

  @Option(
      names = "--progress",
      description =
          "Show a progress bar for large values written to files even without a terminal.")
  boolean progress;

  @Override
  public Integer call() throws IOException {
    if (partition < 0 || from < 0 || (count != null && count < 0)) {
      throw new ParameterException(
          spec.commandLine(), "--partition, --from and --count must not be negative");
    }
    if (maxBytes <= 0) {
      throw new ParameterException(spec.commandLine(), "--max-bytes must be positive");
    }
    if (follow && outDir != null) {
      throw new ParameterException(
          spec.commandLine(), "--follow prints records; it does not combine with --out-dir");
    }
    SluiceClient client = server.client();
    long end = count != null ? from + count : follow ? Long.MAX_VALUE : highWatermark(client);
    long offset = outDir == null ? printFrom(client, end) : saveFrom(client, end);
    if (offset == from && count == null && !follow) {
      spec.commandLine()
          .getErr()
          .printf(
              "no records in partition %d at or after offset %d (high watermark %d)%n",
              partition, from, end);
    }
    return 0;
  }

  /** Prints records from {@code --from} up to {@code end}; returns the offset it stopped at. */
  private long printFrom(SluiceClient client, long end) {
    SluiceConsumer consumer = SluiceConsumer.create(client, maxBytes);
    consumer.assign(topic, partition);
    consumer.seek(from);
    PrintWriter out = spec.commandLine().getOut();
    long offset = from;
    while (offset < end) {
      List<ConsumedRecord> records = consumer.poll(follow ? FOLLOW_WAIT : Duration.ZERO);
      if (records.isEmpty() && !follow) {
        records = consumer.poll(CATCH_UP_WAIT);
        if (records.isEmpty()) {
          throw new CliException(
              "no record of partition "
                  + partition
                  + " of "
                  + topic
                  + " at offset "
                  + offset
                  + " is readable (high watermark "
                  + consumer.highWatermark()
                  + "); "
                  + (offset - from)
                  + " records read; use --follow to wait for new records");
        }
      }
      for (ConsumedRecord r : records) {
        if (r.offset() >= end) {
          break;
        }
        out.print(r.offset());
        out.print('\t');
        if (r.value() != null) {
          out.print(new String(r.value(), UTF_8));
        }
        out.println();
      }
      out.flush();
      if (out.checkError()) {
        // stdout is gone (`consume ... | head`): stop fetching what nobody will read.
        return offset;
      }
      // Never step backwards, whatever offset the server reports: a loop must end.
      offset = Math.max(offset, consumer.position());
    }
    return offset;
  }

  /** Saves one value per file, a record per request; returns the offset it stopped at. */
  private long saveFrom(SluiceClient client, long end) throws IOException {
    Files.createDirectories(outDir);
    long offset = from;
    while (offset < end) {
      long read = client.fetch(topic, partition, offset, this::save);
      // Never step backwards, whatever offset the server reports: a loop must end.
      offset = Math.max(offset, read) + 1;
      if (spec.commandLine().getOut().checkError()) {
        return offset;
      }
    }
    return offset;
  }

  private long highWatermark(SluiceClient client) {
    PartitionDescription p =
        client
            .describeTopic(topic)
            .partition(partition)
            .orElseThrow(
                () -> new CliException("topic " + topic + " has no partition " + partition));
    long hw = p.leaderReplica().map(ReplicaDescription::hw).orElse(ReplicaDescription.UNKNOWN);
    if (hw < 0) {
      throw new CliException(
          "partition "
              + partition
              + " of "
              + topic
              + " reports no leader high watermark; give --count to read anyway");
    }
    return hw;
  }

  private long save(FetchedRecord record) throws IOException {
    Path target = outDir.resolve(Long.toString(record.offset()));
    // Written aside and renamed: an interrupted download never looks like a complete value.
    Path partial = outDir.resolve(record.offset() + ".part");
    ProgressBar bar =
        ProgressBar.forTransfer(
            record.length(), progress || root.stderrIsTerminal(), spec.commandLine().getErr());
    try (InputStream in = bar.track(record.value());
        OutputStream file = Files.newOutputStream(partial)) {
      in.transferTo(file);
    } finally {
      bar.finish();
    }
    Files.move(
        partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    spec.commandLine().getOut().println(record.offset() + "\t" + target);
    return record.offset();
  }
}
