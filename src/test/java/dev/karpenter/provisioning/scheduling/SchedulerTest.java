package dev.karpenter.provisioning.scheduling;

import static dev.karpenter.testing.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  static final String GPU = "nvidia.com/gpu";
  static final String GPU_NAME = "karpenter.k8s.aws/instance-gpu-name";

  static SchedulingNodePool cpuPool(String name) {
    return SchedulingNodePool.of(
        name, 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), Fixtures.CPU);
  }

  static NodeClaimPlan only(SchedulingResult r) {
    assertEquals(Map.of(), r.unschedulable());
    assertEquals(1, r.nodeClaims().size(), () -> r.nodeClaims().toString());
    return r.nodeClaims().get(0);
  }

  static NodeClaimPlan claimOf(SchedulingResult r, String pod) {
    for (NodeClaimPlan p : r.nodeClaims()) {
      if (p.pods().contains(pod)) {
        return p;
      }
    }
    fail(pod + " was not placed on a new node: " + r);
    return null;
  }

  @Nested
  class Basics {
    @Test
    void onePodGetsTheCheapestFittingType() {
      var r = solve(List.of(pod("a").cpu("1").mem("2Gi").build()), cpuPool("default"));
      NodeClaimPlan p = only(r);
      assertEquals("m5.large", p.instanceType());
      assertEquals(0.096, p.pricePerHour(), 1e-9);
    }

    @Test
    void podsArePackedOntoOneNodeWhenTheyFit() {
      var r = solve(pod("a").cpu("500m").mem("1Gi").times(3), cpuPool("default"));
      assertEquals(3, only(r).pods().size());
    }

    @Test
    void podTooLargeForEveryTypeIsUnschedulableWithResourceReason() {
      var r = solve(List.of(pod("huge").cpu("100").build()), cpuPool("default"));
      assertTrue(r.nodeClaims().isEmpty());
      String reason = r.unschedulable().get("default/huge");
      assertTrue(reason.startsWith("default: no instance type has cpu ≥ 100"), reason);
    }

    @Test
    void noNodePoolMeansUnschedulable() {
      var r =
          new Scheduler().solve(SchedulingInput.of(List.of(pod("a").cpu("1").build()), List.of()));
      assertEquals("no NodePool", r.unschedulable().get("default/a"));
    }

    @Test
    void optionsArePriceOrderedAndAtMostSixty() {
      List<dev.karpenter.cloudprovider.InstanceType> many = new ArrayList<>();
      for (int i = 1; i <= 80; i++) {
        many.add(type("x" + i + ".large", i, 4 * i, 110, 0.05 * i, 0));
      }
      var pool = SchedulingNodePool.of("many", 0, Requirements.NONE, many);
      var r = solve(List.of(pod("a").cpu("500m").build()), pool);
      NodeClaimPlan p = only(r);
      assertEquals(60, p.instanceTypeOptions().size());
      assertEquals("x1.large", p.instanceTypeOptions().get(0));
      assertEquals("x60.large", p.instanceTypeOptions().get(59));
    }

    @Test
    void initContainerLargerThanAppsSetsTheRequest() {
      Pod p = pod("init").cpu("500m").build();
      p.getSpec()
          .getInitContainers()
          .add(
              new io.fabric8.kubernetes.api.model.ContainerBuilder()
                  .withName("init")
                  .withNewResources()
                  .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("3"))
                  .endResources()
                  .build());
      var r = solve(List.of(p), cpuPool("default"));
      assertEquals(3000, only(r).requests().get("cpu") - 0, 0);
    }

    @Test
    void planIsDeterministic() {
      List<Pod> pods = pod("a").cpu("700m").mem("1Gi").times(30);
      var a = solve(pods, cpuPool("default"));
      var b = solve(pods, cpuPool("default"));
      assertEquals(a, b);
    }

    @Test
    void extendedResourceOnlyOnTypesThatHaveIt() {
      var pool = SchedulingNodePool.of("any", 0, Requirements.NONE, all());
      var r = solve(List.of(pod("vpc").res("aws.amazon.com/neuron", "1").build()), pool);
      assertEquals("inf2.xlarge", only(r).instanceType());
    }
  }

  @Nested
  class RequirementsAndSelectors {
    @Test
    void nodeSelectorOnArchPicksGraviton() {
      var r =
          solve(
              List.of(pod("arm").cpu("1").selector(Labels.ARCH, "arm64").build()),
              cpuPool("default"));
      assertEquals("arm64", only(r).labels().get(Labels.ARCH));
    }

    @Test
    void nodeSelectorOnUndeclaredCustomLabelIsUnschedulable() {
      var r = solve(List.of(pod("c").cpu("1").selector("team", "ml").build()), cpuPool("default"));
      assertTrue(r.unschedulable().get("default/c").contains("label team is not defined"));
    }

    @Test
    void nodeSelectorOnTemplateLabelMatches() {
      var pool = cpuPool("labelled").withLabels(Map.of("team", "ml"));
      var r = solve(List.of(pod("c").cpu("1").selector("team", "ml").build()), pool);
      assertEquals("ml", only(r).labels().get("team"));
    }

    @Test
    void notInExcludesValues() {
      var r =
          solve(
              List.of(
                  pod("n")
                      .cpu("1")
                      .requireOp("karpenter.k8s.aws/instance-family", "NotIn", "m5", "c5", "c6g")
                      .build()),
              cpuPool("default"));
      String family = only(r).instanceType().split("\\.")[0];
      assertFalse(Set.of("m5", "c5", "c6g").contains(family), family);
    }

    @Test
    void gtOnCpuLabelForcesLargerTypes() {
      var r =
          solve(
              List.of(
                  pod("g").cpu("1").requireOp("karpenter.k8s.aws/instance-cpu", "Gt", "8").build()),
              cpuPool("default"));
      assertEquals("m5.4xlarge", only(r).instanceType());
    }

    @Test
    void lteOnCpuLabelKeepsSmallerTypes() {
      var r =
          solve(
              List.of(
                  pod("g")
                      .cpu("1")
                      .requireOp("karpenter.k8s.aws/instance-cpu", "Lte", "2")
                      .build()),
              cpuPool("default"));
      assertEquals("m5.large", only(r).instanceType());
    }

    @Test
    void doesNotExistOnGpuLabelAvoidsGpuTypes() {
      var pool = SchedulingNodePool.of("any", 0, Requirements.NONE, all());
      var r =
          solve(
              List.of(pod("cpu").cpu("3").mem("12Gi").requireOp(GPU_NAME, "DoesNotExist").build()),
              pool);
      assertNull(only(r).labels().get(GPU_NAME));
      assertFalse(only(r).instanceType().startsWith("g"));
    }

    @Test
    void poolRequirementConflictingWithPodIsReported() {
      var r =
          solve(
              List.of(pod("z").cpu("1").selector(Labels.ZONE, "us-east-1a").build()),
              pool("b-only", 0, req(Labels.ZONE, "In", "us-east-1b")));
      assertTrue(
          r.unschedulable().get("default/z").startsWith("b-only: incompatible requirements"));
    }

    @Test
    void zoneSelectorPinsTheClaimZone() {
      var r =
          solve(
              List.of(pod("z").cpu("1").selector(Labels.ZONE, "us-east-1c").build()),
              cpuPool("default"));
      assertEquals("us-east-1c", only(r).zone());
    }

    @Test
    void minValuesUnmetMakesPoolUnusable() {
      var pool =
          SchedulingNodePool.of(
              "diverse",
              0,
              Requirements.of(
                  dev.karpenter.scheduling.Requirement.of(
                      "karpenter.k8s.aws/instance-family", "In", List.of("m5", "c5"), 3)),
              Fixtures.CPU);
      var r = solve(List.of(pod("a").cpu("1").build()), pool);
      assertTrue(r.unschedulable().get("default/a").contains("minValues 3"));
    }

    @Test
    void minValuesMetKeepsEnoughFamiliesInOptions() {
      var pool =
          SchedulingNodePool.of(
              "diverse",
              0,
              Requirements.of(
                  dev.karpenter.scheduling.Requirement.of(
                      "karpenter.k8s.aws/instance-family", "Exists", List.of(), 3)),
              Fixtures.CPU);
      var r = solve(List.of(pod("a").cpu("1").build()), pool);
      Set<String> families = new HashSet<>();
      for (String t : only(r).instanceTypeOptions()) {
        families.add(t.split("\\.")[0]);
      }
      assertTrue(families.size() >= 3, families.toString());
    }

    @Test
    void secondRequiredTermIsUsedWhenTheFirstCannotBeMet() {
      var p =
          pod("t")
              .cpu("1")
              .requireTerms(List.of(req(Labels.INSTANCE_TYPE, "In", "does-not-exist.large")))
              .requireTerms(List.of(req(Labels.INSTANCE_TYPE, "In", "c5.xlarge")))
              .build();
      var r = solve(List.of(p), cpuPool("default"));
      assertEquals("c5.xlarge", only(r).instanceType());
    }
  }

  @Nested
  class Taints {
    @Test
    void untoleratedTaintIsTheReason() {
      var pool = cpuPool("tainted").withTaints(List.of(taint(GPU, "true", "NoSchedule")));
      var r = solve(List.of(pod("a").cpu("1").build()), pool);
      assertEquals(
          "tainted: taint nvidia.com/gpu=true:NoSchedule not tolerated",
          r.unschedulable().get("default/a"));
    }

    @Test
    void toleratedTaintSchedules() {
      var pool = cpuPool("tainted").withTaints(List.of(taint(GPU, "true", "NoSchedule")));
      var r = solve(List.of(pod("a").cpu("1").tolerate(GPU).build()), pool);
      assertEquals(List.of(taint(GPU, "true", "NoSchedule")), only(r).taints());
    }

    @Test
    void noExecuteTaintNeedsToleration() {
      var pool = cpuPool("ne").withTaints(List.of(taint("dedicated", "x", "NoExecute")));
      var r = solve(List.of(pod("a").cpu("1").tolerate("dedicated").build()), pool);
      assertTrue(
          r.unschedulable().get("default/a").contains("dedicated=x:NoExecute not tolerated"));
    }

    @Test
    void preferNoScheduleIsAvoidedWhenAnotherPoolFits() {
      var soft = cpuPool("soft").withTaints(List.of(taint("spot", "x", "PreferNoSchedule")));
      var soft2 =
          new SchedulingNodePool(
              "soft",
              50,
              soft.requirements(),
              Map.of(),
              soft.taints(),
              List.of(),
              Resources.NONE,
              Resources.NONE,
              Fixtures.CPU);
      var r = solve(List.of(pod("a").cpu("1").build()), soft2, cpuPool("plain"));
      assertEquals("plain", only(r).nodePool());
    }

    @Test
    void preferNoScheduleIsToleratedAsLastResort() {
      var soft = cpuPool("soft").withTaints(List.of(taint("spot", "x", "PreferNoSchedule")));
      var r = solve(List.of(pod("a").cpu("1").build()), soft);
      assertEquals("soft", only(r).nodePool());
    }

    @Test
    void startupTaintsNeedNoToleration() {
      var p =
          new SchedulingNodePool(
              "startup",
              0,
              Requirements.NONE,
              Map.of(),
              List.of(),
              List.of(taint("node.cilium.io/agent-not-ready", "true", "NoExecute")),
              Resources.NONE,
              Resources.NONE,
              Fixtures.CPU);
      var r = solve(List.of(pod("a").cpu("1").build()), p);
      assertEquals(1, only(r).taints().size());
    }
  }

  @Nested
  class Weights {
    @Test
    void higherWeightPoolIsTriedFirstEvenIfPricier() {
      var heavy =
          SchedulingNodePool.of(
              "heavy",
              100,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")),
              Fixtures.CPU);
      var cheap =
          SchedulingNodePool.of(
              "cheap", 10, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "spot")), Fixtures.CPU);
      var r = solve(List.of(pod("a").cpu("1").build()), cheap, heavy);
      assertEquals("heavy", only(r).nodePool());
    }

    @Test
    void lowerWeightPoolIsFallbackWhenHigherCannot() {
      var heavy =
          SchedulingNodePool.of(
              "heavy", 100, Requirements.of(req(Labels.ARCH, "In", "arm64")), Fixtures.CPU);
      var light = SchedulingNodePool.of("light", 1, Requirements.NONE, Fixtures.CPU);
      var r =
          solve(List.of(pod("a").cpu("1").selector(Labels.ARCH, "amd64").build()), heavy, light);
      assertEquals("light", only(r).nodePool());
    }

    @Test
    void equalWeightsAreOrderedByName() {
      var b = SchedulingNodePool.of("b", 5, Requirements.NONE, Fixtures.CPU);
      var a = SchedulingNodePool.of("a", 5, Requirements.NONE, Fixtures.CPU);
      assertEquals("a", only(solve(List.of(pod("p").cpu("1").build()), b, a)).nodePool());
    }
  }

  @Nested
  class Limits {
    @Test
    void limitIsNeverExceeded() {
      var pool = cpuPool("capped").withLimits(Resources.parse(Map.of("cpu", "8")));
      var r = solve(pod("a").cpu("3").times(5), pool);
      long cpu = 0;
      for (NodeClaimPlan p : r.nodeClaims()) {
        cpu += fixturesCpu(p.instanceType());
      }
      assertTrue(cpu <= 8, "cpu " + cpu);
      assertFalse(r.unschedulable().isEmpty());
    }

    @Test
    void limitReasonNamesResourceAndValue() {
      var pool = cpuPool("capped").withLimits(Resources.parse(Map.of("cpu", "2")));
      var r = solve(List.of(pod("a").cpu("3").build()), pool);
      assertEquals("capped: limit cpu=2 would be exceeded", r.unschedulable().get("default/a"));
    }

    @Test
    void limitIsUsedFullyByRestrictingOptions() {
      // 2 cpu remain: a 1-cpu pod must still get a node (m5.large has 2 cpu), not be refused
      // because the largest option (32 cpu) would not fit.
      var pool =
          cpuPool("capped")
              .withLimits(Resources.parse(Map.of("cpu", "10")))
              .withUsage(Resources.parse(Map.of("cpu", "8")));
      var r = solve(List.of(pod("a").cpu("1").build()), pool);
      NodeClaimPlan p = only(r);
      for (String t : p.instanceTypeOptions()) {
        assertTrue(fixturesCpu(t) <= 2, t);
      }
    }

    @Test
    void nodesLimitCapsNodeCount() {
      var pool = cpuPool("two").withLimits(Resources.parse(Map.of("nodes", "2")));
      var r =
          solve(
              pod("a")
                  .cpu("1")
                  .antiAffinity(Labels.HOSTNAME, "app", "a")
                  .label("app", "a")
                  .times(3),
              pool);
      assertEquals(2, r.nodeClaims().size());
      assertEquals(1, r.unschedulable().size());
    }

    @Test
    void gpuLimitFallsBackToNextPool() {
      var first =
          SchedulingNodePool.of(
                  "first", 100, Requirements.of(req(GPU_NAME, "In", "a10g")), Fixtures.GPU)
              .withLimits(Resources.parse(Map.of(GPU, "1")));
      var second =
          SchedulingNodePool.of(
              "second", 50, Requirements.of(req(GPU_NAME, "In", "t4")), Fixtures.GPU);
      var r = solve(pod("g").cpu("1").res(GPU, "1").times(2), first, second);
      Map<String, Integer> byPool = new HashMap<>();
      for (NodeClaimPlan p : r.nodeClaims()) {
        byPool.merge(p.nodePool(), p.pods().size(), Integer::sum);
      }
      assertEquals(Map.of("first", 1, "second", 1), byPool);
    }
  }

  static long fixturesCpu(String type) {
    for (var t : all()) {
      if (t.name().equals(type)) {
        return t.capacity().get("cpu") / 1000;
      }
    }
    throw new AssertionError(type);
  }

  @Nested
  class Offerings {
    @Test
    void spotIsChosenWhenAllowedAndOffered() {
      var pool =
          SchedulingNodePool.of(
              "mixed",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "spot", "on-demand")),
              Fixtures.CPU);
      var p = only(solve(List.of(pod("a").cpu("1").build()), pool));
      assertEquals("spot", p.capacityType());
    }

    @Test
    void onDemandFallbackWhenSpotIsUnavailable() {
      var pool =
          SchedulingNodePool.of(
              "mixed",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "spot", "on-demand")),
              Fixtures.CPU);
      Set<String> ice = new HashSet<>();
      for (var t : Fixtures.CPU) {
        for (String z : ZONES) {
          ice.add("spot:" + t.name() + ":" + z);
        }
      }
      var in = input(List.of(pod("a").cpu("1").build()), pool).withUnavailableOfferings(ice);
      assertEquals("on-demand", only(new Scheduler().solve(in)).capacityType());
    }

    @Test
    void iceOfferingIsExcludedFromItsZone() {
      var pool =
          SchedulingNodePool.of(
              "od",
              0,
              Requirements.of(
                  req(Labels.CAPACITY_TYPE, "In", "on-demand"),
                  req(Labels.INSTANCE_TYPE, "In", "m5.large")),
              Fixtures.CPU);
      var in =
          input(List.of(pod("a").cpu("1").build()), pool)
              .withUnavailableOfferings(Set.of("on-demand:m5.large:us-east-1a"));
      assertNotEquals("us-east-1a", only(new Scheduler().solve(in)).zone());
    }

    @Test
    void typeWithEveryOfferingUnavailableIsNotAnOption() {
      var pool = cpuPool("od");
      Set<String> ice = new HashSet<>();
      for (String z : ZONES) {
        ice.add("on-demand:m5.large:" + z);
      }
      var in = input(List.of(pod("a").cpu("1").build()), pool).withUnavailableOfferings(ice);
      assertFalse(only(new Scheduler().solve(in)).instanceTypeOptions().contains("m5.large"));
    }
  }

  @Nested
  class DaemonSets {
    @Test
    void daemonOverheadPushesToALargerType() {
      // m5.large allocatable 1900m; 1500m pod + 500m daemon needs m5.xlarge-class.
      var in =
          input(List.of(pod("a").cpu("1500m").build()), cpuPool("default"))
              .withDaemonSets(List.of(daemonSet("agent", "500m", "128Mi")));
      var p = only(new Scheduler().solve(in));
      assertNotEquals("m5.large", p.instanceType());
      assertEquals(2000, p.requests().get("cpu"));
    }

    @Test
    void daemonThatDoesNotTolerateThePoolTaintAddsNoOverhead() {
      var pool = cpuPool("tainted").withTaints(List.of(taint("dedicated", "x", "NoSchedule")));
      var in =
          input(List.of(pod("a").cpu("1500m").tolerate("dedicated").build()), pool)
              .withDaemonSets(List.of(daemonSet("agent", "500m", "128Mi")));
      assertEquals("m5.large", only(new Scheduler().solve(in)).instanceType());
    }
  }

  @Nested
  class HostPorts {
    @Test
    void samHostPortPodsLandOnDifferentNodes() {
      var r = solve(pod("hp").cpu("100m").hostPort(8080).times(2), cpuPool("default"));
      assertEquals(2, r.nodeClaims().size());
    }

    @Test
    void differentHostPortsShareANode() {
      var r =
          solve(
              List.of(
                  pod("a").cpu("100m").hostPort(8080).build(),
                  pod("b").cpu("100m").hostPort(9090).build()),
              cpuPool("default"));
      assertEquals(1, r.nodeClaims().size());
    }
  }

  @Nested
  class TopologySpread {
    @Test
    void zoneSpreadUsesEveryZone() {
      var r =
          solve(
              pod("s")
                  .cpu("1")
                  .label("app", "s")
                  .spread(Labels.ZONE, 1, "DoNotSchedule", "app", "s")
                  .times(3),
              cpuPool("default"));
      Set<String> zones = new HashSet<>();
      for (NodeClaimPlan p : r.nodeClaims()) {
        zones.add(p.zone());
      }
      assertEquals(Set.copyOf(ZONES), zones);
    }

    @Test
    void zoneSpreadKeepsSkewWithinMax() {
      var r =
          solve(
              pod("s")
                  .cpu("100m")
                  .label("app", "s")
                  .spread(Labels.ZONE, 1, "DoNotSchedule", "app", "s")
                  .times(10),
              cpuPool("default"));
      Map<String, Integer> perZone = new HashMap<>();
      for (NodeClaimPlan p : r.nodeClaims()) {
        perZone.merge(p.zone(), p.pods().size(), Integer::sum);
      }
      int max = perZone.values().stream().mapToInt(i -> i).max().orElseThrow();
      int min = perZone.values().stream().mapToInt(i -> i).min().orElseThrow();
      assertEquals(3, perZone.size());
      assertTrue(max - min <= 1, perZone.toString());
    }

    @Test
    void hostnameSpreadPutsOnePodPerNode() {
      var r =
          solve(
              pod("h")
                  .cpu("100m")
                  .label("app", "h")
                  .spread(Labels.HOSTNAME, 1, "DoNotSchedule", "app", "h")
                  .times(4),
              cpuPool("default"));
      assertEquals(4, r.nodeClaims().size());
    }

    @Test
    void capacityTypeSpreadUsesSpotAndOnDemand() {
      var pool =
          SchedulingNodePool.of(
              "mixed",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "spot", "on-demand")),
              Fixtures.CPU);
      var r =
          solve(
              pod("c")
                  .cpu("1")
                  .label("app", "c")
                  .spread(Labels.CAPACITY_TYPE, 1, "DoNotSchedule", "app", "c")
                  .times(2),
              pool);
      Set<String> cts = new HashSet<>();
      for (NodeClaimPlan p : r.nodeClaims()) {
        cts.add(p.capacityType());
      }
      assertEquals(Set.of("spot", "on-demand"), cts);
    }

    @Test
    void spreadRestrictedToOneZoneByPoolStillSchedules() {
      var pool = pool("one-zone", 0, req(Labels.ZONE, "In", "us-east-1a"));
      var r =
          solve(
              pod("s")
                  .cpu("1")
                  .label("app", "s")
                  .spread(Labels.ZONE, 1, "DoNotSchedule", "app", "s")
                  .times(3),
              pool);
      assertEquals(Map.of(), r.unschedulable());
    }

    @Test
    void minDomainsBlocksStackingInFewerZones() {
      // Only one zone is allowed by the pool but minDomains 3 treats the global minimum as 0, so
      // each zone may hold at most maxSkew pods.
      var pool = pool("one-zone", 0, req(Labels.ZONE, "In", "us-east-1a"));
      var r =
          solve(
              pod("s")
                  .cpu("1")
                  .label("app", "s")
                  .spread(Labels.ZONE, 1, "DoNotSchedule", "app", "s", 3)
                  .times(3),
              pool);
      assertEquals(1, r.scheduledCount());
      assertEquals(2, r.unschedulable().size());
    }

    @Test
    void scheduleAnywaySpreadIsRelaxedWhenUnsatisfiable() {
      var pool = pool("one-zone", 0, req(Labels.ZONE, "In", "us-east-1a"));
      var r =
          solve(
              pod("s")
                  .cpu("1")
                  .label("app", "s")
                  .spread(Labels.ZONE, 1, "ScheduleAnyway", "app", "s", 3)
                  .times(3),
              pool);
      assertEquals(Map.of(), r.unschedulable());
    }

    @Test
    void spreadCountsPodsAlreadyRunning() {
      var node =
          new ExistingNode(
              "n1",
              Map.of(Labels.ZONE, "us-east-1a", Labels.HOSTNAME, "n1"),
              List.of(),
              Resources.parse(Map.of("cpu", "1", "pods", "10", "memory", "1Gi")),
              List.of(pod("old").label("app", "s").nodeName("n1").build()),
              false);
      var in =
          input(
                  pod("s")
                      .cpu("1")
                      .label("app", "s")
                      .spread(Labels.ZONE, 1, "DoNotSchedule", "app", "s")
                      .times(2),
                  cpuPool("default"))
              .withNodes(List.of(node));
      Set<String> zones = new HashSet<>();
      for (NodeClaimPlan p : new Scheduler().solve(in).nodeClaims()) {
        zones.add(p.zone());
      }
      assertEquals(Set.of("us-east-1b", "us-east-1c"), zones);
    }
  }

  @Nested
  class PodAffinity {
    @Test
    void hostnameAntiAffinityGivesEachPodItsOwnNode() {
      var r =
          solve(
              pod("a")
                  .cpu("100m")
                  .label("app", "x")
                  .antiAffinity(Labels.HOSTNAME, "app", "x")
                  .times(3),
              cpuPool("default"));
      assertEquals(3, r.nodeClaims().size());
    }

    @Test
    void zoneAntiAffinityAllowsOnePodPerZone() {
      var r =
          solve(
              pod("a").cpu("100m").label("app", "x").antiAffinity(Labels.ZONE, "app", "x").times(4),
              cpuPool("default"));
      assertEquals(3, r.scheduledCount());
      assertEquals(1, r.unschedulable().size());
      assertTrue(r.unschedulable().values().iterator().next().contains("anti-affinity"));
    }

    @Test
    void hostnameAffinityCoLocatesWithTarget() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("1").label("app", "db").build());
      pods.add(pod("cache").cpu("100m").affinity(Labels.HOSTNAME, "app", "db").build());
      pods.add(
          pod("other")
              .cpu("1")
              .label("app", "o")
              .antiAffinity(Labels.HOSTNAME, "app", "db")
              .build());
      var r = solve(pods, cpuPool("default"));
      assertSame(claimOf(r, "default/db"), claimOf(r, "default/cache"));
      assertNotSame(claimOf(r, "default/db"), claimOf(r, "default/other"));
    }

    @Test
    void zoneAffinityFollowsTargetZone() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("1").label("app", "db").selector(Labels.ZONE, "us-east-1b").build());
      pods.add(pod("web").cpu("4").affinity(Labels.ZONE, "app", "db").build());
      var r = solve(pods, cpuPool("default"));
      assertEquals("us-east-1b", claimOf(r, "default/web").zone());
    }

    @Test
    void affinityToAbsentPodIsUnschedulable() {
      var r =
          solve(
              List.of(pod("web").cpu("1").affinity(Labels.ZONE, "app", "missing").build()),
              cpuPool("default"));
      assertTrue(r.unschedulable().get("default/web").contains("pod affinity"));
    }

    @Test
    void runningPodsAntiAffinityRepelsNewPods() {
      var running =
          pod("guard")
              .label("app", "guard")
              .antiAffinity(Labels.HOSTNAME, "app", "web")
              .nodeName("n1")
              .build();
      var node =
          new ExistingNode(
              "n1",
              Map.of(Labels.HOSTNAME, "n1", Labels.ZONE, "us-east-1a"),
              List.of(),
              Resources.parse(Map.of("cpu", "8", "memory", "32Gi", "pods", "20")),
              List.of(running),
              false);
      var in =
          input(List.of(pod("w").cpu("1").label("app", "web").build()), cpuPool("default"))
              .withNodes(List.of(node));
      var r = new Scheduler().solve(in);
      assertTrue(r.existingNodes().isEmpty());
      assertEquals(1, r.nodeClaims().size());
    }

    @Test
    void selfAffinityGroupsPodsInOneZone() {
      var r =
          solve(
              pod("g").cpu("2").label("grp", "a").affinity(Labels.ZONE, "grp", "a").times(6),
              cpuPool("default"));
      Set<String> zones = new HashSet<>();
      for (NodeClaimPlan p : r.nodeClaims()) {
        zones.add(p.zone());
      }
      assertEquals(1, zones.size());
      assertEquals(6, r.scheduledCount());
    }

    @Test
    void antiAffinityInOtherNamespaceDoesNotApply() {
      List<Pod> pods = new ArrayList<>();
      pods.add(
          pod("a").cpu("100m").label("app", "x").antiAffinity(Labels.HOSTNAME, "app", "x").build());
      pods.add(pod("b").ns("other").cpu("100m").label("app", "x").build());
      var r = solve(pods, cpuPool("default"));
      assertEquals(1, r.nodeClaims().size());
    }
  }

  @Nested
  class Preferences {
    @Test
    void preferredNodeAffinityIsHonouredWhenPossible() {
      var r =
          solve(
              List.of(pod("p").cpu("1").prefer(10, Labels.ZONE, "In", "us-east-1c").build()),
              cpuPool("default"));
      assertEquals("us-east-1c", only(r).zone());
    }

    @Test
    void heavierPreferenceWins() {
      var r =
          solve(
              List.of(
                  pod("p")
                      .cpu("1")
                      .prefer(1, Labels.ZONE, "In", "us-east-1a")
                      .prefer(50, Labels.ZONE, "In", "us-east-1b")
                      .build()),
              cpuPool("default"));
      assertEquals("us-east-1b", only(r).zone());
    }

    @Test
    void unsatisfiablePreferenceIsRelaxed() {
      var r =
          solve(
              List.of(pod("p").cpu("1").prefer(10, Labels.ZONE, "In", "eu-west-1a").build()),
              cpuPool("default"));
      assertEquals(Map.of(), r.unschedulable());
    }

    @Test
    void preferredAntiAffinitySpreadsThenRelaxes() {
      var r =
          solve(
              pod("p")
                  .cpu("100m")
                  .label("app", "p")
                  .preferAntiAffinity(10, Labels.ZONE, "app", "p")
                  .times(5),
              cpuPool("default"));
      assertEquals(Map.of(), r.unschedulable());
      Set<String> zones = new HashSet<>();
      for (NodeClaimPlan c : r.nodeClaims()) {
        zones.add(c.zone());
      }
      assertEquals(3, zones.size());
    }

    @Test
    void preferredAffinityToMissingPodIsRelaxed() {
      var r =
          solve(
              List.of(pod("p").cpu("1").preferAffinity(10, Labels.ZONE, "app", "none").build()),
              cpuPool("default"));
      assertEquals(Map.of(), r.unschedulable());
    }

    @Test
    void ignorePreferencesPolicySkipsThem() {
      var s = new Scheduler(Scheduler.Options.defaults().withIgnorePreferences(true));
      var r =
          s.solve(
              input(
                  List.of(pod("p").cpu("1").prefer(10, Labels.ZONE, "In", "us-east-1c").build()),
                  cpuPool("default")));
      assertNotEquals(Requirements.NONE, only(r).requirements());
      assertNull(only(r).requirements().get(Labels.ZONE));
    }
  }

  @Nested
  class ExistingCapacity {
    ExistingNode node(String name, String cpu) {
      return new ExistingNode(
          name,
          Map.of(Labels.HOSTNAME, name, Labels.ZONE, "us-east-1a", Labels.ARCH, "amd64"),
          List.of(),
          Resources.parse(Map.of("cpu", cpu, "memory", "16Gi", "pods", "30")),
          List.of(),
          false);
    }

    @Test
    void podGoesToExistingNodeWithRoom() {
      var r =
          new Scheduler()
              .solve(
                  input(List.of(pod("a").cpu("1").build()), cpuPool("d"))
                      .withNodes(List.of(node("n1", "4"))));
      assertEquals(Map.of("n1", List.of("default/a")), r.existingNodes());
      assertTrue(r.nodeClaims().isEmpty());
    }

    @Test
    void boundPodsUseUpExistingCapacity() {
      var n =
          new ExistingNode(
              "n1",
              Map.of(Labels.HOSTNAME, "n1"),
              List.of(),
              Resources.parse(Map.of("cpu", "2", "memory", "16Gi", "pods", "30")),
              List.of(pod("old").cpu("1500m").nodeName("n1").build()),
              false);
      var r =
          new Scheduler()
              .solve(input(List.of(pod("a").cpu("1").build()), cpuPool("d")).withNodes(List.of(n)));
      assertTrue(r.existingNodes().isEmpty());
      assertEquals(1, r.nodeClaims().size());
    }

    @Test
    void existingNodeBeforeInFlightClaim() {
      var in =
          input(List.of(pod("a").cpu("1").build()), cpuPool("d"))
              .withNodes(List.of(node("zz-real", "4")))
              .withInFlight(
                  List.of(
                      new ExistingNode(
                          "aa-flight",
                          Map.of(Labels.HOSTNAME, "aa-flight"),
                          List.of(),
                          Resources.parse(Map.of("cpu", "4", "memory", "16Gi", "pods", "30")),
                          List.of(),
                          true)));
      assertEquals(Set.of("zz-real"), new Scheduler().solve(in).existingNodes().keySet());
    }

    @Test
    void inFlightClaimBeforeNewNode() {
      var in =
          input(List.of(pod("a").cpu("1").build()), cpuPool("d"))
              .withInFlight(
                  List.of(
                      new ExistingNode(
                          "flight",
                          Map.of(Labels.HOSTNAME, "flight"),
                          List.of(),
                          Resources.parse(Map.of("cpu", "4", "memory", "16Gi", "pods", "30")),
                          List.of(),
                          true)));
      var r = new Scheduler().solve(in);
      assertEquals(Set.of("flight"), r.existingNodes().keySet());
      assertTrue(r.nodeClaims().isEmpty());
    }

    @Test
    void existingNodeTaintIsRespected() {
      var n =
          new ExistingNode(
              "n1",
              Map.of(Labels.HOSTNAME, "n1"),
              List.of(taint(GPU, "true", "NoSchedule")),
              Resources.parse(Map.of("cpu", "8", "memory", "16Gi", "pods", "30")),
              List.of(),
              false);
      var r =
          new Scheduler()
              .solve(input(List.of(pod("a").cpu("1").build()), cpuPool("d")).withNodes(List.of(n)));
      assertTrue(r.existingNodes().isEmpty());
    }

    @Test
    void existingNodeLabelsMustMatchSelector() {
      var r =
          new Scheduler()
              .solve(
                  input(
                          List.of(pod("a").cpu("1").selector(Labels.ARCH, "arm64").build()),
                          cpuPool("d"))
                      .withNodes(List.of(node("n1", "4"))));
      assertTrue(r.existingNodes().isEmpty());
    }
  }

  @Nested
  class Cost {
    @Test
    void improverSplitsWhenSmallNodesAreCheaper() {
      // Without improvement FFD packs both 1-GPU pods onto a 4-GPU node; two 1-GPU nodes of
      // the cheapest GPU are far cheaper.
      var pool =
          SchedulingNodePool.of(
              "gpu",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")),
              Fixtures.GPU);
      List<Pod> pods = pod("g").cpu("2").mem("4Gi").res(GPU, "1").times(2);
      var noImprove =
          new Scheduler(Scheduler.Options.defaults().withImproveBudget(java.time.Duration.ZERO))
              .solve(input(pods, pool));
      var improved = new Scheduler().solve(input(pods, pool));
      assertEquals("g4dn.12xlarge", only(noImprove).instanceType());
      assertEquals(2 * 0.526, improved.totalPricePerHour(), 1e-9);
      assertEquals(2, improved.scheduledCount());
    }

    @Test
    void improverNeverLeavesPodsBehind() {
      var pool =
          SchedulingNodePool.of(
              "mix",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")),
              Fixtures.CPU);
      List<Pod> pods = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        pods.add(pod("p" + i).cpu(((i % 4) + 1) * 250 + "m").mem(((i % 3) + 1) + "Gi").build());
      }
      var r = new Scheduler().solve(input(pods, pool));
      assertEquals(40, r.scheduledCount());
    }

    @Test
    void improverMixesCpuAndMemoryHeavyPodsOntoMatchingTypes() {
      // 16 pods of 1900m/1Gi and 8 of 250m/14Gi. Per node: c6g.xlarge ($0.136) holds two
      // cpu-heavy pods, r6g.xlarge ($0.2016) two memory-heavy plus one cpu-heavy, m6g.xlarge
      // ($0.154) one of each. Four r6g and six c6g ($1.6224) is the cheapest cover.
      var pool =
          SchedulingNodePool.of(
              "mix",
              0,
              Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")),
              Fixtures.CPU);
      List<Pod> pods = new ArrayList<>(pod("cpu").cpu("1900m").mem("1Gi").times(16));
      pods.addAll(pod("mem").cpu("250m").mem("14Gi").times(8));
      var r = new Scheduler().solve(input(pods, pool));
      assertEquals(24, r.scheduledCount());
      assertEquals(4 * 0.2016 + 6 * 0.136, r.totalPricePerHour(), 1e-9);
    }

    @Test
    void improvedPlanRespectsHostnameAntiAffinity() {
      var pool = cpuPool("d");
      List<Pod> pods =
          new ArrayList<>(
              pod("x")
                  .cpu("1")
                  .label("app", "x")
                  .antiAffinity(Labels.HOSTNAME, "app", "x")
                  .times(3));
      pods.addAll(pod("filler").cpu("500m").times(10));
      var r = new Scheduler().solve(input(pods, pool));
      for (NodeClaimPlan p : r.nodeClaims()) {
        long xs = p.pods().stream().filter(k -> k.startsWith("default/x-")).count();
        assertTrue(xs <= 1, p.pods().toString());
      }
    }
  }

  @Nested
  class Consolidation {
    ExistingNode node(String name, String cpu) {
      return new ExistingNode(
          name,
          Map.of(Labels.HOSTNAME, name),
          List.of(),
          Resources.parse(Map.of("cpu", cpu, "memory", "16Gi", "pods", "30")),
          List.of(),
          false);
    }

    @Test
    void podsFitOnRemainingNodes() {
      var remaining =
          SchedulingInput.of(List.of(), List.of(cpuPool("d"))).withNodes(List.of(node("n1", "4")));
      var ans = new Scheduler().canReschedule(List.of(pod("a").cpu("1").build()), remaining, 0.5);
      assertTrue(ans.possible());
      assertTrue(ans.result().nodeClaims().isEmpty());
    }

    @Test
    void oneCheaperNewNodeIsAllowed() {
      var remaining = SchedulingInput.of(List.of(), List.of(cpuPool("d")));
      var ans = new Scheduler().canReschedule(List.of(pod("a").cpu("1").build()), remaining, 0.5);
      assertTrue(ans.possible());
      assertTrue(ans.result().nodeClaims().get(0).pricePerHour() < 0.5);
    }

    @Test
    void newNodeNotCheaperIsRefused() {
      var remaining = SchedulingInput.of(List.of(), List.of(cpuPool("d")));
      var ans = new Scheduler().canReschedule(List.of(pod("a").cpu("1").build()), remaining, 0.05);
      assertFalse(ans.possible());
    }

    @Test
    void twoNewNodesAreRefused() {
      var remaining = SchedulingInput.of(List.of(), List.of(cpuPool("d")));
      var pods =
          pod("a").cpu("1").label("app", "a").antiAffinity(Labels.HOSTNAME, "app", "a").times(2);
      assertFalse(new Scheduler().canReschedule(pods, remaining, 10).possible());
    }
  }
}
