package dev.karpenter.cli;

import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.simulate.DisruptionPrinter;
import dev.karpenter.simulate.DisruptionSimulation;
import dev.karpenter.simulate.ManifestReader;
import dev.karpenter.simulate.PlanPrinter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter simulate}: offline what-would-Karpenter-launch, no cluster, no AWS. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Plan the nodes for the pods in Kubernetes manifests (NodePool, EC2NodeClass, Pod,"
            + " Deployment, ReplicaSet, StatefulSet, Job, DaemonSet, Node) without a cluster or"
            + " AWS. Exit 0 with a plan (even with unschedulable pods), 1 on invalid input.")
public final class SimulateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      arity = "1..*",
      description = "Manifest files or directories (multi-document YAML).")
  List<Path> files;

  @Option(
      names = "-o",
      defaultValue = "table",
      description =
          "table, wide (the table plus why each NodeClaim got its instance type) or json.")
  String output;

  @Option(names = "--region", defaultValue = "us-east-1", description = "Catalog region.")
  String region;

  @Option(
      names = "--disruption",
      description =
          "Instead of provisioning, show what the disruption loop would do with the NodePools,"
              + " Nodes and their Pods (a `kubectl get nodes,pods -o yaml` dump works), optional"
              + " NodeClaims and PodDisruptionBudgets.")
  boolean disruption;

  @Option(
      names = "--at",
      description =
          "With --disruption: the time to evaluate at (RFC 3339, e.g. 2026-12-02T10:00:00Z); default now.")
  String at;

  @Option(
      names = "--spot-to-spot",
      description = "With --disruption: enable the SpotToSpotConsolidation feature gate.")
  boolean spotToSpot;

  @Override
  public void run() {
    if (!output.equals("table") && !output.equals("wide") && !output.equals("json")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "-o must be table, wide or json, got '" + output + "'");
    }
    if (!Catalog.regions().contains(region)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--region " + region + " is not in the catalog (one of " + Catalog.regions() + ")");
    }
    ManifestReader reader = new ManifestReader(Catalog.load(region));
    if (disruption) {
      runDisruption(reader);
      return;
    }
    SchedulingInput input;
    try {
      input = reader.read(files);
    } catch (ManifestReader.InvalidManifestException e) {
      throw new CliErrors.UserException(e.getMessage());
    }
    for (String w : reader.warnings()) {
      spec.commandLine().getErr().println("warning: " + w);
    }
    SchedulingResult result =
        new Scheduler(Scheduler.Options.defaults().withExplain(true)).solve(input);
    PrintWriter out = spec.commandLine().getOut();
    if (output.equals("json")) {
      PlanPrinter.printJson(result, out);
    } else {
      PlanPrinter.printTable(result, out, output.equals("wide"));
    }
    out.flush();
  }

  private void runDisruption(ManifestReader reader) {
    java.time.Instant now;
    try {
      now = at == null ? java.time.Instant.now() : java.time.OffsetDateTime.parse(at).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--at '" + at + "' is not an RFC 3339 time such as 2026-12-02T10:00:00Z");
    }
    dev.karpenter.disruption.decision.DisruptionInput input;
    try {
      input = DisruptionSimulation.read(reader, files);
    } catch (ManifestReader.InvalidManifestException e) {
      throw new CliErrors.UserException(e.getMessage());
    }
    for (String w : reader.warnings()) {
      spec.commandLine().getErr().println("warning: " + w);
    }
    var engine =
        new dev.karpenter.disruption.decision.DisruptionEngine(
            java.time.Clock.fixed(now, java.time.ZoneOffset.UTC),
            new Scheduler(),
            dev.karpenter.disruption.decision.DisruptionEngine.Options.defaults()
                .withSpotToSpot(spotToSpot));
    var plan = engine.plan(input);
    PrintWriter out = spec.commandLine().getOut();
    if (output.equals("json")) {
      DisruptionPrinter.printJson(plan, out);
    } else {
      DisruptionPrinter.printTable(plan, now, out);
    }
    out.flush();
  }
}
