package dev.sluice.tools;

import dev.sluice.api.LeaderMoves;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice leaders ...}: groups the cluster-wide leadership commands. */
@Command(
    name = "leaders",
    mixinStandardHelpOptions = true,
    description = "Partition leadership across the cluster.",
    subcommands = {LeadersCommand.Rebalance.class})
final class LeadersCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  /**
   * {@code sluice leaders rebalance}: gives the leadership of every partition back to its preferred
   * replica (the first of its assignment) where that replica is live and in sync.
   */
  @Command(
      name = "rebalance",
      mixinStandardHelpOptions = true,
      description =
          "Moves each partition's leadership to its preferred replica where that replica is live"
              + " and in sync (a leader change with a new epoch; no acknowledged record is lost).")
  static final class Rebalance implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ServerOptions server;

    @Override
    public Integer call() {
      LeaderMoves moved = server.client().rebalanceLeaders();
      if (moved.moves().isEmpty()) {
        spec.commandLine()
            .getOut()
            .println("every partition whose preferred replica is in sync is led by it already");
        return 0;
      }
      Table table = new Table("TOPIC", "PARTITION", "FROM", "TO", "EPOCH");
      for (LeaderMoves.Move m : moved.moves()) {
        table.row(m.topic(), m.partition(), m.from(), m.to(), m.leaderEpoch());
      }
      table.print(spec.commandLine().getOut());
      return 0;
    }
  }
}
