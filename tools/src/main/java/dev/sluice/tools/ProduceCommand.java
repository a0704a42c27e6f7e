package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.Acks;
import dev.sluice.api.ProduceRecord;
import dev.sluice.client.RecordMetadata;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceProducer;
import dev.sluice.format.Compression;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sluice produce TOPIC ...}: appends records and reports where they went.
 *
 * <p>One request per record, printing {@code partition P offset N} per record: the value comes from
 * {@code --value}, from {@code --value-file} (streamed, never loaded whole, so a file of any size
 * works), or from stdin, one record per line.
 *
 * <p>Batched, through {@link SluiceProducer}: {@code --lines} (each line of stdin or {@code --file}
 * one record's value) and {@code --ndjson} (each line a record in the server's NDJSON format, see
 * {@link NdjsonRecords}). Records go to {@code --partition} when it is given, else to Kafka's
 * partition for their key, records without a key filling one partition's batch after another. At
 * the end it prints a {@link ProduceSummary}; any failed record makes the exit code 1. Input is
 * read as it is sent, so memory stays within the producer's buffer whatever the input's size. The
 * producer is idempotent unless {@code --idempotence off}, and compresses its batches with {@code
 * --compression}; both apply to the batched inputs only, a one-request record being neither.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Appends records to a partition.",
      "Without --value or --value-file, every line read from stdin is one record, one request"
          + " each.",
      "With --lines or --ndjson, the lines of stdin or --file are sent in batches through the"
          + " producer and a summary is printed at the end."
    })
final class ProduceCommand implements Callable<Integer> {

  @ParentCommand SluiceCli root;

  @Spec CommandSpec spec;

  @Mixin ServerOptions server;

  @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic to append to.")
  String topic;

  @Option(
      names = "--partition",
      paramLabel = "P",
      defaultValue = "0",
      description =
          "Partition (default: ${DEFAULT-VALUE}; with --lines or --ndjson: by key as Kafka does,"
              + " records without a key filling one partition's batch after another).")
  int partition;

  @Option(
      names = "--key",
      paramLabel = "K",
      description = "Record key (UTF-8 text); with --lines, the key of every record.")
  String key;

  @Option(
      names = "--lines",
      description =
          "Each line of stdin (or --file) is one record's value, sent in batches through the"
              + " producer.")
  boolean lines;

