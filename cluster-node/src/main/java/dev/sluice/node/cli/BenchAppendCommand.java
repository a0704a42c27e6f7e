package dev.sluice.node.cli;

import dev.sluice.log.bench.LogBenchmark;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code sluice bench append [--dir D] [--batch-bytes B] [--total-bytes T] [--flush F]}: the
 * partition-log append benchmark. Its options belong to {@link LogBenchmark}, which parses them
 * itself, so every argument is passed through untouched (including {@code --help}).
 */
@Command(
    name = "append",
    description = "Measures appends to a partition log on local disk (options: see --help).")
final class BenchAppendCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Unmatched List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    try {
      LogBenchmark.main(args.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      // LogBenchmark reports a bad option this way: a usage error, like picocli's own.
      throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, null);
    }
    return 0;
  }
}
