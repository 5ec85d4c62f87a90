package dev.karpenter.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code karpenter bench}: parent of the benchmark subcommands. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Run a benchmark.",
    subcommands = {
      SchedulingBenchCommand.class,
      CatalogBenchCommand.class,
      LatencyBenchCommand.class,
      BurstBenchCommand.class,
      DisruptionBenchCommand.class
    })
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "missing benchmark, one of: scheduling, catalog, latency, burst, disruption");
  }
}
