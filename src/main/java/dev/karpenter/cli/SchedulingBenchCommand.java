package dev.karpenter.cli;

import dev.karpenter.bench.CatalogMixes;
import dev.karpenter.bench.SchedulingBenchmark;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.CostBound;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter bench scheduling}: Karpenter's scheduling benchmark, last line JSON. */
@Command(
    name = "scheduling",
    mixinStandardHelpOptions = true,
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
      description =
          "diverse (Karpenter's five-way mix on synthetic types), preferences (pods with"
              + " preferences to relax), preferences-upstream (upstream's makePreferencePods"
              + " shape), or cpu / gpu (real us-east-1 catalog, with the plan's"
              + " $/h against the LP lower bound).")
  String mix;

  @Option(
      names = "--warmup",
      defaultValue = "3",
      description = "Unmeasured runs first (JIT warm-up).")
  int warmup;

  @Option(
      names = "--improve-ms",
      description =
          "Cost-improver budget in milliseconds (0 disables). Default: 0 for diverse and"
              + " preferences, which time the packing as Karpenter's benchmark times Solve; 5000"
              + " for cpu and gpu, which measure cost.")
  Long improveMs;

  @Option(names = "-o", defaultValue = "table", description = "table or json.")
  String output;

  @Override
  public void run() {
    if (pods <= 0 || types <= 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--pods and --types must be positive");
    }
    if (!List.of("diverse", "preferences", "preferences-upstream", "cpu", "gpu").contains(mix)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--mix must be diverse, preferences, preferences-upstream, cpu or gpu");
    }
    PrintWriter out = spec.commandLine().getOut();
    boolean costMix = mix.equals("cpu") || mix.equals("gpu");
    Scheduler scheduler =
        new Scheduler(
            Scheduler.Options.defaults()
                .withImproveBudget(
                    Duration.ofMillis(improveMs != null ? improveMs : costMix ? 5000 : 0)));
    for (int i = 0; i < warmup; i++) {
      SchedulingBenchmark.measure(scheduler, input());
    }
    SchedulingInput in = input();
    SchedulingBenchmark.Report r = SchedulingBenchmark.measure(scheduler, in);
    if (mix.equals("cpu") || mix.equals("gpu")) {
      SchedulingResult plan = scheduler.solve(in);
      SchedulingResult ffd =
          new Scheduler(Scheduler.Options.defaults().withImproveBudget(Duration.ZERO)).solve(in);
      double bound = CostBound.lowerBound(in);
      double gap = 100 * (plan.totalPricePerHour() - bound) / bound;
      out.printf(
          Locale.ROOT,
          "plan $%.4f/h (first-fit-decreasing alone $%.4f/h), LP lower bound $%.4f/h, gap %.2f%%%n",
          plan.totalPricePerHour(),
          ffd.totalPricePerHour(),
          bound,
          gap);
      out.println(
          r.json()
              .replaceFirst(
                  "}$",
                  String.format(
                      Locale.ROOT,
                      ", \"pricePerHour\": %.4f, \"ffdPricePerHour\": %.4f, \"lowerBound\": %.4f,"
                          + " \"gapPercent\": %.2f}",
                      plan.totalPricePerHour(),
                      ffd.totalPricePerHour(),
                      bound,
                      gap)));
      out.flush();
      return;
    }
    if (!output.equals("json")) {
      out.printf(
          "%d pods -> %d nodes, %d unschedulable in %.3f s (%.0f pods/s; %.3f s CPU, %.0f pods per"
              + " CPU second), peak heap %d MiB%n",
          r.pods(),
          r.nodes(),
          r.unschedulable(),
          r.seconds(),
          r.podsPerSecond(),
          r.cpuSeconds(),
          r.podsPerCpuSecond(),
          r.heapMiB());
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
    return switch (mix) {
      case "diverse" -> SchedulingBenchmark.diverseInput(pods, types);
      case "preferences" -> SchedulingBenchmark.preferenceInput(pods, types);
      case "preferences-upstream" -> SchedulingBenchmark.upstreamPreferenceInput(pods, types);
      case "cpu" -> CatalogMixes.cpu(Catalog.load("us-east-1"), pods);
      default -> CatalogMixes.gpu(Catalog.load("us-east-1"), pods);
    };
  }
}
