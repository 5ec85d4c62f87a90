package dev.karpenter.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.disruption.decision.DisruptionEngine;
import dev.karpenter.disruption.decision.DisruptionInput;
import dev.karpenter.disruption.decision.DisruptionNode;
import dev.karpenter.disruption.decision.DisruptionPlan;
import dev.karpenter.disruption.decision.DisruptionPool;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.DisruptionInputs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One full disruption pass over a synthetic cluster on the real catalog: a CPU pool (m5.2xlarge
 * nodes, most ~80% full, a fifth holding a single pod) and a tainted GPU pool (g5.2xlarge nodes
 * with one GPU pod each, a tenth of them oversized g5.12xlarge holding one 1-GPU pod).
 */
public final class DisruptionBenchmark {
  static final Instant NOW = Instant.parse("2026-12-02T20:00:00Z");
  static final String ZONE = "us-east-1a";

  private DisruptionBenchmark() {}

  /** The result, and its last-line JSON. */
  public record Report(
      int nodes,
      int pods,
      double seconds,
      int candidatesConsidered,
      int decisions,
      long heapMiB,
      double cpuSeconds,
      DisruptionPlan plan) {
    public String json() {
      return String.format(
          Locale.ROOT,
          "{\"nodes\": %d, \"pods\": %d, \"seconds\": %.3f, \"candidatesConsidered\": %d,"
              + " \"decisions\": %d, \"heapMiB\": %d}",
          nodes,
          pods,
          seconds,
          candidatesConsidered,
          decisions,
          heapMiB);
    }
  }

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  static NodePool nodePool(String name, String requirements, String taints) {
    String y =
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: %s}
        spec:
          template:
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              requirements: %s
              taints: %s
          disruption:
            consolidationPolicy: WhenEmptyOrUnderutilized
            consolidateAfter: 1m
            budgets: [{nodes: "100%%"}]
        """
            .formatted(name, requirements, taints);
    try {
      return YAML.readValue(y, NodePool.class);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static DisruptionPool pool(NodePool np, List<InstanceType> types) {
    var t = np.getSpec().template().spec();
    return new DisruptionPool(
        np,
        new SchedulingNodePool(
            np.getMetadata().getName(),
            0,
            ApiConversions.requirements(t.requirementsOrEmpty()),
            Map.of(),
            ApiConversions.taints(t.taintsOrEmpty()),
            List.of(),
            Resources.NONE,
            Resources.NONE,
            types));
  }

  public static DisruptionInput input(Catalog catalog, int nodes, int pods) {
    List<InstanceType> types = catalog.instanceTypes(NodeClassSettings.DEFAULT);
    DisruptionPool cpu =
        pool(
            nodePool(
                "general",
                "[{key: kubernetes.io/arch, operator: In, values: [amd64]},"
                    + " {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]},"
                    + " {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}]",
                "[]"),
            types);
    DisruptionPool gpu =
        pool(
            nodePool(
                "gpu",
                "[{key: karpenter.k8s.aws/instance-family, operator: In, values: [g5, g6]},"
                    + " {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}]",
                "[{key: nvidia.com/gpu, effect: NoSchedule}]"),
            types);
    Map<String, InstanceType> byName = new HashMap<>();
    types.forEach(t -> byName.put(t.name(), t));
    int gpuNodes = Math.max(1, nodes / 5);
    int cpuNodes = nodes - gpuNodes;
    int under = cpuNodes / 5;
    int full = cpuNodes - under;
    int cpuPods = Math.max(0, pods - gpuNodes - under);
    int perFull = full == 0 ? 0 : (cpuPods + full - 1) / full;
    InstanceType m5 = byName.get("m5.2xlarge");
    long cpuMilli = m5.allocatable().get("cpu");
    long podCpu = perFull == 0 ? 250 : Math.max(10, (long) (0.8 * cpuMilli / perFull));
    long podMem = perFull == 0 ? 512 : Math.max(16, (long) (0.8 * 30 * 1024 / perFull));
    List<DisruptionNode> out = new ArrayList<>();
    int podCount = 0;
    for (int i = 0; i < cpuNodes; i++) {
      List<Pod> ps = new ArrayList<>();
      String name = "cpu-" + i;
      // Spread the pods evenly so no full node is left empty (that would be emptiness's).
      int f = i - under;
      int k = i < under ? 1 : cpuPods / full + (f < cpuPods % full ? 1 : 0);
      for (int j = 0; j < k; j++) {
        ps.add(pod("app-" + i + "-" + j, name, (i < under ? 500 : podCpu) + "m", podMem + "Mi", 0));
      }
      podCount += k;
      out.add(node(name, cpu, byName.get("m5.2xlarge"), ps));
    }
    for (int i = 0; i < gpuNodes; i++) {
      String name = "gpu-" + i;
      InstanceType t = byName.get(i % 10 == 0 ? "g5.12xlarge" : "g5.2xlarge");
      out.add(node(name, gpu, t, List.of(pod("infer-" + i, name, "2", "8Gi", 1))));
      podCount++;
    }
    return new DisruptionInput(out, List.of(), List.of(), List.of(), List.of(cpu, gpu), Set.of());
  }

  private static DisruptionNode node(
      String name, DisruptionPool pool, InstanceType t, List<Pod> pods) {
    Map<String, String> labels = new HashMap<>(t.labels());
    labels.put(Labels.CAPACITY_TYPE, Labels.ON_DEMAND);
    labels.put(Labels.ZONE, ZONE);
    labels.put(Labels.NODEPOOL, pool.name());
    labels.put(Labels.HOSTNAME, name);
    List<Taint> taints =
        pool.name().equals("gpu")
            ? List.of(new TaintBuilder().withKey("nvidia.com/gpu").withEffect("NoSchedule").build())
            : List.of();
    Instant created = NOW.minusSeconds(86_400);
    return new DisruptionNode(
        name,
        name + "-claim",
        pool.name(),
        labels,
        Map.of(),
        taints,
        t.allocatable(),
        t.capacity(),
        pods,
        t.name(),
        Labels.ON_DEMAND,
        ZONE,
        DisruptionInputs.price(List.of(t), t.name(), Labels.ON_DEMAND, ZONE),
        created,
        created,
        true,
        false,
        false,
        NodePoolHash.of(pool.nodePool()),
        NodePoolHash.VERSION,
        "720h",
        null,
        null);
  }

  private static Pod pod(String name, String node, String cpu, String mem, int gpus) {
    Map<String, Quantity> req = new HashMap<>();
    req.put("cpu", new Quantity(cpu));
    req.put("memory", new Quantity(mem));
    if (gpus > 0) {
      req.put("nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
    }
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .withLabels(Map.of("app", gpus > 0 ? "infer" : "app"))
            .endMetadata()
            .withNewSpec()
            .withNodeName(node)
            .addNewContainer()
            .withName("c")
            .withImage("example")
            .withNewResources()
            .withRequests(req)
            .withLimits(gpus > 0 ? Map.of("nvidia.com/gpu", req.get("nvidia.com/gpu")) : Map.of())
            .endResources()
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .endStatus();
    if (gpus > 0) {
      b.editSpec()
          .addToTolerations(
              new TolerationBuilder()
                  .withKey("nvidia.com/gpu")
                  .withOperator("Exists")
                  .withEffect("NoSchedule")
                  .build())
          .endSpec();
    }
    return b.build();
  }

  public static int podCount(DisruptionInput in) {
    int n = 0;
    for (DisruptionNode d : in.nodes()) {
      n += d.pods().size();
    }
    return n;
  }

  /** One full pass; heap is the peak of the heap pools during it. */
  public static Report measure(DisruptionInput in) {
    DisruptionEngine engine =
        new DisruptionEngine(
            Clock.fixed(NOW, ZoneOffset.UTC), new Scheduler(), DisruptionEngine.Options.defaults());
    HeapUse.usedAfterGc();
    List<MemoryPoolMXBean> heap = new ArrayList<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
        heap.add(p);
      }
    }
    var threads = ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    DisruptionPlan plan = engine.plan(in);
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean p : heap) {
      peak += p.getPeakUsage().getUsed();
    }
    return new Report(
        in.nodes().size(),
        podCount(in),
        seconds,
        plan.candidatesConsidered(),
        plan.decisions().size(),
        peak >> 20,
        cpuSeconds,
        plan);
  }
}
