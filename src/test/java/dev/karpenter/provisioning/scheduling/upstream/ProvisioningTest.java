package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Upstream pkg/controllers/provisioning/suite_test.go (limits, DaemonSets, labels, taints,
 * NodeClaim creation, multiple NodePools, preference policy) and scheduling suite_test.go's
 * In-Flight Nodes and Existing Nodes.
 */
class ProvisioningTest {
  static SchedulingNodePool limited(String... limits) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i + 1 < limits.length; i += 2) {
      m.put(limits[i], limits[i + 1]);
    }
    return SchedulerPools.onDemandCpu().withLimits(Resources.parse(m));
  }

  static DaemonSet withSelector(DaemonSet d, String key, String value) {
    return new DaemonSetBuilder(d)
        .editSpec()
        .editTemplate()
        .editSpec()
        .addToNodeSelector(key, value)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static SchedulingResult withDaemonSets(List<Pod> pods, SchedulingNodePool pool, DaemonSet... ds) {
    return solve(input(pods, pool).withDaemonSets(List.of(ds)));
  }

  @Nested
  class Basics {
    @Test
    void provisionsANodeForOnePod() {
      only(solve(List.of(pod("p").build()), cpu()));
    }

    @Test
    void provisionsForManyPods() {
      scheduled(solve(pod("p").cpu("100m").times(10), cpu()), 10);
    }

    @Test
    void noNodePoolMeansUnschedulable() {
      var r = solve(input(List.of(pod("p").build())));
      unschedulable(r, "p");
    }

    @Test
    void acceleratorsGetAcceleratorTypes() {
      var r =
          solve(List.of(pod("g").res(GPU, "1").build(), pod("n").res(NEURON, "1").build()), any());
      everyOption(claimOf(r, "g"), "a GPU type", t -> t.capacity().get(GPU) >= 1000);
      everyOption(claimOf(r, "n"), "a Neuron type", t -> t.capacity().get(NEURON) >= 1000);
    }

    @Test
    void sidecarInitContainersAddToTheContainers() {
      Pod p = pod("p").cpu("1").build();
      p.getSpec()
          .getInitContainers()
          .add(
              new ContainerBuilder()
                  .withName("sidecar")
                  .withRestartPolicy("Always")
                  .withNewResources()
                  .addToRequests("cpu", new Quantity("2"))
                  .endResources()
                  .build());
      NodeClaimPlan c = only(solve(List.of(p), SchedulerPools.onDemandCpu()));
      everyOption(c, "at least 3 vCPU allocatable", t -> t.allocatable().get("cpu") >= 3000);
    }
  }

  @Nested
  class ResourceLimits {
    @Test
    void noSchedulingWhenUsageAlreadyExceedsTheLimit() {
      var pool = limited("cpu", "20").withUsage(Resources.parse(Map.of("cpu", "100")));
      unschedulable(solve(List.of(pod("p").cpu("1").build()), pool), "p");
    }

    @Test
    void schedulesWhenTheLimitWouldBeMet() {
      NodeClaimPlan c = only(solve(List.of(pod("p").cpu("1").build()), limited("cpu", "2")));
      everyOption(c, "within the cpu limit", t -> t.capacity().get("cpu") <= 2000);
    }

    @Test
    void partiallySchedulesWhenTheLimitWouldBeExceeded() {
      var r = solve(pod("p").cpu("1500m").times(2), limited("cpu", "2"));
      assertEquals(1, r.scheduledCount());
      assertEquals(1, r.unschedulable().size());
    }

    @Test
    void noSchedulingWhenThePodAloneExceedsTheLimit() {
      unschedulable(solve(List.of(pod("p").cpu("3").build()), limited("cpu", "2")), "p");
    }

    @Test
    void gpuLimit() {
      var pool = pool("gpu", 0, gpuTypes()).withLimits(Resources.parse(Map.of(GPU, "1")));
      unschedulable(solve(List.of(pod("p").res(GPU, "2").build()), pool), "p");
    }

    @Test
    void nodesLimit() {
      var r =
          solve(
              pod("p").cpu("100m").label("app", "x").antiAffinity(HOSTNAME, "app", "x").times(3),
              limited("nodes", "1"));
      assertEquals(1, r.scheduledCount());
      assertEquals(1, r.nodeClaims().size());
    }

    /** Issue #10: an existing node of the pool counts against limits.nodes. */
    @Test
    void existingNodesCountAgainstTheNodesLimit() {
      var pool = limited("nodes", "1").withUsage(Resources.parse(Map.of("cpu", "8")));
      ExistingNode full =
          node(
              "n1",
              Map.of(ZONE, A, HOSTNAME, "n1", NODEPOOL, "default", ARCH, "amd64", OS, "linux"),
              "100m",
              "1Gi",
              List.of());
      var r = solve(input(List.of(pod("p").cpu("1").build()), pool).withNodes(List.of(full)));
      unschedulable(r, "p");
    }

    /** Issue #10: the guide's gpu-general limits do not refuse twenty one-GPU pods. */
    @Test
    void generousLimitsDoNotRefuseGpuPods() {
      var pool =
          pool("gpu-general", 0, gpuTypes(), req(CT, "In", "on-demand"))
              .withLimits(Resources.parse(Map.of("cpu", "500", "memory", "2000Gi", GPU, "100")));
      scheduled(solve(pod("p").cpu("2").mem("8Gi").res(GPU, "1").times(20), pool), 20);
    }
  }

  @Nested
  class Daemonsets {
    @Test
    void daemonSetOverheadIsAccounted() {
      var r =
          withDaemonSets(
              List.of(pod("p").cpu("1").build()),
              SchedulerPools.onDemandCpu(),
              daemonSet("ds", "1", "1Gi"));
      NodeClaimPlan c = only(r);
      everyOption(c, "holding pod + DaemonSet", t -> t.allocatable().get("cpu") >= 2000);
      assertTrue(c.requests().get("cpu") >= 2000, c::toString);
    }

    @Test
    void tooLargeDaemonSetOverheadIsUnschedulable() {
      var r =
          withDaemonSets(
              List.of(pod("p").cpu("1").build()),
              SchedulerPools.onDemandCpu(),
              daemonSet("ds", "100", "1Gi"));
      unschedulable(r, "p");
    }

    @Test
    void daemonSetsWithoutMatchingTolerationsAreIgnored() {
      var pool =
          SchedulerPools.onDemandCpu().withTaints(List.of(taint("dedicated", "x", "NoSchedule")));
      var r =
          withDaemonSets(
              List.of(pod("p").cpu("1").tolerate("dedicated").build()),
              pool,
              daemonSet("ds", "100", "1Gi"));
      assertEquals("m5.large", only(r).instanceType());
    }

    @Test
    void daemonSetSelectingAPoolLabelIsAccounted() {
      var pool = SchedulerPools.onDemandCpu().withLabels(Map.of("team", "ml"));
      var ds = withSelector(daemonSet("ds", "1", "1Gi"), "team", "ml");
      var r = withDaemonSets(List.of(pod("p").cpu("1").build()), pool, ds);
      everyOption(only(r), "holding pod + DaemonSet", t -> t.allocatable().get("cpu") >= 2000);
    }

    @Test
    void daemonSetsFilteredByInstanceTypeRequirements() {
      var pool = pool("amd", 0, cpuTypes(), req(CT, "In", "on-demand"), req(ARCH, "In", "amd64"));
      var ds = withSelector(daemonSet("ds", "100", "1Gi"), ARCH, "arm64");
      assertEquals(
          "m5.large",
          only(withDaemonSets(List.of(pod("p").cpu("1").build()), pool, ds)).instanceType());
    }

    @Test
    void daemonSetOverheadIsNotDoubleCounted() {
      var r =
          withDaemonSets(
              pod("p").cpu("500m").times(2),
              SchedulerPools.onDemandCpu(),
              daemonSet("ds", "500m", "128Mi"));
      NodeClaimPlan c = only(r);
      long dsAndPods = 1500;
      long cpu = c.requests().get("cpu");
      assertTrue(cpu >= dsAndPods && cpu < dsAndPods + 500, c::toString);
    }

    @Test
    void preferNoScheduleTaintDoesNotExcludeADaemonSet() {
      var pool =
          SchedulerPools.onDemandCpu().withTaints(List.of(taint("soft", "x", "PreferNoSchedule")));
      var r = withDaemonSets(List.of(pod("p").cpu("1").build()), pool, daemonSet("ds", "1", "1Gi"));
      everyOption(only(r), "holding pod + DaemonSet", t -> t.allocatable().get("cpu") >= 2000);
    }
  }

  @Nested
  class LabelsAndClaims {
    @Test
    void claimsCarryTemplateLabels() {
      NodeClaimPlan c =
          only(
              solve(
                  List.of(pod("p").build()), cpu().withLabels(Map.of("team", "ml", "tier", "1"))));
      assertEquals("ml", c.labels().get("team"));
      assertEquals("1", c.labels().get("tier"));
    }

    @Test
    void claimRequirementsNameTheNodePool() {
      NodeClaimPlan c = only(solve(List.of(pod("p").build()), cpu()));
      assertTrue(c.requirements().get(NODEPOOL).matches("default"));
      assertEquals("default", c.labels().get(NODEPOOL));
    }

    @Test
    void claimRequirementsRestrictArch() {
      NodeClaimPlan c = only(solve(List.of(pod("p").selector(ARCH, "arm64").build()), cpu()));
      assertFalse(c.requirements().get(ARCH).matches("amd64"));
    }

    @Test
    void claimRequestsHoldThePodRequests() {
      NodeClaimPlan c = only(solve(List.of(pod("p").cpu("1500m").mem("3Gi").build()), cpu()));
      assertTrue(c.requests().get("cpu") >= 1500);
      assertTrue(c.requests().get("memory") >= 3L * (1L << 30) * 1000);
    }
  }

  @Nested
  class MultipleNodePools {
    @Test
    void explicitlySelectedNodePool() {
      var r =
          solve(
              List.of(pod("p").selector(NODEPOOL, "b").build()),
              cpu(),
              SchedulerPools.onDemandCpu().withLabels(Map.of()).withInstanceTypes(cpuTypes()),
              pool("b", 0, cpuTypes()));
      assertEquals("b", only(r).nodePool());
    }

    @Test
    void nodePoolSelectedByLabels() {
      var r =
          solve(
              List.of(pod("p").selector("team", "ml").build()),
              cpu(),
              pool("b", 0, cpuTypes()).withLabels(Map.of("team", "ml")));
      assertEquals("b", only(r).nodePool());
    }

    @Test
    void preferNoScheduleNodePoolIsAvoidedWhenAnotherMatches() {
      var soft =
          pool("soft", 100, cpuTypes()).withTaints(List.of(taint("soft", "x", "PreferNoSchedule")));
      var r = solve(List.of(pod("p").build()), soft, pool("plain", 0, cpuTypes()));
      assertEquals("plain", only(r).nodePool());
    }

    @Test
    void highestWeightAlways() {
      var cheap = pool("cheap", 10, cpuTypes());
      var dear = pool("dear", 100, cpuTypes(), req(TYPE, "In", "m5.8xlarge"));
      var r = solve(pod("p").cpu("100m").times(3), cheap, dear);
      for (NodeClaimPlan c : r.nodeClaims()) {
        assertEquals("dear", c.nodePool());
      }
    }

    @Test
    void explicitSelectionBeatsWeight() {
      var r =
          solve(
              List.of(pod("p").selector(NODEPOOL, "low").build()),
              pool("high", 100, cpuTypes()),
              pool("low", 1, cpuTypes()));
      assertEquals("low", only(r).nodePool());
    }

    /** Issue #10: plain CPU pods never get a claim of their own from a lower-weight pool. */
    @Test
    void plainPodsUseTheHigherWeightPoolNotACheaperLowerOne() {
      var cpuPool = pool("cpu", 50, cpuTypes(), req(CT, "In", "on-demand"));
      var accel = pool("accel", 10, all(), req(CT, "In", "spot"));
      List<Pod> pods = new ArrayList<>(pod("svc").cpu("1").mem("2Gi").times(6));
      pods.add(pod("gpu").cpu("1").res(GPU, "1").build());
      var r = solve(pods, cpuPool, accel);
      scheduled(r, 7);
      for (NodeClaimPlan c : r.nodeClaims()) {
        if (c.pods().stream().noneMatch(p -> p.equals("default/gpu"))) {
          assertEquals("cpu", c.nodePool(), c::toString);
        }
      }
    }
  }

  @Nested
  class PreferencePolicyIgnore {
    final Scheduler ignoring =
        new Scheduler(
            Scheduler.Options.defaults()
                .withIgnorePreferences(true)
                .withImproveBudget(Duration.ZERO));

    @Test
    void nodeAffinityPreferencesAreIgnored() {
      var r =
          ignoring.solve(
              input(
                  List.of(pod("p").cpu("100m").prefer(100, TYPE, "In", "m5.8xlarge").build()),
                  SchedulerPools.onDemandCpu()));
      assertEquals("m5.large", only(r).instanceType());
    }

    @Test
    void scheduleAnywaySpreadIsIgnored() {
      var pods =
          pod("p")
              .cpu("100m")
              .label("app", "x")
              .spread(HOSTNAME, 1, "ScheduleAnyway", "app", "x")
              .times(3);
      assertEquals(
          1, ignoring.solve(input(pods, SchedulerPools.onDemandCpu())).nodeClaims().size());
    }

    @Test
    void podAntiAffinityPreferencesAreIgnored() {
      var pods =
          pod("p")
              .cpu("100m")
              .label("app", "x")
              .preferAntiAffinity(100, HOSTNAME, "app", "x")
              .times(3);
      assertEquals(
          1, ignoring.solve(input(pods, SchedulerPools.onDemandCpu())).nodeClaims().size());
    }

    @Test
    void preferencesAreHonouredByDefault() {
      var pods =
          pod("p")
              .cpu("100m")
              .label("app", "x")
              .preferAntiAffinity(100, HOSTNAME, "app", "x")
              .times(3);
      assertEquals(3, solve(pods, SchedulerPools.onDemandCpu()).nodeClaims().size());
    }
  }

  @Nested
  class ExistingAndInFlightNodes {
    static ExistingNode node(
        String name, String zone, String cpu, boolean inFlight, List<Pod> pods) {
      var n =
          dev.karpenter.provisioning.scheduling.UpstreamKit.node(
              name,
              Map.of(
                  ZONE,
                  zone,
                  HOSTNAME,
                  name,
                  ARCH,
                  "amd64",
                  OS,
                  "linux",
                  NODEPOOL,
                  "default",
                  CT,
                  "on-demand"),
              cpu,
              "16Gi",
              pods);
      return new ExistingNode(
          n.name(), n.labels(), n.taints(), n.allocatable(), n.pods(), inFlight);
    }

    @Test
    void podGoesToAnExistingNodeWithRoom() {
      var r =
          solve(
              input(List.of(pod("p").cpu("1").build()), cpu())
                  .withNodes(List.of(node("n1", A, "4", false, List.of()))));
      assertTrue(r.nodeClaims().isEmpty(), r::toString);
      assertEquals(List.of("default/p"), r.existingNodes().get("n1"));
    }

    @Test
    void manyPodsGoToAnExistingNode() {
      var r =
          solve(
              input(pod("p").cpu("500m").times(4), cpu())
                  .withNodes(List.of(node("n1", A, "4", false, List.of()))));
      assertTrue(r.nodeClaims().isEmpty(), r::toString);
      assertEquals(4, r.existingNodes().get("n1").size());
    }

    @Test
    void incompatibleWithTheNodeButCompatibleWithThePool() {
      var r =
          solve(
              input(List.of(pod("p").selector(ZONE, B).build()), cpu())
                  .withNodes(List.of(node("n1", A, "4", false, List.of()))));
      assertEquals(B, only(r).zone());
    }

    @Test
    void inFlightNodeThatFitsPreventsASecondNode() {
      var r =
          solve(
              input(List.of(pod("p").cpu("1").build()), cpu())
                  .withInFlight(List.of(node("c1", A, "4", true, List.of()))));
      assertTrue(r.nodeClaims().isEmpty(), r::toString);
    }

    @Test
    void secondNodeWhenThePodDoesNotFitTheInFlightNode() {
      var r =
          solve(
              input(List.of(pod("p").cpu("3").build()), cpu())
                  .withInFlight(List.of(node("c1", A, "2", true, List.of()))));
      assertEquals(1, r.nodeClaims().size());
    }

    @Test
    void secondNodeWhenThePodIsIncompatibleWithTheInFlightNode() {
      var r =
          solve(
              input(List.of(pod("p").selector(ZONE, C).build()), cpu())
                  .withInFlight(List.of(node("c1", A, "4", true, List.of()))));
      assertEquals(C, only(r).zone());
    }

    @Test
    void taintedInFlightNodeIsNotAssumed() {
      var n = node("c1", A, "4", true, List.of());
      var tainted =
          new ExistingNode(
              n.name(),
              n.labels(),
              List.of(taint("dedicated", "x", "NoSchedule")),
              n.allocatable(),
              n.pods(),
              true);
      var r = solve(input(List.of(pod("p").build()), cpu()).withInFlight(List.of(tainted)));
      assertEquals(1, r.nodeClaims().size());
    }

    /** Two 1.5-vCPU pods do not share a 2-vCPU in-flight node: one each, and one new claim. */
    @Test
    void inFlightNodesArePackedBeforeNewOnes() {
      var r =
          solve(
              input(pod("p").cpu("1.5").times(3), cpu())
                  .withInFlight(
                      List.of(
                          node("c1", A, "2", true, List.of()),
                          node("c2", B, "2", true, List.of()))));
      int onInFlight = r.existingNodes().values().stream().mapToInt(List::size).sum();
      assertEquals(2, onInFlight, r::toString);
      assertEquals(1, r.nodeClaims().size());
    }

    @Test
    void sameHostPortGoesToDifferentNodes() {
      var r = solve(pod("p").cpu("100m").hostPort(8080).times(2), cpu());
      scheduled(r, 2);
      assertEquals(2, r.nodeClaims().size());
    }

    @Test
    void zoneSpreadCountsPodsOnExistingNodes() {
      List<Pod> bound = pod("old").cpu("100m").label("app", "web").nodeName("n1").times(2);
      var pods =
          pod("new")
              .cpu("100m")
              .label("app", "web")
              .spread(ZONE, 1, "DoNotSchedule", "app", "web")
              .times(4);
      var r = solve(input(pods, cpu()).withNodes(List.of(node("n1", A, "1", false, bound))));
      scheduled(r, 4);
      assertEquals(0, podsIn(r, A) + r.existingNodes().getOrDefault("n1", List.of()).size());
      assertEquals(2, podsIn(r, B));
      assertEquals(2, podsIn(r, C));
    }

    @Test
    void hostnameSpreadWithInFlightNodes() {
      var pods =
          pod("p")
              .cpu("100m")
              .label("app", "web")
              .spread(HOSTNAME, 1, "DoNotSchedule", "app", "web")
              .times(3);
      var r = solve(input(pods, cpu()).withInFlight(List.of(node("c1", A, "4", true, List.of()))));
      scheduled(r, 3);
      assertEquals(1, r.existingNodes().getOrDefault("c1", List.of()).size());
      assertEquals(2, r.nodeClaims().size());
    }
  }
}
