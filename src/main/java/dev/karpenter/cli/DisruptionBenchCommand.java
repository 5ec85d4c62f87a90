package dev.karpenter.cli;

import dev.karpenter.bench.DisruptionBenchmark;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.disruption.decision.Decision;
import dev.karpenter.disruption.decision.DisruptionInput;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter bench disruption}: one full disruption pass over a synthetic cluster. */
@Command(
    name = "disruption",
    mixinStandardHelpOptions = true,
    description =
        "Time one full disruption (consolidation) pass over N nodes and M pods: a CPU pool with"
            + " a fifth of its nodes underutilized and a tainted GPU pool with some oversized"
            + " nodes, on the us-east-1 catalog. Every candidate is considered.")
public final class DisruptionBenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--nodes", required = true, description = "Number of nodes.")
  int nodes;

  @Option(names = "--pods", required = true, description = "Number of pods.")
  int pods;

  @Option(names = "--warmup", defaultValue = "1", description = "Unmeasured passes first.")
  int warmup;

  @Option(names = "-o", defaultValue = "table", description = "table or json.")
  String output;

  @Override
  public void run() {
    if (nodes < 2 || pods < nodes) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--nodes must be at least 2 and --pods at least --nodes");
    }
    if (!output.equals("table") && !output.equals("json")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "-o must be table or json");
    }
    DisruptionInput in = DisruptionBenchmark.input(Catalog.load("us-east-1"), nodes, pods);
    for (int i = 0; i < warmup; i++) {
      DisruptionBenchmark.measure(in);
    }
    DisruptionBenchmark.Report r = DisruptionBenchmark.measure(in);
    PrintWriter out = spec.commandLine().getOut();
    if (!output.equals("json")) {
      out.printf(
          Locale.ROOT,
          "%d nodes, %d pods: %d candidates considered, %d decisions in %.3f s (%.3f s CPU),"
              + " peak heap %d MiB%n",
          r.nodes(),
          r.pods(),
          r.candidatesConsidered(),
          r.decisions(),
          r.seconds(),
          r.cpuSeconds(),
          r.heapMiB());
      for (Decision d : r.plan().decisions()) {
        out.printf(
            Locale.ROOT,
            "  %s %s: %d nodes, %d replacements, saves $%.4f/h%n",
            d.method(),
            d.reason(),
            d.nodes().size(),
            d.replacements().size(),
            d.savingsPerHour());
      }
    }
    out.println(r.json());
    out.flush();
  }
}
