package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.api.Acks;
import dev.sluice.client.SluiceClient;
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
 * {@code sluice produce TOPIC ...}: appends records to one partition and prints {@code partition P
 * offset N} per record. The value comes from {@code --value}, from {@code --value-file} (streamed,
 * never loaded whole, so a file of any size works), or from stdin, one record per line.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Appends records to a partition.",
      "Without --value or --value-file, every line read from stdin is one record."
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
      description = "Partition (default: ${DEFAULT-VALUE}).")
  int partition;

  @Option(names = "--key", paramLabel = "K", description = "Record key (UTF-8 text).")
  String key;

  @Option(
      names = "--acks",
      paramLabel = "all|leader",
      description =
          "all: answer once the in-sync replicas have the record; leader: once the leader wrote it"
              + " (default: the server's).")
  Acks acks;

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

  private void report(long offset) {
    spec.commandLine().getOut().println("partition " + partition + " offset " + offset);
  }
}
