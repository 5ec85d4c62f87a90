package dev.karpenter.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTermBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Shrunk oracle failures kept as unit tests: each workload is what the shrinker printed for a
 * failing seed (target/oracle/seed-N.txt), and the assertion is the oracle's own static check
 * (which the cluster run confirmed with kube-scheduler), plus the specific fact that broke.
 */
class OracleRegressionTest {
  static final Catalog CATALOG = Catalog.load("us-east-1");
  static final Oracle ORACLE =
      new Oracle(
          null,
          new Scheduler(Scheduler.Options.defaults().withImproveBudget(Duration.ofMillis(200))),
          CATALOG.instanceTypes());

  static Requirement req(String key, String op, String... values) {
    return Requirement.of(key, op, List.of(values));
  }

  static SchedulingNodePool general() {
    return SchedulingNodePool.of(
        "general",
        90,
        Requirements.of(
            req(Labels.INSTANCE_CATEGORY, "In", "m", "c", "r"),
            req(Labels.INSTANCE_GENERATION, "Gt", "4"),
            req(Labels.CAPACITY_TYPE, "In", "on-demand"),
            req(Labels.ARCH, "In", "amd64")),
        CATALOG.instanceTypes());
  }

  static Pod pod(String name, String cpu, String mem) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("oracle")
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity(mem))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  static NodeSelectorTerm term(String key, String op, String... values) {
    return new NodeSelectorTermBuilder()
        .addToMatchExpressions(
            new NodeSelectorRequirementBuilder()
                .withKey(key)
                .withOperator(op)
                .withValues(values)
                .build())
        .build();
  }

  static Pod require(Pod p, NodeSelectorTerm... terms) {
    return new PodBuilder(p)
        .editSpec()
        .editOrNewAffinity()
        .editOrNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .withNodeSelectorTerms(terms)
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endNodeAffinity()
        .endAffinity()
        .endSpec()
        .build();
  }

  static Pod prefer(Pod p, String key, String value) {
    return new PodBuilder(p)
        .editSpec()
        .editOrNewAffinity()
        .editOrNewNodeAffinity()
        .addToPreferredDuringSchedulingIgnoredDuringExecution(
            new PreferredSchedulingTermBuilder()
                .withWeight(3)
                .withPreference(term(key, "In", value))
                .build())
        .endNodeAffinity()
        .endAffinity()
        .endSpec()
        .build();
  }

  static Oracle.Outcome run(List<SchedulingNodePool> pools, List<Pod> pods) {
    return ORACLE.run(new Workload(0, "r", pools, List.of(), List.of(), pods), false);
  }

  /**
   * Seed 2: a pod whose preference (family g5) no option of the pool has joins another pod's claim;
   * the preference ends up as the claim's requirement and label while its options are c6a/c5a/...
   * In a cluster the node would be labelled instance-family=g5 by nobody.
   */
  @Test
  void relaxedPreferenceOfAJoiningPodLeavesNoRequirement() {
    Pod first = pod("app0", "4", "4Gi");
    Pod second =
        prefer(
            require(
                pod("app1", "3", "8Gi"),
                new NodeSelectorTermBuilder()
                    .addToMatchExpressions(
                        new NodeSelectorRequirementBuilder()
                            .withKey(Labels.INSTANCE_CPU)
                            .withOperator("Gt")
                            .withValues("3")
                            .build(),
                        new NodeSelectorRequirementBuilder()
                            .withKey(Labels.INSTANCE_CPU)
                            .withOperator("Lt")
                            .withValues("17")
                            .build())
                    .build()),
            Labels.INSTANCE_FAMILY,
            "g5");
    Oracle.Outcome o = run(List.of(general()), List.of(first, second));
    assertEquals(List.of(), o.violations());
    for (NodeClaimPlan c : o.plan().nodeClaims()) {
      assertFalse("g5".equals(c.labels().get(Labels.INSTANCE_FAMILY)), c::toString);
    }
  }

  /**
   * Seed 5: a pod with two OR-ed required terms, neither of which the arm pool (zones b and c) can
   * meet ([m6i, m7i] are amd64; [c6g, c7g] only in zone a), is planned anyway onto another pod's
   * claim whose requirements say family In [m6i, m7i] while its options are m6g/m7g/c6g...
   */
  @Test
  void podWhoseOredTermsNoOptionMeetsIsUnschedulable() {
    SchedulingNodePool arm =
        SchedulingNodePool.of(
                "arm",
                100,
                Requirements.of(
                    req(Labels.INSTANCE_CATEGORY, "In", "m", "c"),
                    req(Labels.ARCH, "In", "arm64"),
                    req(Labels.ZONE, "In", "us-east-1b", "us-east-1c")),
                CATALOG.instanceTypes())
            .withLabels(Map.of("team", "ml"));
    Pod plain = pod("app1", "1", "2Gi");
    NodeSelectorTerm second =
        new NodeSelectorTermBuilder(term(Labels.INSTANCE_FAMILY, "In", "c6g", "c7g"))
            .addToMatchExpressions(
                new NodeSelectorRequirementBuilder()
                    .withKey(Labels.ZONE)
                    .withOperator("In")
                    .withValues("us-east-1a")
                    .build())
            .build();
    Pod ored =
        require(
            pod("app2", "250m", "8Gi"), term(Labels.INSTANCE_FAMILY, "In", "m6i", "m7i"), second);
    Oracle.Outcome o = run(List.of(arm), List.of(plain, ored));
    assertEquals(List.of(), o.violations());
    assertTrue(o.plan().unschedulable().containsKey("oracle/app2"), o.plan()::toString);
  }

  static NodeSelectorTerm armTermInZone(String zone) {
    return new NodeSelectorTermBuilder(term(Labels.INSTANCE_FAMILY, "In", "c6g", "c7g"))
        .addToMatchExpressions(
            new NodeSelectorRequirementBuilder()
                .withKey(Labels.ZONE)
                .withOperator("In")
                .withValues(zone)
                .build())
        .build();
  }

  /**
   * Seed 468 (and 507): a pod whose first OR-ed term ([m6i, m7i]) fits the amd64 pool only once its
   * preference (family r6i) is relaxed, and whose second term (arm64 families) never fits. Relaxing
   * the required term for good before any preference (Karpenter's order) called it unschedulable;
   * kube-scheduler binds it to an m6i.large.
   */
  @Test
  void firstOredTermIsTriedAgainOnceThePreferenceIsRelaxed() {
    Pod ored =
        prefer(
            require(
                pod("app5", "500m", "2Gi"),
                term(Labels.INSTANCE_FAMILY, "In", "m6i", "m7i"),
                armTermInZone("us-east-1a")),
            Labels.INSTANCE_FAMILY,
            "r6i");
    Oracle.Outcome o = run(List.of(general()), List.of(ored));
    assertEquals(List.of(), o.violations());
    assertEquals(Map.of(), o.plan().unschedulable());
    NodeClaimPlan c = o.plan().nodeClaims().get(0);
    for (String t : c.instanceTypeOptions()) {
      assertTrue(t.startsWith("m6i.") || t.startsWith("m7i."), c::toString);
    }
  }

  /**
   * Seed 410 as generated (5 pools, 3 existing nodes, 5 groups): zone-spread pods with OR-ed terms
   * ([m6i, m7i] or [c6g, c7g] in zone b) ended in zone b beside the group's other pods, counts a=1,
   * b=3, c=1 under maxSkew 1. kube-scheduler counts every zone a node matching any of the pod's
   * terms could be in (nodeAffinityPolicy Honor); only the zones of the term being tried were
   * counted. (The same 5 pods on a hand-built pool no longer reproduce it: the seed's pools and
   * existing nodes are part of the path, so the generated seed is the test.)
   */
  @Test
  void seed410SpreadCountsTheZonesOfEveryOredTerm() {
    Workload w = new WorkloadGenerator(CATALOG).generate(410, "r410");
    Oracle.Outcome o = ORACLE.run(w, false);
    assertEquals(List.of(), o.violations());
  }

  /** Seed 507 as generated: the same OR-term class as seed 468. */
  @Test
  void seed507OredTermPodsAreScheduled() {
    Workload w = new WorkloadGenerator(CATALOG).generate(507, "r507");
    Oracle.Outcome o = ORACLE.run(w, false);
    assertEquals(List.of(), o.violations());
  }

  /** The same pod alone: correctly unschedulable (the defect is in joining a claim). */
  @Test
  void podWhoseOredTermsNoOptionMeetsIsUnschedulableAlone() {
    SchedulingNodePool arm =
        SchedulingNodePool.of(
            "arm",
            100,
            Requirements.of(
                req(Labels.ARCH, "In", "arm64"),
                req(Labels.ZONE, "In", "us-east-1b", "us-east-1c")),
            CATALOG.instanceTypes());
    Pod ored =
        require(pod("app2", "250m", "8Gi"), term(Labels.INSTANCE_FAMILY, "In", "m6i", "m7i"));
    Oracle.Outcome o = run(List.of(arm), List.of(ored));
    assertEquals(List.of(), o.violations());
    assertTrue(o.plan().unschedulable().containsKey("oracle/app2"));
  }

  /**
   * Seed 15: a plain pod and a pod with {@code nodeSelector kubernetes.io/arch: arm64} share a
   * claim whose requirements say arm64 while its options include amd64 types (m7a.medium...): the
   * joining pod's requirement does not narrow the options.
   */
  @Test
  void joiningPodsNodeSelectorNarrowsTheClaimsOptions() {
    SchedulingNodePool general =
        SchedulingNodePool.of(
            "general",
            50,
            Requirements.of(
                req(Labels.INSTANCE_CATEGORY, "In", "r", "m", "c"),
                req(Labels.INSTANCE_GENERATION, "Gt", "4"),
                req(Labels.CAPACITY_TYPE, "In", "spot", "on-demand"),
                req(Labels.ARCH, "In", "amd64", "arm64")),
            CATALOG.instanceTypes());
    Pod plain =
        new PodBuilder(pod("app1", "500m", "1Gi"))
            .editSpec()
            .addNewToleration()
            .withOperator("Exists")
            .endToleration()
            .endSpec()
            .build();
    Pod arm =
        new PodBuilder(pod("app4", "250m", "512Mi"))
            .editSpec()
            .addToNodeSelector(Labels.ARCH, "arm64")
            .endSpec()
            .build();
    Oracle.Outcome o = run(List.of(general), List.of(plain, arm));
    assertEquals(List.of(), o.violations());
  }

  /**
   * Seed 347: {@code limits: {cpu: 64, nodes: 3}} with 16 vCPU in use, two pods with the same host
   * port. The first gets a 1-vCPU claim whose largest option is far below the 48 vCPU left, yet the
   * second is refused for "limit cpu=64 would be exceeded"; kube-scheduler binds it to a c6g.medium
   * of that pool.
   */
  @Test
  void limitsLeaveRoomForASecondSmallNode() {
    SchedulingNodePool general =
        SchedulingNodePool.of(
                "general",
                80,
                Requirements.of(
                    req(Labels.INSTANCE_CATEGORY, "In", "r", "c", "m"),
                    req(Labels.INSTANCE_GENERATION, "Gt", "4"),
                    req(Labels.CAPACITY_TYPE, "In", "on-demand", "spot"),
                    req(Labels.ARCH, "In", "arm64", "amd64"),
                    req(Labels.ZONE, "In", "us-east-1a", "us-east-1c")),
                CATALOG.instanceTypes())
            .withLimits(dev.karpenter.scheduling.Resources.parse(Map.of("cpu", "64", "nodes", "3")))
            .withUsage(
                dev.karpenter.scheduling.Resources.parse(
                    Map.of("cpu", "16", "memory", "121241Mi")));
    List<Pod> pods = new java.util.ArrayList<>();
    for (String name : List.of("app5-1", "app5-2")) {
      pods.add(
          new PodBuilder(pod(name, "500m", "1Gi"))
              .editSpec()
              .editFirstContainer()
              .addNewPort()
              .withContainerPort(8080)
              .withHostPort(8080)
              .endPort()
              .endContainer()
              .endSpec()
              .build());
    }
    Oracle.Outcome o = run(List.of(general), pods);
    assertEquals(Map.of(), o.plan().unschedulable());
    assertEquals(List.of(), o.violations());
  }
}
