package dev.karpenter.disruption.decision;

import static dev.karpenter.disruption.decision.DisruptionFixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.disruption.decision.DisruptionFixtures.N;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DisruptionEngineTest {
  static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z"); // a Saturday

  static DisruptionPlan plan(Instant now, DisruptionInput in) {
    return new DisruptionEngine(Clock.fixed(now, ZoneOffset.UTC)).plan(in);
  }

  static Map<String, String> blocked(DisruptionPlan p) {
    return p.blocked().stream()
        .collect(Collectors.toMap(DisruptionPlan.Blocked::node, DisruptionPlan.Blocked::reason));
  }

  static final DisruptionPool GPU_WHEN_EMPTY =
      pool(
          "gpu",
          """
          consolidationPolicy: WhenEmpty
          consolidateAfter: 5m
          budgets:
            - nodes: '1'
          """,
          "");

  static final DisruptionPool GENERAL =
      pool(
          "general",
          """
          consolidationPolicy: WhenEmptyOrUnderutilized
          consolidateAfter: 1m
          budgets: [{nodes: "100%"}]
          """,
          "");

  @Test
  void emptyGpuNodeGoesOnlyAfterConsolidateAfter() {
    N gpu = new N("gpu-1", GPU_WHEN_EMPTY).type("g5.xlarge", Labels.ON_DEMAND);
    gpu.lastPodEvent = NOW.minusSeconds(120);
    DisruptionPlan early = plan(NOW, input(List.of(GPU_WHEN_EMPTY), List.of(), gpu.build()));
    assertThat(early.decisions()).isEmpty();
    assertThat(blocked(early).get("gpu-1")).contains("consolidateAfter 5m").contains("3m to go");

    DisruptionPlan later =
        plan(NOW.plusSeconds(180), input(List.of(GPU_WHEN_EMPTY), List.of(), gpu.build()));
    assertThat(later.decisions())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.method()).isEqualTo(Method.Emptiness);
              assertThat(d.reason()).isEqualTo(Reason.Empty);
              assertThat(d.nodes()).containsExactly("gpu-1");
              assertThat(d.replacements()).isEmpty();
              assertThat(d.savingsPerHour()).isEqualTo(price("g5.xlarge", Labels.ON_DEMAND));
            });
  }

  @Test
  void emptinessTakesEveryEmptyNodeWithinTheBudgetAndSaysWhyTheRestWait() {
    N a = new N("gpu-a", GPU_WHEN_EMPTY).type("g5.xlarge", Labels.ON_DEMAND);
    N b = new N("gpu-b", GPU_WHEN_EMPTY).type("g5.2xlarge", Labels.ON_DEMAND);
    DisruptionPlan p = plan(NOW, input(List.of(GPU_WHEN_EMPTY), List.of(), a.build(), b.build()));
    // budget nodes: '1' -> the pricier one goes first.
    assertThat(p.decisions())
        .singleElement()
        .satisfies(d -> assertThat(d.nodes()).containsExactly("gpu-b"));
    assertThat(blocked(p).get("gpu-a")).startsWith("budget: NodePool gpu allows no more Empty");
  }

  @Test
  void whenEmptyNeverConsolidatesANodeWithPods() {
    N gpu = new N("gpu-1", GPU_WHEN_EMPTY).type("g5.12xlarge", Labels.ON_DEMAND);
    gpu.pods(pod("infer-0", "500m", "1Gi"));
    DisruptionPlan p = plan(NOW, input(List.of(GPU_WHEN_EMPTY), List.of(), gpu.build()));
    assertThat(p.decisions()).isEmpty();
    assertThat(blocked(p).get("gpu-1")).contains("WhenEmpty").contains("1 pods");
  }

  @Test
  void underutilizedNodesAreReplacedByOneCheaperNodeThatHoldsTheirPods() {
    N a = new N("a", GENERAL).type("m5.4xlarge", Labels.ON_DEMAND).pods(pod("web-0", "1", "2Gi"));
    N b = new N("b", GENERAL).type("m5.4xlarge", Labels.ON_DEMAND).pods(pod("web-1", "1", "2Gi"));
    DisruptionPlan p = plan(NOW, input(List.of(GENERAL), List.of(), a.build(), b.build()));
    Decision d = p.decisions().get(0);
    assertThat(p.decisions()).hasSize(1);
    assertThat(d.method()).isEqualTo(Method.MultiNodeConsolidation);
    assertThat(d.reason()).isEqualTo(Reason.Underutilized);
    assertThat(d.nodes()).containsExactlyInAnyOrder("a", "b");
    assertThat(d.replacements()).hasSize(1);
    Decision.Replacement r = d.replacements().get(0);
    double removed = 2 * price("m5.4xlarge", Labels.ON_DEMAND);
    assertThat(r.pricePerHour()).isLessThan(removed);
    assertThat(d.savingsPerHour()).isCloseTo(removed - r.pricePerHour(), within());
    // Oracle: the replacement type really holds both pods, and nothing in the catalog that holds
    // them (2 CPU, 4Gi) under the pool's requirements is much cheaper than what was chosen.
    InstanceType t = type(r.instanceType());
    Resources need = Resources.parse(Map.of("cpu", "2", "memory", "4Gi"));
    assertThat(t.allocatable().fits(need)).isTrue();
    double cheapest = cheapestFitting(need);
    assertThat(r.pricePerHour()).isLessThanOrEqualTo(cheapest * 1.5);
  }

  static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }

  static double cheapestFitting(Resources need) {
    double best = Double.MAX_VALUE;
    for (InstanceType t : TYPES) {
      String cat = t.labels().get(Labels.INSTANCE_CATEGORY);
      if (!List.of("c", "m", "r", "g").contains(cat)
          || !"amd64".equals(t.labels().get(Labels.ARCH))
          || !t.allocatable().fits(need)) {
        continue;
      }
      for (var o : t.offerings()) {
        if (o.available()) {
          best = Math.min(best, o.price());
        }
      }
    }
    return best;
  }

  @Test
  void aSingleOversizedNodeIsReplacedWithACheaperOne() {
    N big =
        new N("big", GENERAL).type("m5.8xlarge", Labels.ON_DEMAND).pods(pod("api-0", "1", "1Gi"));
    DisruptionPlan p = plan(NOW, input(List.of(GENERAL), List.of(), big.build()));
    Decision d = p.decisions().get(0);
    assertThat(d.method()).isEqualTo(Method.SingleNodeConsolidation);
    assertThat(d.replacements())
        .singleElement()
        .satisfies(
            r -> assertThat(r.pricePerHour()).isLessThan(price("m5.8xlarge", Labels.ON_DEMAND)));
  }

  @Test
  void aNodeWhosePodsFitOnAnotherIsDeletedWithoutReplacement() {
    DisruptionPool sized =
        pool(
            "sized",
            """
            consolidationPolicy: WhenEmptyOrUnderutilized
            consolidateAfter: 0s
            budgets: [{nodes: "100%"}]
            """,
            """
            - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge]}
            - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}""");
    N full = new N("full", sized).type("m5.xlarge", Labels.ON_DEMAND).pods(pod("db-0", "3", "4Gi"));
    N small =
        new N("small", sized)
            .type("m5.large", Labels.ON_DEMAND)
            .pods(pod("api-0", "500m", "512Mi"));
    DisruptionPlan p = plan(NOW, input(List.of(sized), List.of(), full.build(), small.build()));
    // Replacing both needs an m5.xlarge, the type being removed: multi-node refuses that; the
    // full node cannot shrink; the small node's pod fits on the full one.
    Decision d = p.decisions().get(0);
    assertThat(d.method()).isEqualTo(Method.SingleNodeConsolidation);
    assertThat(d.nodes()).containsExactly("small");
    assertThat(d.replacements()).isEmpty();
    assertThat(d.savingsPerHour()).isEqualTo(price("m5.large", Labels.ON_DEMAND));
    assertThat(blocked(p).get("full")).startsWith("Unconsolidatable: pods do not fit elsewhere");
  }

  @Test
  void doNotDisruptRunningJobAndPdbsEachBlockConsolidationAndSayWhich() {
    N dnd =
        new N("dnd", GENERAL)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(annotated(pod("train-0", "1", "1Gi"), PodBlockers.DO_NOT_DISRUPT, "true"));
    N dndExpired =
        new N("dnd-expired", GENERAL)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(annotated(pod("warm-0", "1", "1Gi"), PodBlockers.DO_NOT_DISRUPT, "1h"));
    N job =
        new N("job", GENERAL)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(ownedBy(pod("batch-0", "1", "1Gi"), "Job", "nightly"));
    N pdb =
        new N("pdb", GENERAL)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(ownedBy(pod("infer-0", "1", "1Gi"), "ReplicaSet", "infer-abc"));
    N two =
        new N("two", GENERAL)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(pod("shared-0", "1", "1Gi"));
    var pdbs =
        List.of(pdb("infer", "infer", 2, 0), pdb("s1", "shared", 1, 1), pdb("s2", "shared", 1, 1));
    DisruptionPlan p =
        plan(
            NOW,
            input(
                List.of(GENERAL),
                pdbs,
                dnd.build(),
                dndExpired.build(),
                job.build(),
                pdb.build(),
                two.build()));
    Map<String, String> why = blocked(p);
    assertThat(why.get("dnd"))
        .isEqualTo("pod default/train-0 has karpenter.sh/do-not-disrupt=true");
    assertThat(why.get("job")).isEqualTo("pod default/batch-0 belongs to running Job nightly");
    assertThat(why.get("pdb"))
        .isEqualTo("PDB default/infer allows no disruption of pod default/infer-0");
    assertThat(why.get("two")).contains("under 2 PDBs (s1, s2)");
    // The 1h do-not-disrupt (pod created 2026-12-01) has expired: that node is consolidated.
    assertThat(p.decisions())
        .singleElement()
        .satisfies(d -> assertThat(d.nodes()).containsExactly("dnd-expired"));
  }

  @Test
  void aNodePoolCanOptOutOfRunningJobProtectionAndOptInToASelector() {
    DisruptionPool optOut =
        pool(
            """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: batch
          annotations:
            disruption.karpenter.dev/protect-running-jobs: "false"
            disruption.karpenter.dev/protected-pods: "app=trainer"
        spec:
          template:
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              requirements:
                - {key: kubernetes.io/arch, operator: In, values: [amd64]}
                - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
          disruption:
            consolidationPolicy: WhenEmptyOrUnderutilized
            consolidateAfter: 0s
            budgets: [{nodes: "100%"}]
        """);
    N job =
        new N("job", optOut)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(ownedBy(pod("batch-0", "1", "1Gi"), "Job", "nightly"));
    N trainer =
        new N("trainer", optOut)
            .type("m5.4xlarge", Labels.ON_DEMAND)
            .pods(pod("trainer-0", "1", "1Gi"));
    DisruptionPlan p = plan(NOW, input(List.of(optOut), List.of(), job.build(), trainer.build()));
    assertThat(blocked(p).get("trainer")).contains("protected-pods");
    assertThat(p.decisions())
        .singleElement()
        .satisfies(d -> assertThat(d.nodes()).containsExactly("job"));
  }

  @Test
  void driftReplacesOneNodeAtATimeUnderADriftedBudgetOfOne() {
    DisruptionPool pool =
        pool(
            "inference",
            """
        consolidationPolicy: WhenEmpty
        consolidateAfter: Never
        budgets:
          - nodes: '1'
            reasons: [Drifted]
        """,
            "");
    // Each pod fills most of its node, so neither fits beside the other: drift must replace.
    N a = new N("a", pool).type("m5.xlarge", Labels.ON_DEMAND).pods(pod("svc-0", "3", "1Gi"));
    N b = new N("b", pool).type("m5.xlarge", Labels.ON_DEMAND).pods(pod("svc-1", "3", "1Gi"));
    a.hash = "12345";
    b.hash = "12345";
    b.createdAt = a.createdAt.plusSeconds(60);
    DisruptionPlan p = plan(NOW, input(List.of(pool), List.of(), a.build(), b.build()));
    assertThat(p.decisions())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.method()).isEqualTo(Method.Drift);
              assertThat(d.reason()).isEqualTo(Reason.Drifted);
              assertThat(d.nodes()).containsExactly("a");
              assertThat(d.replacements()).hasSize(1);
            });
    // Next pass: a is being replaced, so the budget of 1 is used up and b waits.
    N aDeleting = new N("a", pool).type("m5.xlarge", Labels.ON_DEMAND);
    aDeleting.deleting = true;
    DisruptionPlan next = plan(NOW, input(List.of(pool), List.of(), aDeleting.build(), b.build()));
    assertThat(next.decisions()).isEmpty();
    assertThat(blocked(next).get("b"))
        .contains("NodePoolDrifted")
        .contains("allows no more Drifted");
  }

  @Test
  void requirementsDriftAndInstanceTypeGoneAreDrift() {
    DisruptionPool pool =
        pool(
            "gpu",
            "consolidateAfter: Never",
            "- {key: karpenter.k8s.aws/instance-family, operator: In, values: [g6]}");
    N g5 = new N("g5", pool).type("g5.xlarge", Labels.ON_DEMAND);
    String why = DisruptionEngine.drift(g5.build(), pool);
    assertThat(why).startsWith("RequirementsDrifted: label karpenter.k8s.aws/instance-family=g5");
    N g6 = new N("g6", pool).type("g6.xlarge", Labels.ON_DEMAND);
    assertThat(DisruptionEngine.drift(g6.build(), pool)).isNull();
    DisruptionPool noG6 =
        new DisruptionPool(
            pool.nodePool(),
            pool.scheduling()
                .withInstanceTypes(
                    TYPES.stream().filter(t -> !t.name().equals("g6.xlarge")).toList()));
    assertThat(DisruptionEngine.drift(g6.build(), noG6)).startsWith("InstanceTypeNotFound");
    g6.providerDrift = "AMIDrift: ami-123 is no longer selected";
    assertThat(DisruptionEngine.drift(g6.build(), pool)).isEqualTo(g6.providerDrift);
  }

  @Test
  void driftHonoursPodBlockersUnlessTheClaimHasATerminationGracePeriod() {
    DisruptionPool pool = pool("p", "consolidateAfter: Never", "");
    N n =
        new N("n", pool)
            .pods(annotated(pod("train-0", "1", "1Gi"), PodBlockers.DO_NOT_DISRUPT, "true"));
    n.hash = "1";
    DisruptionPlan blocked = plan(NOW, input(List.of(pool), List.of(), n.build()));
    assertThat(blocked.decisions()).isEmpty();
    assertThat(blocked(blocked).get("n")).contains("drifted").contains("do-not-disrupt");
    n.tgp = "24h";
    assertThat(plan(NOW, input(List.of(pool), List.of(), n.build())).decisions())
        .singleElement()
        .satisfies(d -> assertThat(d.method()).isEqualTo(Method.Drift));
  }

  @Test
  void expirationIsForcefulAndIgnoresBudgets() {
    DisruptionPool frozen = pool("frozen", "budgets: [{nodes: '0'}]", "");
    N old =
        new N("old", frozen)
            .pods(annotated(pod("x-0", "1", "1Gi"), PodBlockers.DO_NOT_DISRUPT, "true"));
    old.expireAfter = "336h";
    old.createdAt = NOW.minusSeconds(336 * 3600);
    N young = new N("young", frozen);
    young.expireAfter = "336h";
    young.createdAt = NOW.minusSeconds(335 * 3600);
    DisruptionPlan p = plan(NOW, input(List.of(frozen), List.of(), old.build(), young.build()));
    assertThat(p.decisions())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.method()).isEqualTo(Method.Expiration);
              assertThat(d.reason()).isEqualTo(Reason.Expired);
              assertThat(d.nodes()).containsExactly("old");
            });
    assertThat(blocked(p).get("young")).contains("budget").contains("budgets[0] nodes=0");
  }

  @Test
  void businessHoursFreezeBlocksInsideAndAllowsOutsideWithTheNextWindow() {
    DisruptionPool pool =
        pool(
            "gpu-inference",
            """
        consolidationPolicy: WhenEmpty
        consolidateAfter: 5m
        budgets:
          - nodes: '1'
          - nodes: '0'
            schedule: '0 9 * * MON-FRI'
            duration: 10h
        """,
            "");
    N n = new N("gpu-1", pool).type("g5.xlarge", Labels.ON_DEMAND);
    Instant wednesday10 = Instant.parse("2026-12-02T10:00:00Z");
    DisruptionPlan inside = plan(wednesday10, input(List.of(pool), List.of(), n.build()));
    assertThat(inside.decisions()).isEmpty();
    assertThat(blocked(inside).get("gpu-1")).contains("0 9 * * MON-FRI");
    assertThat(inside.nextBudgetWindow()).isEqualTo(Instant.parse("2026-12-02T19:00:00Z"));
    DisruptionPlan outside =
        plan(Instant.parse("2026-12-02T19:30:00Z"), input(List.of(pool), List.of(), n.build()));
    assertThat(outside.decisions())
        .singleElement()
        .satisfies(d -> assertThat(d.nodes()).containsExactly("gpu-1"));
    assertThat(outside.nextBudgetWindow()).isNull();
  }

  @Test
  void spotToSpotNeedsTheGateAndFifteenCheaperTypes() {
    N spot = new N("spot", GENERAL).type("m5.8xlarge", Labels.SPOT).pods(pod("w-0", "1", "1Gi"));
    DisruptionInput in = input(List.of(GENERAL), List.of(), spot.build());
    DisruptionPlan off = plan(NOW, in);
    assertThat(off.decisions()).isEmpty();
    assertThat(blocked(off).get("spot")).contains("SpotToSpotConsolidation");
    DisruptionPlan on =
        new DisruptionEngine(
                Clock.fixed(NOW, ZoneOffset.UTC),
                new dev.karpenter.provisioning.scheduling.Scheduler(),
                DisruptionEngine.Options.defaults().withSpotToSpot(true))
            .plan(in);
    // m5.8xlarge spot is pricey enough that far more than 15 spot types are cheaper.
    assertThat(on.decisions())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.replacements())
                  .singleElement()
                  .satisfies(r -> assertThat(r.capacityType()).isEqualTo(Labels.SPOT));
              assertThat(d.savingsPerHour()).isPositive();
            });
  }

  @Test
  void nominatedUninitializedAndDeletingNodesAreNotCandidates() {
    N nominated = new N("nominated", GENERAL);
    nominated.nominated = true;
    N fresh = new N("fresh", GENERAL);
    fresh.initialized = false;
    N deleting = new N("deleting", GENERAL);
    deleting.deleting = true;
    N annotatedNode = new N("pinned", GENERAL);
    annotatedNode.annotations.put(PodBlockers.DO_NOT_DISRUPT, "true");
    DisruptionPlan p =
        plan(
            NOW,
            input(
                List.of(GENERAL),
                List.of(),
                nominated.build(),
                fresh.build(),
                deleting.build(),
                annotatedNode.build()));
    assertThat(p.decisions()).isEmpty();
    assertThat(p.candidatesConsidered()).isZero();
    assertThat(blocked(p))
        .containsKeys("nominated", "fresh", "pinned")
        .doesNotContainKey("deleting");
    assertThat(blocked(p).get("pinned")).contains("node has karpenter.sh/do-not-disrupt");
  }

  @Test
  void podAntiAffinityKeepsAPodOffTheNodeOfItsPeerSoConsolidationMustReplace() {
    DisruptionPool sized =
        pool(
            "sized",
            """
            consolidationPolicy: WhenEmptyOrUnderutilized
            consolidateAfter: 0s
            budgets: [{nodes: "100%"}]
            """,
            """
            - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.2xlarge]}
            - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}""");
    Pod a = antiAffine(pod("zk-0", "500m", "512Mi"));
    Pod b = antiAffine(pod("zk-1", "500m", "512Mi"));
    N big = new N("big", sized).type("m5.2xlarge", Labels.ON_DEMAND).pods(a);
    N small = new N("small", sized).type("m5.large", Labels.ON_DEMAND).pods(b);
    DisruptionPlan p = plan(NOW, input(List.of(sized), List.of(), big.build(), small.build()));
    // Without the anti-affinity, zk-0 would simply move to "small" and "big" would be deleted.
    // With it, zk-0 cannot share a node with zk-1: "big" is replaced by a cheaper m5.large.
    Decision d = p.decisions().get(0);
    assertThat(d.nodes()).containsExactly("big");
    assertThat(d.replacements())
        .singleElement()
        .satisfies(r -> assertThat(r.instanceType()).isEqualTo("m5.large"));
  }

  static Pod antiAffine(Pod p) {
    return new io.fabric8.kubernetes.api.model.PodBuilder(p)
        .editSpec()
        .withNewAffinity()
        .withNewPodAntiAffinity()
        .addNewRequiredDuringSchedulingIgnoredDuringExecution()
        .withTopologyKey(Labels.HOSTNAME)
        .withNewLabelSelector()
        .withMatchLabels(Map.of("app", "zk"))
        .endLabelSelector()
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endPodAntiAffinity()
        .endAffinity()
        .endSpec()
        .build();
  }

  @SuppressWarnings("unused")
  private static Resources requests(Pod p) {
    return Pods.requests(p.getSpec());
  }
}
