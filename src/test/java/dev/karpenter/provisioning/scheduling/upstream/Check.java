package dev.karpenter.provisioning.scheduling.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.provisioning.scheduling.UpstreamKit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** Assertions shared by the checklist tests. */
final class Check {
  private Check() {}

  static final String ZONE = "topology.kubernetes.io/zone";
  static final String HOSTNAME = "kubernetes.io/hostname";
  static final String ARCH = "kubernetes.io/arch";
  static final String OS = "kubernetes.io/os";
  static final String TYPE = "node.kubernetes.io/instance-type";
  static final String CT = "karpenter.sh/capacity-type";
  static final String NODEPOOL = "karpenter.sh/nodepool";
  static final String CPU_LABEL = "karpenter.k8s.aws/instance-cpu";
  static final String FAMILY = "karpenter.k8s.aws/instance-family";
  static final String GPU_NAME = "karpenter.k8s.aws/instance-gpu-name";
  static final String GPU_COUNT = "karpenter.k8s.aws/instance-gpu-count";
  static final String GPU = "nvidia.com/gpu";
  static final String NEURON = "aws.amazon.com/neuron";
  static final String A = "us-east-1a";
  static final String B = "us-east-1b";
  static final String C = "us-east-1c";

  /** A pool over every fixture type (CPU, GPU, Neuron), no requirements. */
  static SchedulingNodePool any() {
    return UpstreamKit.pool("default", 0, UpstreamKit.all());
  }

  /** A pool over the CPU fixture types only. */
  static SchedulingNodePool cpu() {
    return UpstreamKit.pool("default", 0, UpstreamKit.cpuTypes());
  }

  static InstanceType typeNamed(String name) {
    for (InstanceType t : UpstreamKit.all()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new AssertionError("no fixture type " + name);
  }

  static NodeClaimPlan only(SchedulingResult r) {
    assertEquals(Map.of(), r.unschedulable(), "unschedulable");
    assertEquals(1, r.nodeClaims().size(), () -> r.nodeClaims().toString());
    return r.nodeClaims().get(0);
  }

  static void scheduled(SchedulingResult r, int pods) {
    assertEquals(Map.of(), r.unschedulable(), "unschedulable");
    assertEquals(pods, r.scheduledCount());
  }

  static void unschedulable(SchedulingResult r, String pod) {
    assertTrue(
        r.unschedulable().containsKey("default/" + pod),
        () -> pod + " should be unschedulable, plan: " + r);
  }

  static NodeClaimPlan claimOf(SchedulingResult r, String pod) {
    for (NodeClaimPlan p : r.nodeClaims()) {
      if (p.pods().contains("default/" + pod)) {
        return p;
      }
    }
    fail(pod + " is not on a new NodeClaim: " + r);
    return null;
  }

  /** Every option of the claim satisfies {@code test} (what EC2 may launch). */
  static void everyOption(NodeClaimPlan c, String what, Predicate<InstanceType> test) {
    for (String o : c.instanceTypeOptions()) {
      assertTrue(test.test(typeNamed(o)), () -> "option " + o + " of " + c + " is not " + what);
    }
  }

  static String label(String type, String key) {
    return typeNamed(type).labels().get(key);
  }

  static Set<String> zonesOf(SchedulingResult r) {
    Set<String> z = new HashSet<>();
    r.nodeClaims().forEach(c -> z.add(c.zone()));
    return z;
  }

  static int podsIn(SchedulingResult r, String zone) {
    int n = 0;
    for (NodeClaimPlan c : r.nodeClaims()) {
      if (c.zone().equals(zone)) {
        n += c.pods().size();
      }
    }
    return n;
  }

  static List<String> pods(NodeClaimPlan c) {
    return c.pods();
  }
}