  @Option(
      names = "--ndjson",
      description =
          "Each line of stdin (or --file) is one record as JSON: {\"key\": base64|null,"
              + " \"value\": base64|null, \"headers\": [{\"key\": \"name\", \"value\":"
              + " base64|null}]}, sent in batches through the producer. Blank lines are skipped.")
  boolean ndjson;

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description = "With --lines or --ndjson: read the lines from FILE instead of stdin.")
  Path inputFile;

  @Option(
      names = "--acks",
      paramLabel = "all|leader",
      description =
          "all: answer once the in-sync replicas have the record; leader: once the leader wrote it"
              + " (default: the server's).")
  Acks acks;

  @Option(
      names = "--compression",
      paramLabel = ProducerOptions.COMPRESSION_LABEL,
      defaultValue = "none",
      converter = ProducerOptions.CompressionConverter.class,
      description = "With --lines or --ndjson: " + ProducerOptions.COMPRESSION_DESCRIPTION)
  Compression compression;

  @Option(
      names = "--idempotence",
      paramLabel = "on|off",
      defaultValue = "on",
      converter = ProducerOptions.OnOffConverter.class,
      description = "With --lines or --ndjson: " + ProducerOptions.IDEMPOTENCE_DESCRIPTION)
  ProducerOptions.OnOff idempotence;

  @ArgGroup(exclusive = true)
  ValueSource source;

  @Option(
      names = "--progress",
      description = "Show a progress bar for a large --value-file even when stderr is no terminal.")
  boolean progress;

  /** At most one explicit value; neither means stdin. */
  static final class ValueSource {
    @Option(names = "--value", paramLabel = "STR", description = "The value, as UTF-8 text.")
    String value;

    @Option(
        names = "--value-file",
        paramLabel = "FILE",
        description = "Send the file's bytes as the value (streamed).")
    Path file;
  }

  @Override
  public Integer call() throws IOException {
    if (partition < 0) {
      throw new ParameterException(spec.commandLine(), "--partition must be >= 0: " + partition);
    }
    boolean batched = lines || ndjson;
    if (lines && ndjson) {
      throw usage("--lines and --ndjson are two input formats: give one of them");
    }
    if (batched && source != null) {
      throw usage(
          (source.value != null ? "--value" : "--value-file")
              + " sends one record; it does not combine with "
              + (lines ? "--lines" : "--ndjson"));
    }
    if (inputFile != null && !batched) {
      throw usage(
          "--file is the input of --lines or --ndjson; to send a file as one value, use"
              + " --value-file");
    }
    for (String option : new String[] {"--compression", "--idempotence"}) {
      if (!batched && spec.commandLine().getParseResult().hasMatchedOption(option)) {
        throw usage(
            option
                + " applies to --lines and --ndjson, which send batches through the producer; a"
                + " record sent with one request is neither compressed nor idempotent");
      }
    }
    if (ndjson && key != null) {
      throw usage("--key does not apply to --ndjson: each NDJSON record carries its own key");
    }
    if (batched) {
      produceBatched(server.client());
      return 0;
    }
    if (key != null && !key.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      // The key travels in an HTTP header, and java.net.http writes header values as US-ASCII
      // (anything else becomes '?'); refuse rather than store a silently mangled key.
      throw new ParameterException(
          spec.commandLine(), "--key must be printable ASCII (it is sent as an HTTP header)");
    }
    SluiceClient client = server.client();
    if (source != null && source.value != null) {
      byte[] bytes = source.value.getBytes(UTF_8);
      report(
          client.append(
              topic, partition, key, acks, () -> BodyPublishers.ofByteArray(bytes), false));
    } else if (source != null && source.file != null) {
      produceFile(client, source.file);
    } else {
      produceLines(client);
    }
    return 0;
  }

  private void produceFile(SluiceClient client, Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    // A pipe or device has no size up front; it is sent chunked instead of with a length.
    long size = Files.isRegularFile(file) ? Files.size(file) : -1;
    ProgressBar bar =
        ProgressBar.forTransfer(
            size, progress || root.stderrIsTerminal(), spec.commandLine().getErr());
    Supplier<BodyPublisher> body =
        () -> {
          bar.restart();
          BodyPublisher stream = BodyPublishers.ofInputStream(() -> open(file, bar));
          return size >= 0 ? BodyPublishers.fromPublisher(stream, size) : stream;
        };
    long offset;
    try {
      // No Expect: 100-continue: the JDK 17 client never completes a request whose 100-continue
      // is answered with a final status (a 413 or 307), it waits for ever. The server drains a
      // body it refuses and then answers, so sending it is slower but always ends.
      offset = client.append(topic, partition, key, acks, body, false);
    } finally {
      bar.finish();
    }
    report(offset);
  }

  private static java.io.InputStream open(Path file, ProgressBar bar) {
    try {
      return bar.track(Files.newInputStream(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void produceLines(SluiceClient client) throws IOException {
    BufferedReader lines = new BufferedReader(new InputStreamReader(root.stdin(), UTF_8));
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      byte[] bytes = line.getBytes(UTF_8);
      report(
          client.append(
              topic, partition, key, acks, () -> BodyPublishers.ofByteArray(bytes), false));
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private void produceBatched(SluiceClient client) throws IOException {
    boolean partitionGiven = spec.commandLine().getParseResult().hasMatchedOption("--partition");
    String sourceName = inputFile != null ? inputFile.toString() : "stdin";
    ProduceSummary summary = new ProduceSummary(topic);
    SluiceProducer.Builder builder =
        SluiceProducer.builder(client).compression(compression).idempotence(idempotence.on());
    if (acks != null) {
      builder.acks(acks);
    }
    try (BufferedReader in = input()) {
      long start = System.nanoTime();
      try (SluiceProducer producer = builder.build()) {
        send(in, producer, partitionGiven, sourceName, summary);
        producer.flush();
      } finally {
        // Also when the input broke off: what was sent before it is reported.
        summary.print(spec.commandLine().getOut(), System.nanoTime() - start);
      }
    }
    if (summary.failures() > 0) {
      throw new CliException(summary.failureMessage());
    }
  }

  private void send(
      BufferedReader in,
      SluiceProducer producer,
      boolean partitionGiven,
      String sourceName,
      ProduceSummary summary)
      throws IOException {
    byte[] keyBytes = key == null ? null : key.getBytes(UTF_8);
    long lineNumber = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      lineNumber++;
      if (ndjson && line.isBlank()) {
        continue;
      }
      ProduceRecord record =
          ndjson
              ? NdjsonRecords.parse(line, sourceName, lineNumber)
              : new ProduceRecord(keyBytes, line.getBytes(UTF_8));
      long size = length(record.key()) + length(record.value());
      CompletableFuture<RecordMetadata> sent =
          partitionGiven ? producer.send(topic, partition, record) : producer.send(topic, record);
      sent.whenComplete(
          (metadata, failure) -> {
            if (failure == null) {
              summary.acknowledged(metadata, size);
            } else {
              summary.failed(failure);
            }
          });
    }
  }

  private BufferedReader input() throws IOException {
    if (inputFile == null) {
      return new BufferedReader(new InputStreamReader(root.stdin(), UTF_8));
    }
    return Files.newBufferedReader(inputFile, UTF_8);
  }

  private static long length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  private void report(long offset) {
    spec.commandLine().getOut().println("partition " + partition + " offset " + offset);
  }
}
