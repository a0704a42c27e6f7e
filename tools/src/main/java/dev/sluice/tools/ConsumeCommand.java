package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.PartitionDescription;
import dev.sluice.api.ReplicaDescription;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClient.FetchedRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * {@code sluice consume TOPIC --partition P --from N ...}: reads records one at a time, from {@code
 * --from} up to {@code --count} records or, without it, up to the high watermark the leader reports
 * when the command starts (records committed later are not waited for).
 *
 * <p>Values go to stdout as {@code offset<TAB>value} lines, or with {@code --out-dir} to one file
 * per record, {@code D/<offset>}, streamed so that a value of any size fits; stdout then lists
 * {@code offset<TAB>path}.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = "Reads records from a partition.")
final class ConsumeCommand implements Callable<Integer> {

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
      description = "Records to read (default: up to the high watermark).")
  Long count;

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
    SluiceClient client = server.client();
    long end = count != null ? from + count : highWatermark(client);
    if (outDir != null) {
      Files.createDirectories(outDir);
    }
    long offset = from;
    while (offset < end) {
      long read =
          outDir == null
              ? client.fetch(topic, partition, offset, this::print)
              : client.fetch(topic, partition, offset, this::save);
      // Never step backwards, whatever offset the server reports: a loop must end.
      offset = Math.max(offset, read) + 1;
      if (spec.commandLine().getOut().checkError()) {
        // stdout is gone (`consume ... | head`): stop fetching what nobody will read.
        return 0;
      }
    }
    if (offset == from && count == null) {
      spec.commandLine()
          .getErr()
          .printf(
              "no records in partition %d at or after offset %d (high watermark %d)%n",
              partition, from, end);
    }
    return 0;
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

  private long print(FetchedRecord record) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    out.print(record.offset());
    out.print('\t');
    // Decoded while streaming, so even a huge value never sits in memory whole.
    try (Reader value = new InputStreamReader(record.value(), UTF_8)) {
      value.transferTo(out);
    }
    out.println();
    return record.offset();
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
