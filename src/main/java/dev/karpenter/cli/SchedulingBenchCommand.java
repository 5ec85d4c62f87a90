package dev.karpenter.cli;

import dev.karpenter.bench.SchedulingBenchmark;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter bench scheduling}: Karpenter's scheduling benchmark, last line JSON. */
@Command(
    name = "scheduling",
    description =
        "Schedule N synthetic pods (Karpenter's diverse mix) onto 400 synthetic instance types and"
            + " report pods/s; the last stdout line is JSON.")
public final class SchedulingBenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--pods", required = true, description = "Number of pods.")
  int pods;

  @Option(names = "--types", defaultValue = "400", description = "Synthetic instance types.")
  int types;

  @Option(
      names = "--mix",
      defaultValue = "diverse",
      description = "diverse (five-way mix) or preferences (pods with preferences to relax).")
  String mix;

  @Option(names = "--warmup", defaultValue = "1", description = "Unmeasured runs first (JIT).")
  int warmup;

  @Option(
      names = "--improve-ms",
      defaultValue = "1000",
      description = "Cost-improver budget in milliseconds (0 disables).")
  long improveMs;

  @Option(names = "-o", defaultValue = "table", description = "table or json.")
  String output;

  @Override
  public void run() {
    if (pods <= 0 || types <= 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--pods and --types must be positive");
    }
    if (!mix.equals("diverse") && !mix.equals("preferences")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--mix must be diverse or preferences");
    }
    PrintWriter out = spec.commandLine().getOut();
    Scheduler scheduler =
        new Scheduler(Scheduler.Options.defaults().withImproveBudget(Duration.ofMillis(improveMs)));
    for (int i = 0; i < warmup; i++) {
      SchedulingBenchmark.measure(scheduler, input());
    }
    SchedulingBenchmark.Report r = SchedulingBenchmark.measure(scheduler, input());
    if (!output.equals("json")) {
      out.printf(
          "%d pods -> %d nodes, %d unschedulable in %.3f s (%.0f pods/s), peak heap %d MiB%n",
          r.pods(), r.nodes(), r.unschedulable(), r.seconds(), r.podsPerSecond(), r.heapMiB());
      if (mix.equals("diverse")) {
        boolean gate = r.nodes() == r.pods() / 5 && r.unschedulable() == 0;
        out.println(
            "correctness gate nodes == pods/5 (" + r.pods() / 5 + "): " + (gate ? "PASS" : "FAIL"));
      }
    }
    out.println(r.json());
    out.flush();
  }

  private SchedulingInput input() {
    return mix.equals("diverse")
        ? SchedulingBenchmark.diverseInput(pods, types)
        : SchedulingBenchmark.preferenceInput(pods, types);
  }
}
