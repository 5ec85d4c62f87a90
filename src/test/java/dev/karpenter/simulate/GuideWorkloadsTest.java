package dev.karpenter.simulate;

import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The GPU guide's and the Trainium workshop's workloads, simulated against the real catalog. */
class GuideWorkloadsTest {
  static final String G = "docs/examples/gpu-guide/";
  static final String S = "docs/examples/simulate/";
  static final String GPU = "nvidia.com/gpu";
  static final String GPU_NAME = "karpenter.k8s.aws/instance-gpu-name";
  static Catalog catalog;

  @BeforeAll
  static void load() {
    catalog = Catalog.load("us-east-1");
  }

  static SchedulingInput input(String... files) throws Exception {
    List<Path> paths = new ArrayList<>();
    for (String f : files) {
      paths.add(Path.of(f));
    }
    return new ManifestReader(catalog).read(paths);
  }

  static SchedulingResult plan(String... files) throws Exception {
    return new Scheduler().solve(input(files));
  }

  static InstanceType type(String name) {
    return catalog.get(name).orElseThrow();
  }

  static long gpus(NodeClaimPlan p) {
    return type(p.instanceType()).capacity().get(GPU) / 1000;
  }

  static String gpuName(NodeClaimPlan p) {
    return type(p.instanceType()).labels().get(GPU_NAME);
  }

  static Map<String, Long> gpusByPool(SchedulingResult r) {
    Map<String, Long> m = new HashMap<>();
    for (NodeClaimPlan p : r.nodeClaims()) {
      m.merge(p.nodePool(), gpus(p), Long::sum);
    }
    return m;
  }

  static final String[] ALL_POOLS = {
    G + "02-gpu-nodepools.yaml", G + "03-gpu-ec2nodeclasses.yaml", S + "multi-arch.yaml"
  };

  @Test
  void inferenceDeploymentRunsOnSpotInferenceGpus() throws Exception {
    SchedulingResult r =
        plan(
            G + "02-gpu-nodepools.yaml",
            G + "03-gpu-ec2nodeclasses.yaml",
            G + "05-gpu-operator-workload.yaml",
            "docs/examples/simulate/guide-volumes.yaml");
    assertEquals(Map.of(), r.unschedulable());
    assertEquals(3, r.scheduledCount());
    for (NodeClaimPlan p : r.nodeClaims()) {
      assertEquals("gpu-inference", p.nodePool());
      assertEquals("spot", p.capacityType());
      assertTrue(Set.of("t4", "a10g", "l4").contains(gpuName(p)), p.instanceType());
      assertEquals("nvidia.com/gpu", p.taints().get(0).getKey());
    }
  }

  @Test
  void launchedTypeIsTheCheapestOption() throws Exception {
    SchedulingResult r =
        plan(
            G + "02-gpu-nodepools.yaml",
            G + "03-gpu-ec2nodeclasses.yaml",
            G + "05-gpu-operator-workload.yaml",
            "docs/examples/simulate/guide-volumes.yaml");
    NodeClaimPlan p = r.nodeClaims().get(0);
    for (String option : p.instanceTypeOptions()) {
      double cheapestSpot = Double.MAX_VALUE;
      for (Offering o : type(option).offerings()) {
        if (o.available() && o.capacityType().equals("spot")) {
          cheapestSpot = Math.min(cheapestSpot, o.price());
        }
      }
      assertTrue(p.pricePerHour() <= cheapestSpot, option + " is cheaper than " + p.instanceType());
    }
  }

  @Test
  void podsThatTolerateNoGpuTaintNeverLandOnGpuPools() throws Exception {
    SchedulingResult r = plan(ALL_POOLS);
    for (NodeClaimPlan p : r.nodeClaims()) {
      assertEquals("multi-arch", p.nodePool(), p.toString());
      assertEquals(0, gpus(p));
    }
    assertEquals(10, r.scheduledCount());
  }

  @Test
  void distributedTrainingJobRunsOnDemandOnTrainingGpus() throws Exception {
    SchedulingResult r =
        plan(
            G + "02-gpu-nodepools.yaml",
            G + "03-gpu-ec2nodeclasses.yaml",
            G + "10-training-cluster.yaml",
            "docs/examples/simulate/guide-volumes.yaml");
    assertEquals(Map.of(), r.unschedulable());
    assertEquals(4, r.scheduledCount());
    for (NodeClaimPlan p : r.nodeClaims()) {
      assertEquals("gpu-training", p.nodePool());
      assertEquals("on-demand", p.capacityType());
      assertTrue(Set.of("a100", "h100", "a10g").contains(gpuName(p)), p.instanceType());
    }
  }

  @Test
  void fourGpuTrainingPodGetsAFourGpuNodeFromTheHighestWeightPool() throws Exception {
    SchedulingResult r =
        plan(
            G + "02-gpu-nodepools.yaml",
            G + "03-gpu-ec2nodeclasses.yaml",
            G + "08-disruption-budgets.yaml");
    NodeClaimPlan p = r.nodeClaims().get(0);
    assertEquals(List.of("default/long-training-job"), p.pods());
    // gpu-training has weight 90, the highest of the pools that take this untargeted pod.
    assertEquals("gpu-training", p.nodePool());
    assertTrue(gpus(p) >= 4);
  }

