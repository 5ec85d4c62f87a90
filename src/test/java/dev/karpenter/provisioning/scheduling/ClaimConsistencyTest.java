package dev.karpenter.provisioning.scheduling;

import static dev.karpenter.testing.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.testing.Fixtures;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The defect classes of issue #10: every pod on a claim satisfies its own requirements against
 * every option the claim keeps, the claim's requirements are what its options satisfy, relaxed
 * preferences leave no trace, limits count nodes and restrict options, weight is a priority.
 */
class ClaimConsistencyTest {
  static final String GPU = "nvidia.com/gpu";
  static final String GPU_NAME = "karpenter.k8s.aws/instance-gpu-name";

  static SchedulingNodePool gpuPool(String name, int weight) {
    return SchedulingNodePool.of(
        name, weight, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), Fixtures.GPU);
  }

  /**
   * Checks each claim option against the claim's requirements and against each pod's own
   * nodeSelector, required node affinity (OR of terms) and requests.
   */
  static void assertConsistent(SchedulingResult r, List<Pod> pods) {
    Map<String, InstanceType> types = new HashMap<>();
    for (InstanceType t : all()) {
      types.put(t.name(), t);
    }
    Map<String, Pod> byKey = new HashMap<>();
    for (Pod p : pods) {
      byKey.put("default/" + p.getMetadata().getName(), p);
    }
    for (NodeClaimPlan plan : r.nodeClaims()) {
      assertTrue(
          plan.instanceTypeOptions().contains(plan.instanceType()),
          () -> plan.instanceType() + " not among its options " + plan.instanceTypeOptions());
      for (String option : plan.instanceTypeOptions()) {
        InstanceType t = types.get(option);
        Map<String, String> labels = new HashMap<>(plan.labels());
        labels.putAll(t.labels());
        labels.put(Labels.INSTANCE_TYPE, option);
        for (Requirement req : plan.requirements().all()) {
          if (Labels.INSTANCE_TYPE_KEYS.contains(req.key())) {
            assertTrue(
                req.matches(labels.get(req.key())),
                () -> "option " + option + " violates the claim's own requirement " + req);
          }
        }
        for (Map.Entry<String, String> l : plan.labels().entrySet()) {
          if (Labels.INSTANCE_TYPE_KEYS.contains(l.getKey())
              && !l.getKey().equals(Labels.INSTANCE_TYPE)) {
            assertEquals(
                l.getValue(),
                t.labels().get(l.getKey()),
                () -> "claim label " + l + " is false for option " + option);
          }
        }
        Resources sum = Resources.NONE;
        for (String key : plan.pods()) {
          Pod p = byKey.get(key);
          sum = sum.plus(Pods.requests(p.getSpec()));
          assertTrue(
              podAccepts(p, labels), () -> key + " cannot run on option " + option + " " + labels);
        }
        Resources s = sum;
        assertTrue(t.allocatable().fits(s), () -> option + " cannot hold " + s);
      }
    }
  }

  static boolean podAccepts(Pod p, Map<String, String> labels) {
    var spec = p.getSpec();
    if (spec.getNodeSelector() != null
        && !Requirements.fromLabels(spec.getNodeSelector()).matchesLabels(labels)) {
      return false;
    }
    if (spec.getAffinity() == null
        || spec.getAffinity().getNodeAffinity() == null
        || spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
            == null) {
      return true;
    }
    for (NodeSelectorTerm term :
        spec.getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()) {
      if (Pods.term(term).matchesLabels(labels)) {
        return true;
      }
    }
    return false;
  }

  @Nested
  class OwnRequirements {
    @Test
    void gpuNameSelectorNarrowsTheClaimItJoins() {
      List<Pod> pods =
          List.of(
              pod("two").cpu("4").res(GPU, "2").build(),
              pod("a10g").cpu("1").res(GPU, "1").selector(GPU_NAME, "a10g").build());
      var r = solve(pods, gpuPool("gpu", 0));
      assertEquals(Map.of(), r.unschedulable());
      assertConsistent(r, pods);
      for (NodeClaimPlan p : r.nodeClaims()) {
        if (p.pods().contains("default/a10g")) {
          assertEquals("a10g", p.labels().get(GPU_NAME));
          assertTrue(p.instanceType().startsWith("g5."), p.instanceType());
        }
      }
    }

    @Test
    void orTermsOfRequiredAffinityHoldOnAJoinedClaim() {
      List<Pod> pods =
          List.of(
              pod("two").cpu("4").res(GPU, "2").build(),
              pod("either")
                  .cpu("1")
                  .res(GPU, "1")
                  .requireTerms(List.of(req(GPU_NAME, "In", "a10g")))
                  .requireTerms(List.of(req(GPU_NAME, "In", "l4")))
                  .build());
      var r = solve(pods, gpuPool("gpu", 0));
      assertEquals(Map.of(), r.unschedulable());
      assertConsistent(r, pods);
    }

    @Test
    void archSelectorOfAJoiningPodDropsTheOtherArch() {
      var pool =
          SchedulingNodePool.of(
              "cpu", 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), CPU);
      List<Pod> pods =
          List.of(
              pod("any").cpu("2").build(),
              pod("amd").cpu("1").selector(Labels.ARCH, "amd64").build(),
              pod("arm").cpu("1").selector(Labels.ARCH, "arm64").build());
      var r = solve(pods, pool);
      assertEquals(Map.of(), r.unschedulable());
      assertConsistent(r, pods);
    }

    @Test
    void inFlightStyleJoinIsCheckedInTheConsolidationQuestionToo() {
      List<Pod> pods =
          List.of(
              pod("two").cpu("4").res(GPU, "2").build(),
              pod("a10g").cpu("1").res(GPU, "1").selector(GPU_NAME, "a10g").build());
      var answer = new Scheduler().canReschedule(pods, input(List.of(), gpuPool("gpu", 0)), 1000.0);
      assertTrue(answer.possible());
      assertConsistent(answer.result(), pods);
    }
  }

  @Nested
  class Preferences {
    @Test
    void preferredFamilyNoOptionHasLeavesNoTrace() {
      List<Pod> pods =
          List.of(
              pod("two").cpu("4").res(GPU, "2").build(),
              pod("pref")
                  .cpu("1")
                  .res(GPU, "1")
                  .prefer(100, Labels.INSTANCE_FAMILY, "In", "x9")
                  .build());
      var r = solve(pods, gpuPool("gpu", 0));
      assertEquals(Map.of(), r.unschedulable());
      assertConsistent(r, pods);
      for (NodeClaimPlan p : r.nodeClaims()) {
        Requirement fam = p.requirements().get(Labels.INSTANCE_FAMILY);
        assertTrue(fam == null || !fam.values().contains("x9"), p.requirements().toString());
      }
    }

    @Test
    void satisfiablePreferenceOnAJoinedClaimIsKept() {
      List<Pod> pods =
          List.of(
              pod("two").cpu("4").res(GPU, "2").build(),
              pod("pref").cpu("1").res(GPU, "1").prefer(100, GPU_NAME, "In", "l4").build());
      var r = solve(pods, gpuPool("gpu", 0));
      assertConsistent(r, pods);
      assertEquals("l4", claimOf(r, "default/pref").labels().get(GPU_NAME));
    }
  }

  static NodeClaimPlan claimOf(SchedulingResult r, String pod) {
    for (NodeClaimPlan p : r.nodeClaims()) {
      if (p.pods().contains(pod)) {
        return p;
      }
    }
    fail(pod + " not on a new claim: " + r);
    return null;
  }

  @Nested
  class Limits {
    @Test
    void guideGpuGeneralPoolAcceptsTwentyOneGpuPods() {
      var pool =
          gpuPool("gpu-general", 0)
              .withLimits(Resources.parse(Map.of("cpu", "500", "memory", "2000Gi", GPU, "100")));
      List<Pod> pods = pod("g").cpu("2").mem("8Gi").res(GPU, "1").times(20);
      var r = solve(pods, pool);
      assertEquals(Map.of(), r.unschedulable());
      assertConsistent(r, pods);
      assertWithinLimits(r, pool);
    }

    @Test
    void optionsOfEveryClaimTogetherStayUnderTheLimit() {
      var pool = gpuPool("tight", 0).withLimits(Resources.parse(Map.of("memory", "800Gi")));
      List<Pod> pods = pod("g").cpu("2").mem("8Gi").res(GPU, "1").times(12);
      var r = solve(pods, pool);
      assertConsistent(r, pods);
      assertWithinLimits(r, pool);
      assertTrue(r.scheduledCount() >= 8, r.toString());
    }

    @Test
    void nodesLimitCountsExistingNodesOfThePool() {
      var pool =
          SchedulingNodePool.of(
                  "capped", 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), CPU)
              .withLimits(Resources.parse(Map.of("cpu", "16", "nodes", "1")))
              .withUsage(Resources.parse(Map.of("cpu", "8")));
      var full =
          new ExistingNode(
              "n1",
              Map.of(Labels.NODEPOOL, "capped", Labels.HOSTNAME, "n1"),
              List.of(),
              Resources.parse(Map.of("cpu", "0", "memory", "1Gi", "pods", "10")),
              List.of(),
              false);
      var r =
          new Scheduler()
              .solve(input(List.of(pod("a").cpu("1").build()), pool).withNodes(List.of(full)));
      assertEquals(List.of(), r.nodeClaims());
      assertTrue(r.unschedulable().get("default/a").contains("nodes"), r.toString());
    }
  }

  /** The largest option of every claim, summed with the usage, stays within each limit. */
  static void assertWithinLimits(SchedulingResult r, SchedulingNodePool pool) {
    Map<String, InstanceType> types = new HashMap<>();
    for (InstanceType t : all()) {
      types.put(t.name(), t);
    }
    Map<String, Long> worst = new HashMap<>(pool.usage().milli());
    for (NodeClaimPlan p : r.nodeClaims()) {
      Map<String, Long> max = new HashMap<>();
      for (String o : p.instanceTypeOptions()) {
        types.get(o).capacity().milli().forEach((k, v) -> max.merge(k, v, Math::max));
      }
      max.put("nodes", 1000L);
      max.forEach((k, v) -> worst.merge(k, v, Long::sum));
    }
    for (Map.Entry<String, Long> l : pool.limits().milli().entrySet()) {
      long w = worst.getOrDefault(l.getKey(), 0L);
      assertTrue(w <= l.getValue(), l.getKey() + ": worst case " + w + " > " + l.getValue());
    }
  }

  @Nested
  class Weight {
    @Test
    void improverNeverGivesPodsOfAHigherWeightPoolAClaimOfALowerOne() {
      var cpu =
          SchedulingNodePool.of(
              "cpu", 50, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), CPU);
      var accel = gpuPool("accel", 10);
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("gpu").cpu("3").mem("4Gi").res(GPU, "1").build());
      pods.addAll(pod("web").cpu("500m").mem("1Gi").times(6));
      var r = solve(pods, cpu, accel);
      assertEquals(Map.of(), r.unschedulable());
      assertConsistent(r, pods);
      for (NodeClaimPlan p : r.nodeClaims()) {
        if (p.nodePool().equals("accel")) {
          assertTrue(p.pods().contains("default/gpu"), () -> "accel claim without GPU pod: " + p);
        }
      }
    }
  }

  @Nested
  class Volumes {
    static Pod withClaim(Pod p, String claim) {
      return new io.fabric8.kubernetes.api.model.PodBuilder(p)
          .editSpec()
          .addNewVolume()
          .withName("data")
          .withNewPersistentVolumeClaim()
          .withClaimName(claim)
          .endPersistentVolumeClaim()
          .endVolume()
          .endSpec()
          .build();
    }

    static io.fabric8.kubernetes.api.model.PersistentVolumeClaim pvc(
        String name, String storageClass, String volume) {
      return new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
          .withNewMetadata()
          .withName(name)
          .withNamespace("default")
          .endMetadata()
          .withNewSpec()
          .withStorageClassName(storageClass)
          .withVolumeName(volume)
          .endSpec()
          .build();
    }

    static io.fabric8.kubernetes.api.model.PersistentVolume pv(String name, String zone) {
      return new io.fabric8.kubernetes.api.model.PersistentVolumeBuilder()
          .withNewMetadata()
          .withName(name)
          .endMetadata()
          .withNewSpec()
          .withNewNodeAffinity()
          .withNewRequired()
          .addNewNodeSelectorTerm()
          .addNewMatchExpression()
          .withKey("topology.ebs.csi.aws.com/zone")
          .withOperator("In")
          .withValues(zone)
          .endMatchExpression()
          .endNodeSelectorTerm()
          .endRequired()
          .endNodeAffinity()
          .endSpec()
          .build();
    }

    static io.fabric8.kubernetes.api.model.storage.StorageClass sc(
        String name, String mode, String... zones) {
      var b =
          new io.fabric8.kubernetes.api.model.storage.StorageClassBuilder()
              .withNewMetadata()
              .withName(name)
              .endMetadata()
              .withProvisioner("ebs.csi.aws.com")
              .withVolumeBindingMode(mode);
      if (zones.length > 0) {
        b.addToAllowedTopologies(
            new io.fabric8.kubernetes.api.model.TopologySelectorTermBuilder()
                .addNewMatchLabelExpression()
                .withKey(Labels.ZONE)
                .withValues(zones)
                .endMatchLabelExpression()
                .build());
      }
      return b.build();
    }

    static SchedulingResult solveWith(
        List<Pod> pods,
        List<io.fabric8.kubernetes.api.model.PersistentVolumeClaim> claims,
        List<io.fabric8.kubernetes.api.model.PersistentVolume> volumes,
        List<io.fabric8.kubernetes.api.model.storage.StorageClass> classes,
        ExistingNode... nodes) {
      var pool =
          SchedulingNodePool.of(
              "cpu", 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), CPU);
      return new Scheduler()
          .solve(
              input(pods, pool)
                  .withNodes(List.of(nodes))
                  .withVolumes(SchedulingInput.Volumes.of(claims, volumes, classes)));
    }

    @Test
    void boundVolumePinsTheClaimToItsZone() {
      var r =
          solveWith(
              List.of(withClaim(pod("db").cpu("1").build(), "data")),
              List.of(pvc("data", "gp3", "pv-1")),
              List.of(pv("pv-1", "us-east-1b")),
              List.of(sc("gp3", "WaitForFirstConsumer")));
      assertEquals(Map.of(), r.unschedulable());
      assertEquals("us-east-1b", r.nodeClaims().get(0).zone());
      assertEquals(
          List.of("us-east-1b"),
          List.copyOf(r.nodeClaims().get(0).requirements().get(Labels.ZONE).values()));
    }

    @Test
    void boundVolumeKeepsThePodOffAnExistingNodeInAnotherZone() {
      var node =
          new ExistingNode(
              "n-a",
              Map.of(Labels.ZONE, "us-east-1a", Labels.HOSTNAME, "n-a"),
              List.of(),
              Resources.parse(Map.of("cpu", "8", "memory", "16Gi", "pods", "50")),
              List.of(),
              false);
      var r =
          solveWith(
              List.of(withClaim(pod("db").cpu("1").build(), "data")),
              List.of(pvc("data", "gp3", "pv-1")),
              List.of(pv("pv-1", "us-east-1c")),
              List.of(),
              node);
      assertEquals(Map.of(), r.existingNodes());
      assertEquals("us-east-1c", r.nodeClaims().get(0).zone());
    }

    @Test
    void consolidationQuestionHonoursVolumeTopology() {
      var node =
          new ExistingNode(
              "n-a",
              Map.of(Labels.ZONE, "us-east-1a", Labels.HOSTNAME, "n-a"),
              List.of(),
              Resources.parse(Map.of("cpu", "8", "memory", "16Gi", "pods", "50")),
              List.of(),
              false);
      var pool =
          SchedulingNodePool.of(
              "cpu", 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), CPU);
      var remaining =
          input(List.of(), pool)
              .withNodes(List.of(node))
              .withVolumes(
                  SchedulingInput.Volumes.of(
                      List.of(pvc("data", "gp3", "pv-1")),
                      List.of(pv("pv-1", "us-east-1b")),
                      List.of()));
      Pod moved = withClaim(pod("db").cpu("1").build(), "data");
      var answer = new Scheduler().canReschedule(List.of(moved), remaining, 10.0);
      assertTrue(answer.possible());
      assertEquals(Map.of(), answer.result().existingNodes());
      assertEquals("us-east-1b", answer.result().nodeClaims().get(0).zone());
      var missing =
          new Scheduler()
              .canReschedule(
                  List.of(withClaim(pod("lost").cpu("1").build(), "absent")), remaining, 10.0);
      assertFalse(missing.possible());
    }

    @Test
    void allowedTopologiesOfAnUnboundClaimRestrictTheZone() {
      var r =
          solveWith(
              List.of(withClaim(pod("db").cpu("1").build(), "data")),
              List.of(pvc("data", "zonal", null)),
              List.of(),
              List.of(sc("zonal", "WaitForFirstConsumer", "us-east-1c")));
      assertEquals(Map.of(), r.unschedulable());
      assertEquals("us-east-1c", r.nodeClaims().get(0).zone());
    }

    @Test
    void waitForFirstConsumerWithoutTopologyPlansAnywhere() {
      var r =
          solveWith(
              List.of(withClaim(pod("db").cpu("1").build(), "data")),
              List.of(pvc("data", "gp3", null)),
              List.of(),
              List.of(sc("gp3", "WaitForFirstConsumer")));
      assertEquals(Map.of(), r.unschedulable());
      assertEquals(1, r.nodeClaims().size());
    }

    /** Two pods apart (hostname anti-affinity) that mount the same unbound zonal claim. */
    static List<Pod> sharingOneClaim() {
      List<Pod> pods = new ArrayList<>();
      for (String n : List.of("a", "b")) {
        pods.add(
            withClaim(
                pod(n).cpu("1").label("app", "s").antiAffinity(Labels.HOSTNAME, "app", "s").build(),
                "shared"));
      }
      return pods;
    }

    /**
     * The volume of an unbound WaitForFirstConsumer claim is provisioned in the zone of the first
     * pod that mounts it; a second pod mounting it elsewhere could never attach it.
     */
    @Test
    void podsSharingAnUnboundWaitForFirstConsumerClaimLandInOneZone() {
      var r =
          solveWith(
              sharingOneClaim(),
              List.of(pvc("shared", "gp3", null)),
              List.of(),
              List.of(sc("gp3", "WaitForFirstConsumer")));
      assertEquals(Map.of(), r.unschedulable());
      assertEquals(2, r.nodeClaims().size(), r::toString);
      for (var c : r.nodeClaims()) {
        Requirement zone = c.requirements().get(Labels.ZONE);
        assertNotNull(zone, c::toString);
        assertEquals(1, zone.values().size(), c::toString);
      }
      assertEquals(r.nodeClaims().get(0).zone(), r.nodeClaims().get(1).zone(), r::toString);
    }

    @Test
    void aSharedUnboundClaimFollowsThePodOnAnExistingNode() {
      var node =
          new ExistingNode(
              "n-c",
              Map.of(Labels.ZONE, "us-east-1c", Labels.HOSTNAME, "n-c"),
              List.of(),
              Resources.parse(Map.of("cpu", "8", "memory", "16Gi", "pods", "50")),
              List.of(),
              false);
      var r =
          solveWith(
              sharingOneClaim(),
              List.of(pvc("shared", "gp3", null)),
              List.of(),
              List.of(sc("gp3", "WaitForFirstConsumer")),
              node);
      assertEquals(Map.of(), r.unschedulable());
      assertEquals(1, r.existingNodes().get("n-c").size(), r::toString);
      assertEquals("us-east-1c", r.nodeClaims().get(0).zone(), r::toString);
    }

    @Test
    void missingClaimVolumeOrStorageClassIsNotPlannedWithTheReason() {
      var r =
          solveWith(
              List.of(
                  withClaim(pod("no-pvc").cpu("1").build(), "absent"),
                  withClaim(pod("no-pv").cpu("1").build(), "bound"),
                  withClaim(pod("no-sc").cpu("1").build(), "classless"),
                  withClaim(pod("immediate").cpu("1").build(), "now")),
              List.of(
                  pvc("bound", "gp3", "pv-gone"),
                  pvc("classless", "missing-class", null),
                  pvc("now", "instant", null)),
              List.of(),
              List.of(sc("gp3", "WaitForFirstConsumer"), sc("instant", "Immediate")));
      assertEquals(List.of(), r.nodeClaims());
      assertEquals(
          "PersistentVolumeClaim default/absent not found",
          r.unschedulable().get("default/no-pvc"));
      assertTrue(
          r.unschedulable().get("default/no-pv").contains("PersistentVolume pv-gone not found"));
      assertTrue(
          r.unschedulable().get("default/no-sc").contains("StorageClass missing-class not found"));
      assertTrue(r.unschedulable().get("default/immediate").contains("Immediate"));
    }
  }

  @Nested
  class Explain {
    @Test
    void eachCheaperTypeHasTheCauseThatRuledItOut() {
      var pool =
          SchedulingNodePool.of(
              "gpu",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")),
              Fixtures.GPU);
      var pod = pod("a10g").cpu("6").mem("8Gi").selector(GPU_NAME, "a10g").build();
      var in =
          input(List.of(pod), pool)
              .withUnavailableOfferings(
                  Set.of(
                      "on-demand:g5.xlarge:us-east-1a",
                      "on-demand:g5.xlarge:us-east-1b",
                      "on-demand:g5.xlarge:us-east-1c"));
      var r = new Scheduler(Scheduler.Options.defaults().withExplain(true)).solve(in);
      NodeClaimPlan p = r.nodeClaims().get(0);
      assertEquals("g5.2xlarge", p.instanceType());
      var e = p.explanation();
      assertTrue(e.chosen().startsWith("g5.2xlarge on-demand"), e.chosen());
      Map<String, NodeClaimPlan.RuledOut> byType = new HashMap<>();
      e.cheaper().forEach(o -> byType.put(o.instanceType(), o));
      assertEquals("offering", byType.get("g5.xlarge").cause(), e.toString());
      assertEquals("requirement", byType.get("g4dn.xlarge").cause(), e.toString());
      assertTrue(byType.get("g4dn.xlarge").reason().contains("a10g"), e.toString());
      assertEquals("requirement", byType.get("g6.xlarge").cause(), e.toString());
      assertEquals(Set.of("g4dn.xlarge", "g6.xlarge", "g5.xlarge"), byType.keySet());
      int total = e.cheaperByCause().values().stream().mapToInt(Integer::intValue).sum();
      assertTrue(total >= e.cheaper().size());
    }

    @Test
    void exoticAndResourceCausesAreNamed() {
      var cheapGpu = gpu("g9.2xlarge", 8, 32, 1, "t4", 0.20, 0);
      List<InstanceType> types = new ArrayList<>(CPU);
      types.add(cheapGpu);
      var pool =
          SchedulingNodePool.of(
              "mixed", 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), types);
      var r =
          new Scheduler(Scheduler.Options.defaults().withExplain(true))
              .solve(input(List.of(pod("six").cpu("6").mem("8Gi").build()), pool));
      NodeClaimPlan p = r.nodeClaims().get(0);
      assertEquals("c5.2xlarge", p.instanceType());
      Map<String, String> causes = new HashMap<>();
      p.explanation().cheaper().forEach(o -> causes.put(o.instanceType(), o.cause()));
      assertEquals("exotic", causes.get("g9.2xlarge"), p.explanation().toString());
      assertEquals("resources", causes.get("m5.large"), p.explanation().toString());
      assertFalse(causes.containsKey("m5.2xlarge"), "pricier types are not listed");
    }
  }
}
