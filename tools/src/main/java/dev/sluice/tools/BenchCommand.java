package dev.sluice.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice bench ...}: groups the benchmarks; each kind is a subcommand. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Runs benchmarks (timings belong here, never in tests).",
    subcommands = {BenchAppendCommand.class, BenchCatchupCommand.class, BenchProduceCommand.class})
final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing benchmark kind");
  }
}
