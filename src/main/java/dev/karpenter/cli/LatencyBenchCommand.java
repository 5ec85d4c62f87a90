package dev.karpenter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.bench.ProvisioningLatencyBenchmark;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.operator.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code karpenter bench latency}: pending pod to NodeClaim created, p50/p99, with the operator on
 * the simulated cloud against the local control plane (or $KUBECONFIG). Last stdout line is JSON.
 */
@Command(
    name = "latency",
    mixinStandardHelpOptions = true,
    description =
        "Measure pending pod (kube-scheduler: PodScheduled=False/Unschedulable) -> NodeClaim"
            + " created over N pods on the local control plane; the last stdout line is JSON.")
public final class LatencyBenchCommand implements Callable<Integer> {
  static final String NODE_POOL = "bench-latency";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--pods", defaultValue = "200", description = "Pods (default ${DEFAULT-VALUE}).")
  int pods;

  @Option(
      names = "--wave",
      defaultValue = "10",
      description = "Pods created together, one provisioning batch (default ${DEFAULT-VALUE}).")
  int wave;

  @Option(
      names = "--interval",
      defaultValue = "5s",
      description =
          "Time between waves (default ${DEFAULT-VALUE}: long enough for kube-scheduler to bind a"
              + " wave before the next one could take its nodes).")
  String interval;

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

  @Option(names = "-o", defaultValue = "table", description = "table or json.")
  String output;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    if (pods <= 0 || wave <= 0) {
      throw new CliErrors.UserException("--pods and --wave must be positive");
    }
    if (!output.equals("table") && !output.equals("json")) {
      throw new CliErrors.UserException("-o: '" + output + "' is not one of table, json");
    }
    Duration gap = ControllerCommand.duration("--interval", interval);
    OperatorConfig config =
        ControllerCommand.config(-1, batchIdle, batchMax, "500ms", "300ms", "us-east-1")
            .withIdentity("bench-latency");
    out = spec.commandLine().getOut();
    // A fresh namespace per run: pods of an earlier run that are still terminating stay apart.
    String namespace = "bench-latency-" + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    try (LocalControlPlane cluster = LocalControlPlane.startOrUse(this::say);
        KubernetesClient client = ControllerCommand.client(cluster.kubeconfig())) {
      // m5.xlarge has 4 vCPU: every 3-cpu pod needs a NodeClaim of its own.
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
                    values: ['m5.xlarge']
                  - key: karpenter.sh/capacity-type
                    operator: In
                    values: ['on-demand']
                nodeClassRef:
                  group: karpenter.k8s.aws
                  kind: EC2NodeClass
                  name: default
          """
              .formatted(NODE_POOL);
      BenchSetup.poolAndNamespace(client, pool, namespace, this::say);
      ProvisioningLatencyBenchmark.Report r;
      try (KarpenterOperator op = BenchSetup.leadingOperator(client, config)) {
        say("operator leading; creating " + pods + " pods in waves of " + wave);
        r =
            new ProvisioningLatencyBenchmark(client, op, this::say)
                .run(namespace, NODE_POOL, "3", pods, wave, gap, Duration.ofSeconds(120));
        say("cleaning up");
        client.namespaces().withName(namespace).delete();
        client.resources(NodePool.class).withName(NODE_POOL).delete();
        // NodeClaims carry a finalizer that this operator removes, so wait while it still runs.
        client.resources(NodeClaim.class).withLabel("karpenter.sh/nodepool", NODE_POOL).delete();
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
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
      print(r, config);
      return r.placed() == pods ? 0 : 1;
    }
  }

  private void print(ProvisioningLatencyBenchmark.Report r, OperatorConfig config)
      throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    long memGiB =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize()
            >> 30;
    out.printf(
        "%d pods (%d placed, %d measured) -> %d NodeClaims in %.1f s; pending -> NodeClaim created:"
            + " p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (batch idle %d ms, max %d ms;"
            + " %d cores, %d GiB)%n",
        r.pods(),
        r.placed(),
        r.measured(),
        r.nodeClaims(),
        r.seconds(),
        r.p50Ms(),
        r.p90Ms(),
        r.p99Ms(),
        r.maxMs(),
        config.batchIdle().toMillis(),
        config.batchMax().toMillis(),
        cores,
        memGiB);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("pods", r.pods());
    json.put("placed", r.placed());
    json.put("measured", r.measured());
    json.put("nodeClaims", r.nodeClaims());
    json.put("p50Ms", Math.round(r.p50Ms()));
    json.put("p90Ms", Math.round(r.p90Ms()));
    json.put("p99Ms", Math.round(r.p99Ms()));
    json.put("maxMs", Math.round(r.maxMs()));
    json.put("batchIdleMs", config.batchIdle().toMillis());
    json.put("batchMaxMs", config.batchMax().toMillis());
    json.put("cores", cores);
    if (output.equals("json")) {
      out.println(new ObjectMapper().writeValueAsString(json));
    }
    out.flush();
  }

  private void say(String line) {
    spec.commandLine().getErr().println(line);
    spec.commandLine().getErr().flush();
  }
}