  @Test
  void llmDeploymentRunsOnSpotInferencePool() throws Exception {
    SchedulingResult r =
        plan(
            G + "02-gpu-nodepools.yaml",
            G + "03-gpu-ec2nodeclasses.yaml",
            G + "11-inference-cluster.yaml");
    assertEquals(2, r.scheduledCount());
    for (NodeClaimPlan p : r.nodeClaims()) {
      assertEquals("gpu-inference", p.nodePool());
      assertEquals("spot", p.capacityType());
    }
  }

  @Test
  void inferentiaPodRunsOnInf2() throws Exception {
    SchedulingResult r = plan(S + "neuron.yaml", "docs/examples/trainium-workshop/");
    NodeClaimPlan p = claimOf(r, "ml-serving/inferentia-bert");
    assertEquals("inferentia", p.nodePool());
    assertTrue(p.instanceType().startsWith("inf2."), p.instanceType());
    assertEquals("on-demand", p.capacityType());
  }

  @Test
  void trainiumPodRunsOnTheWorkshopTrn1Pool() throws Exception {
    SchedulingResult r = plan(S + "neuron.yaml", "docs/examples/trainium-workshop/");
    NodeClaimPlan p = claimOf(r, "ml-training/trainium-llama");
    assertEquals("trainium-trn1", p.nodePool());
    assertEquals("trn1.2xlarge", p.instanceType());
  }

  @Test
  void tieredSpotPoolsFillByWeightWithinGpuLimits() throws Exception {
    SchedulingResult r = plan(S + "tiered-spot-inference.yaml", G + "07-cost-optimization.yaml");
    assertEquals(Map.of(), r.unschedulable());
    Map<String, Long> gpus = gpusByPool(r);
    assertEquals(20, gpus.get("gpu-tier1-g5-spot"));
    assertEquals(10, gpus.get("gpu-tier2-g4dn-spot"));
    assertNull(gpus.get("gpu-tier3-g5-ondemand"));
  }

  @Test
  void tieredPoolsOverflowToTheOnDemandTierAndStopAtItsLimit() throws Exception {
    SchedulingInput in = input(S + "tiered-spot-inference.yaml", G + "07-cost-optimization.yaml");
    List<io.fabric8.kubernetes.api.model.Pod> more = new ArrayList<>(in.pendingPods());
    for (var p : in.pendingPods()) {
      more.add(
          new io.fabric8.kubernetes.api.model.PodBuilder(p)
              .editMetadata()
              .withName(p.getMetadata().getName() + "-b")
              .endMetadata()
              .build());
    }
    SchedulingResult r = new Scheduler().solve(in.withPendingPods(more));
    Map<String, Long> gpus = gpusByPool(r);
    assertEquals(20, gpus.get("gpu-tier1-g5-spot"));
    assertEquals(20, gpus.get("gpu-tier2-g4dn-spot"));
    assertEquals(10, gpus.get("gpu-tier3-g5-ondemand"));
    assertEquals(10, r.unschedulable().size());
    assertTrue(
        r.unschedulable()
            .values()
            .iterator()
            .next()
            .contains("gpu-tier3-g5-ondemand: limit nvidia.com/gpu=10 would be exceeded"),
        r.unschedulable().toString());
  }

  @Test
  void gpuLimitsAreNeverExceeded() throws Exception {
    SchedulingInput in =
        input(
            S + "tiered-spot-inference.yaml",
            G + "07-cost-optimization.yaml",
            G + "02-gpu-nodepools.yaml",
            G + "04-spot-gpu.yaml");
    SchedulingResult r = new Scheduler().solve(in);
    Map<String, Long> gpus = gpusByPool(r);
    for (SchedulingNodePool pool : in.nodePools()) {
      long limit = pool.limits().get(GPU) / 1000;
      if (limit > 0) {
        assertTrue(gpus.getOrDefault(pool.name(), 0L) <= limit, pool.name() + " " + gpus);
      }
    }
  }

  @Test
  void multiArchPoolPutsArmPodsOnGravitonOfGenerationAboveFive() throws Exception {
    SchedulingResult r = plan(S + "multi-arch.yaml");
    NodeClaimPlan p = claimOf(r, "default/graviton-api-0");
    InstanceType t = type(p.instanceType());
    assertEquals("arm64", t.labels().get("kubernetes.io/arch"));
    assertTrue(Integer.parseInt(t.labels().get("karpenter.k8s.aws/instance-generation")) > 5);
    assertTrue(
        Set.of("c", "m", "r").contains(t.labels().get("karpenter.k8s.aws/instance-category")));
  }

  static NodeClaimPlan claimOf(SchedulingResult r, String pod) {
    for (NodeClaimPlan p : r.nodeClaims()) {
      if (p.pods().contains(pod)) {
        return p;
      }
    }
    throw new AssertionError(pod + " not on a new node: " + r.unschedulable());
  }
}
