package dev.karpenter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.bench.BurstBenchmark;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.operator.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code karpenter bench burst}: N pods at once, end to end on the local control plane (or a
 * loopback $KUBECONFIG) with the operator on the simulated cloud. Last stdout line is JSON.
 */
@Command(
    name = "burst",
    mixinStandardHelpOptions = true,
    description =
        "Create N pods at once and measure, per pod, created -> Unschedulable -> NodeClaim created"
            + " -> bound -> Running, each provisioning batch window, and the NodePool's launched"
            + " CPU against its limit at every instant. Starts its own local control plane unless"
            + " KUBECONFIG points at one on this machine; the last stdout line is JSON with -o"
            + " json. Exit code 1 when a pod was not placed or the limit was exceeded.")
public final class BurstBenchCommand implements Callable<Integer> {
  static final String NODE_POOL = "bench-burst";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--pods", defaultValue = "1000", description = "Pods (default ${DEFAULT-VALUE}).")
  int pods;

  @Option(
      names = "--cpu",
      defaultValue = "500m",
      description = "CPU request per pod (default ${DEFAULT-VALUE}).")
  String cpu;

  @Option(
      names = "--limit-cpu",
      description =
          "NodePool cpu limit (default: 1.25 x the burst's requests + 16, room for every pod).")
  Integer limitCpu;

  @Option(
      names = "--parallel",
      defaultValue = "32",
      description = "Concurrent pod create requests (default ${DEFAULT-VALUE}).")
  int parallel;

  @Option(
      names = "--batch-idle-duration",
      defaultValue = "1s",
      description = "Provisioning batch idle window (default ${DEFAULT-VALUE}).")
  String batchIdle;

  @Option(
      names = "--batch-max-duration",
      defaultValue = "10s",
      description = "Provisioning batch maximum window (default ${DEFAULT-VALUE}).")
  String batchMax;

  @Option(
      names = "--timeout",
      defaultValue = "15m",
      description = "Give up waiting for every pod Running after (default ${DEFAULT-VALUE}).")
  String timeout;

  @Option(
      names = "--timeline",
      description = "Also write the whole report (every batch window) as JSON to this file.")
  Path timeline;

  @Option(names = "-o", defaultValue = "table", description = "table or json.")
  String output;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    if (pods <= 0 || parallel <= 0) {
      throw new CliErrors.UserException("--pods and --parallel must be positive");
    }
    if (!output.equals("table") && !output.equals("json")) {
      throw new CliErrors.UserException("-o: '" + output + "' is not one of table, json");
    }
    long cpuMilli = dev.karpenter.scheduling.Quantities.parseMilli(cpu);
    int limit = limitCpu != null ? limitCpu : (int) Math.ceil(pods * cpuMilli / 1000.0 * 1.25) + 16;
    Duration wait = ControllerCommand.duration("--timeout", timeout);
    OperatorConfig config =
        ControllerCommand.config(-1, batchIdle, batchMax, "500ms", "300ms", "us-east-1")
            .withIdentity("bench-burst")
            .withTimeouts(Duration.ofMinutes(30), Duration.ofMinutes(10));
    out = spec.commandLine().getOut();
    String namespace = "bench-burst-" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    try (LocalControlPlane cluster = LocalControlPlane.startOrUse(this::say);
        KubernetesClient client = ControllerCommand.client(cluster.kubeconfig())) {
      String pool =
          """
          apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata:
            name: %s
          spec:
            template:
              spec:
                requirements:
                  - key: node.kubernetes.io/instance-type
                    operator: In
                    values: ['m5.large', 'm5.xlarge', 'm5.2xlarge']
                  - key: karpenter.sh/capacity-type
                    operator: In
                    values: ['on-demand']
                nodeClassRef:
                  group: karpenter.k8s.aws
                  kind: EC2NodeClass
                  name: default
            limits:
              cpu: '%d'
          """
              .formatted(NODE_POOL, limit);
      BenchSetup.poolAndNamespace(client, pool, namespace, this::say);
      BurstBenchmark.Report r;
      try (KarpenterOperator op = BenchSetup.leadingOperator(client, config)) {
        say("operator leading; creating " + pods + " pods of " + cpu + " cpu at once");
        r =
            new BurstBenchmark(client, op, Clock.systemUTC(), this::say)
                .run(namespace, NODE_POOL, "cpu", limit * 1000L, cpu, pods, parallel, wait);
        if (!cluster.started()) {
          cleanUp(client, namespace);
        }
      }
      print(r, config);
      if (timeline != null) {
        Files.writeString(
            timeline, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
      }
      return r.placed() == pods && r.peakMilli() <= r.limitMilli() ? 0 : 1;
    }
  }

