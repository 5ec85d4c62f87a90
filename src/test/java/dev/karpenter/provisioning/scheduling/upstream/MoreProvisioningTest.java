package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Upstream provisioning suite_test.go and scheduling suite_test.go, second batch. */
class MoreProvisioningTest {
  static Container container(String name, String cpu, String restartPolicy) {
    var b = new ContainerBuilder().withName(name).withRestartPolicy(restartPolicy);
    if (cpu != null) {
      b.withNewResources().addToRequests("cpu", new Quantity(cpu)).endResources();
    }
    return b.build();
  }

  static Pod withInit(Pod p, Container... init) {
    p.getSpec().getInitContainers().addAll(List.of(init));
    return p;
  }

  static DaemonSet ds(String name, List<Container> containers, List<Container> init) {
    return new DaemonSetBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("kube-system")
        .endMetadata()
        .withNewSpec()
        .withNewTemplate()
        .withNewSpec()
        .withContainers(containers)
        .withInitContainers(init)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static DaemonSet editSpec(
      DaemonSet d, java.util.function.UnaryOperator<io.fabric8.kubernetes.api.model.PodSpec> f) {
    DaemonSet c = new DaemonSetBuilder(d).build();
    c.getSpec().getTemplate().setSpec(f.apply(c.getSpec().getTemplate().getSpec()));
    return c;
  }

  static SchedulingResult withDs(List<Pod> pods, SchedulingNodePool pool, DaemonSet... d) {
    return solve(input(pods, pool).withDaemonSets(List.of(d)));
  }

  static SchedulingNodePool od() {
    return SchedulerPools.onDemandCpu();
  }

  static boolean holds(NodeClaimPlan c, long cpuMilli) {
    return c.instanceTypeOptions().stream()
        .allMatch(o -> typeNamed(o).allocatable().get("cpu") >= cpuMilli);
  }

  @Test
  void sidecarFirstWithSmallerInitContainer() {
    Pod p =
        withInit(
            pod("p").cpu("1").build(),
            container("sidecar", "2", "Always"),
            container("init", "1", null));
    NodeClaimPlan c = only(solve(List.of(p), od()));
    assertTrue(holds(c, 3000), c::toString);
  }

  @Test
  void sidecarFirstWithBiggerInitContainer() {
    Pod p =
        withInit(
            pod("p").cpu("1").build(),
            container("sidecar", "1", "Always"),
            container("init", "5", null));
    NodeClaimPlan c = only(solve(List.of(p), od()));
    assertTrue(holds(c, 6000), c::toString);
  }

  /** Found by this checklist: not accounted on base. */
  @Test
  void daemonSetHostPortIsAccounted() {
    var d =
        ds(
            "ds",
            List.of(
                new ContainerBuilder()
                    .withName("d")
                    .withPorts(
                        new ContainerPortBuilder().withContainerPort(80).withHostPort(80).build())
                    .build()),
            List.of());
    unschedulable(withDs(List.of(pod("p").hostPort(80).build()), od(), d), "p");
  }

  @Test
  void daemonSetHostPortOnANodeItDoesNotRunOnIsIgnored() {
    var d =
        editSpec(
            ds(
                "ds",
                List.of(
                    new ContainerBuilder()
                        .withName("d")
                        .withPorts(
                            new ContainerPortBuilder()
                                .withContainerPort(80)
                                .withHostPort(80)
                                .build())
                        .build()),
                List.of()),
            s -> {
              s.setNodeSelector(Map.of(ARCH, "arm64"));
              return s;
            });
    var pool = pool("amd", 0, cpuTypes(), req(ARCH, "In", "amd64"));
    only(withDs(List.of(pod("p").hostPort(80).build()), pool, d));
  }

  @Test
  void daemonSetIsAccountedOnAPoolWithAStartupTaint() {
    var base = od();
    var pool =
        new SchedulingNodePool(
            base.name(),
            0,
            base.requirements(),
            Map.of(),
            List.of(),
            List.of(taint("init", "true", "NoSchedule")),
            Resources.NONE,
            Resources.NONE,
            base.instanceTypes());
    NodeClaimPlan c =
        only(withDs(List.of(pod("p").cpu("1").build()), pool, daemonSet("ds", "1", "1Gi")));
    assertTrue(holds(c, 2000), c::toString);
  }

  @Test
  void daemonSetLimitsWithoutRequestsCountAsRequests() {
    var d =
        ds(
            "ds",
            List.of(
                new ContainerBuilder()
                    .withName("d")
                    .withNewResources()
                    .addToLimits("cpu", new Quantity("100"))
                    .endResources()
                    .build()),
            List.of());
    unschedulable(withDs(List.of(pod("p").cpu("1").build()), od(), d), "p");
  }

  @Test
  void daemonSetInitContainerMaxIsAccounted() {
    var d = ds("ds", List.of(container("d", "100m", null)), List.of(container("init", "3", null)));
    NodeClaimPlan c = only(withDs(List.of(pod("p").cpu("1").build()), od(), d));
    assertTrue(holds(c, 4000), c::toString);
  }

  @Test
  void daemonSetInitContainerTooLargeIsUnschedulable() {
    var d =
        ds("ds", List.of(container("d", "100m", null)), List.of(container("init", "100", null)));
    unschedulable(withDs(List.of(pod("p").cpu("1").build()), od(), d), "p");
  }

  @Test
  void podsAndDaemonSetsWithoutRequestsSchedule() {
    var d = ds("ds", List.of(container("d", null, null)), List.of());
    only(withDs(List.of(pod("p").build()), od(), d));
  }

  @Test
  void daemonSetNoTypeCanRunIsIgnored() {
    var d =
        editSpec(
            daemonSet("ds", "100", "1Gi"),
            s -> {
              s.setNodeSelector(Map.of(TYPE, "nope.large"));
              return s;
            });
    assertEquals(
        "m5.large", only(withDs(List.of(pod("p").cpu("1").build()), od(), d)).instanceType());
  }

  @Test
  void daemonSetNotInOnAnUnspecifiedKeyIsAccounted() {
    var d =
        editSpec(
            daemonSet("ds", "1", "1Gi"),
            s -> {
              s.setAffinity(
                  new io.fabric8.kubernetes.api.model.AffinityBuilder()
                      .withNewNodeAffinity()
                      .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                      .addToNodeSelectorTerms(
                          new NodeSelectorTermBuilder()
                              .addNewMatchExpression()
                              .withKey("foo")
                              .withOperator("NotIn")
                              .withValues("bar")
                              .endMatchExpression()
                              .build())
                      .endRequiredDuringSchedulingIgnoredDuringExecution()
                      .endNodeAffinity()
                      .build());
              return s;
            });
    assertTrue(holds(only(withDs(List.of(pod("p").cpu("1").build()), od(), d)), 2000));
  }

  /** Found by this checklist: not accounted on base. */
  @Test
  void daemonSetWithSeveralAffinityTermsIsAccounted() {
    var d =
        editSpec(
            daemonSet("ds", "1", "1Gi"),
            s -> {
              s.setAffinity(
                  new io.fabric8.kubernetes.api.model.AffinityBuilder()
                      .withNewNodeAffinity()
                      .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                      .addToNodeSelectorTerms(
                          new NodeSelectorTermBuilder()
                              .addNewMatchExpression()
                              .withKey(ARCH)
                              .withOperator("In")
                              .withValues("arm64")
                              .endMatchExpression()
                              .build())
                      .addToNodeSelectorTerms(
                          new NodeSelectorTermBuilder()
                              .addNewMatchExpression()
                              .withKey(ARCH)
                              .withOperator("In")
                              .withValues("amd64")
                              .endMatchExpression()
                              .build())
                      .endRequiredDuringSchedulingIgnoredDuringExecution()
                      .endNodeAffinity()
                      .build());
              return s;
            });
    var pool = pool("amd", 0, cpuTypes(), req(ARCH, "In", "amd64"), req(CT, "In", "on-demand"));
    assertTrue(holds(only(withDs(List.of(pod("p").cpu("1").build()), pool, d)), 2000));
  }

  @Test
  void daemonSetPreferenceDoesNotExcludeIt() {
    var d =
        editSpec(
            daemonSet("ds", "1", "1Gi"),
            s -> {
              s.setAffinity(
                  new io.fabric8.kubernetes.api.model.AffinityBuilder()
                      .withNewNodeAffinity()
                      .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                      .withWeight(1)
                      .withNewPreference()
                      .addNewMatchExpression()
                      .withKey(ARCH)
                      .withOperator("In")
                      .withValues("s390x")
                      .endMatchExpression()
                      .endPreference()
                      .endPreferredDuringSchedulingIgnoredDuringExecution()
                      .endNodeAffinity()
                      .build());
              return s;
            });
    assertTrue(holds(only(withDs(List.of(pod("p").cpu("1").build()), od(), d)), 2000));
  }

  @Test
  void kubernetesDomainTemplateLabelsAreOnTheClaim() {
    var pool =
        cpu().withLabels(Map.of("node.kubernetes.io/role", "worker", "team.kubernetes.io/x", "y"));
    NodeClaimPlan c = only(solve(List.of(pod("p").build()), pool));
    assertEquals("worker", c.labels().get("node.kubernetes.io/role"));
    assertEquals("y", c.labels().get("team.kubernetes.io/x"));
  }

  @Test
  void poolWithoutAnyMatchingTypeGivesAPoolReason() {
    var r =
        solve(
            List.of(pod("p").build()), pool("none", 0, cpuTypes(), req(TYPE, "In", "nope.large")));
    unschedulable(r, "p");
    assertTrue(r.unschedulable().get("default/p").contains("none"), r.unschedulable()::toString);
  }

  @Test
  void everyPodIsUnschedulableWhenRequirementsFilterOutAllTypes() {
    var r = solve(pod("p").times(3), pool("none", 0, cpuTypes(), req(TYPE, "In", "nope.large")));
    assertEquals(3, r.unschedulable().size());
  }

  @Test
  void conflictingPoolRequirementsEliminateAllTypes() {
    var pool = pool("x", 0, cpuTypes(), req(ARCH, "In", "arm64"), req(TYPE, "In", "m5.large"));
    unschedulable(solve(List.of(pod("p").build()), pool), "p");
  }

  @Test
  void zoneRequirementsThatNoOfferingHasEliminateAllTypes() {
    unschedulable(
        solve(List.of(pod("p").build()), pool("x", 0, cpuTypes(), req(ZONE, "In", "us-east-1z"))),
        "p");
  }

  @Test
  void inFlightNodeMatchingTheSelectorIsUsed() {
    var n =
        node(
            "c1",
            Map.of(ZONE, A, HOSTNAME, "c1", ARCH, "amd64", OS, "linux", NODEPOOL, "default"),
            "4",
            "16Gi",
            List.of());
    var inFlight =
        new ExistingNode(n.name(), n.labels(), n.taints(), n.allocatable(), n.pods(), true);
    var r =
        solve(
            input(List.of(pod("p").selector(ZONE, A).build()), cpu())
                .withInFlight(List.of(inFlight)));
    assertTrue(r.nodeClaims().isEmpty(), r::toString);
  }

  @Test
  void preferNoScheduleIsToleratedOnceAffinityPreferencesAreRelaxed() {
    var soft = cpu().withTaints(List.of(taint("foo", "bar", "PreferNoSchedule")));
    var p = pod("p").prefer(1, ZONE, "In", "invalid").prefer(1, TYPE, "In", "invalid").build();
    NodeClaimPlan c = only(solve(List.of(p), soft));
    assertTrue(
        c.taints().stream()
            .anyMatch(t -> t.getKey().equals("foo") && t.getEffect().equals("PreferNoSchedule")));
  }

  @Test
  void podsWithoutRequestsSchedule() {
    only(
        solve(
            List.of(pod("p").build()),
            new dev.karpenter.provisioning.scheduling.SchedulingNodePool(
                "d",
                0,
                Requirements.NONE,
                Map.of(),
                List.of(),
                List.of(),
                Resources.NONE,
                Resources.NONE,
                cpuTypes())));
  }
}