  private void cleanUp(KubernetesClient client, String namespace) throws InterruptedException {
    say("cleaning up");
    client.namespaces().withName(namespace).delete();
    client.resources(NodePool.class).withName(NODE_POOL).delete();
    // NodeClaims carry a finalizer that this operator removes, so wait while it still runs.
    client.resources(NodeClaim.class).withLabel("karpenter.sh/nodepool", NODE_POOL).delete();
    long until = System.nanoTime() + Duration.ofSeconds(300).toNanos();
    while (System.nanoTime() < until
        && !client
            .resources(NodeClaim.class)
            .withLabel("karpenter.sh/nodepool", NODE_POOL)
            .list()
            .getItems()
            .isEmpty()) {
      Thread.sleep(500);
    }
  }

  private void print(BurstBenchmark.Report r, OperatorConfig config) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    double load =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    out.printf(
        "%d pods created in %.1f s (%d parallel); %d bound, %d Running after %.1f s (%d deleted by"
            + " others after binding, %d before); %d NodeClaims;"
            + " launched cpu peak %.1f of limit %d (%d samples); batch idle %d ms, max %d ms; %d"
            + " cores, load %.1f%n",
        r.pods(),
        r.createSeconds(),
        parallel,
        r.placed(),
        r.running(),
        r.seconds(),
        r.deletedAfterBinding(),
        r.deletedUnbound(),
        r.nodeClaims(),
        r.peakMilli() / 1000.0,
        r.limitMilli() / 1000,
        r.limitSamples(),
        config.batchIdle().toMillis(),
        config.batchMax().toMillis(),
        cores,
        load);
    out.printf(
        "%-28s %6s %9s %9s %9s %9s%n", "interval", "pods", "p50 ms", "p90 ms", "p99 ms", "max");
    row("created -> NodeClaim", r.createdToNodeClaim());
    row("created -> Unschedulable", r.createdToUnschedulable());
    row("Unschedulable -> NodeClaim", r.unschedulableToNodeClaim());
    row("created -> bound", r.createdToBound());
    row("created -> Running", r.createdToRunning());
    out.printf(
        "%-6s %9s %9s %9s %9s %9s %6s %8s %7s%n",
        "batch", "opened", "last pod", "closed", "done", "triggers", "pods", "solve ms", "claims");
    int i = 0;
    for (BurstBenchmark.Batch b : r.batches()) {
      out.printf(
          "%-6d %9d %9d %9d %9d %9d %6d %8d %7d%n",
          ++i,
          b.openedMs(),
          b.lastTriggerMs(),
          b.closedMs(),
          b.finishedMs(),
          b.triggers(),
          b.pods(),
          b.solveMs(),
          b.claims());
    }
    out.println(
        "(batch times in ms from the first create request; 'last pod': the window's last"
            + " extension, counted from when that pod started waiting)");
    if (output.equals("json")) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("pods", r.pods());
      json.put("placed", r.placed());
      json.put("running", r.running());
      json.put("deletedAfterBinding", r.deletedAfterBinding());
      json.put("deletedUnbound", r.deletedUnbound());
      json.put("nodeClaims", r.nodeClaims());
      json.put("limitCpu", r.limitMilli() / 1000.0);
      json.put("peakCpu", r.peakMilli() / 1000.0);
      json.put("limitExceeded", r.peakMilli() > r.limitMilli());
      json.put("createSeconds", r.createSeconds());
      json.put("seconds", r.seconds());
      json.put("createdToNodeClaim", r.createdToNodeClaim());
      json.put("createdToUnschedulable", r.createdToUnschedulable());
      json.put("unschedulableToNodeClaim", r.unschedulableToNodeClaim());
      json.put("createdToBound", r.createdToBound());
      json.put("createdToRunning", r.createdToRunning());
      json.put("batches", r.batches().size());
      json.put("batchIdleMs", config.batchIdle().toMillis());
      json.put("batchMaxMs", config.batchMax().toMillis());
      json.put("cores", cores);
      json.put("loadAverage", load);
      out.println(new ObjectMapper().writeValueAsString(json));
    }
    out.flush();
  }

  private void row(String name, BurstBenchmark.Stat s) {
    out.printf(
        "%-28s %6d %9.0f %9.0f %9.0f %9.0f%n",
        name, s.count(), s.p50Ms(), s.p90Ms(), s.p99Ms(), s.maxMs());
  }

  private void say(String line) {
    spec.commandLine().getErr().println(line);
    spec.commandLine().getErr().flush();
  }
}
