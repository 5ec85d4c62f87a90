package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Upstream suite_test.go, Describe("Custom Constraints"). */
class CustomConstraintsTest {
  static SchedulingNodePool labelled() {
    return cpu().withLabels(Map.of("team", "ml"));
  }

  static SchedulingNodePool zones(String... z) {
    return pool("default", 0, cpuTypes(), req(ZONE, "In", z));
  }

  @Nested
  class NodePoolWithLabels {
    @Test
    void unconstrainedPodGetsThePoolsLabels() {
      NodeClaimPlan c = only(solve(List.of(pod("p").cpu("1").build()), labelled()));
      assertEquals("ml", c.labels().get("team"));
    }

    @Test
    void conflictingNodeSelectorIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").selector("team", "web").build()), labelled()), "p");
    }

    @Test
    void nodeSelectorWithUndefinedKeyIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").selector("other", "x").build()), labelled()), "p");
    }

    @Test
    void matchingRequirementSchedules() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").require("team", "In", "ml", "web").build()), labelled()));
      assertEquals("ml", c.labels().get("team"));
    }

    @Test
    void conflictingRequirementIsUnschedulable() {
      unschedulable(
          solve(List.of(pod("p").require("team", "NotIn", "ml").build()), labelled()), "p");
    }
  }

  @Nested
  class WellKnownLabels {
    @Test
    void nodePoolConstraintsAreUsed() {
      assertEquals(B, only(solve(List.of(pod("p").build()), zones(B))).zone());
    }

    @Test
    void nodeSelectorsAreUsed() {
      var r = solve(List.of(pod("p").selector(ZONE, B).build()), zones(A, B));
      assertEquals(B, only(r).zone());
    }

    @Test
    void hostnameSelectorIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").selector(HOSTNAME, "red-node").build()), cpu()), "p");
    }

    @Test
    void unknownZoneSelectorIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").selector(ZONE, "unknown").build()), cpu()), "p");
    }

    @Test
    void selectorOutsideNodePoolConstraintsIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").selector(ZONE, B).build()), zones(A)), "p");
    }

    @Test
    void inRequirement() {
      assertEquals(C, only(solve(List.of(pod("p").require(ZONE, "In", C).build()), cpu())).zone());
    }

    @Test
    void gtRequirement() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").requireOp(CPU_LABEL, "Gt", "8").build()), cpu()));
      everyOption(c, "more than 8 vCPU", t -> Integer.parseInt(t.labels().get(CPU_LABEL)) > 8);
    }

    @Test
    void ltRequirement() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").requireOp(CPU_LABEL, "Lt", "3").build()), cpu()));
      everyOption(c, "less than 3 vCPU", t -> Integer.parseInt(t.labels().get(CPU_LABEL)) < 3);
    }

    @Test
    void gteRequirement() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").requireOp(CPU_LABEL, "Gte", "8").build()), cpu()));
      everyOption(c, "at least 8 vCPU", t -> Integer.parseInt(t.labels().get(CPU_LABEL)) >= 8);
      assertTrue(c.instanceTypeOptions().contains("m5.2xlarge"));
    }

    @Test
    void lteRequirement() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").requireOp(CPU_LABEL, "Lte", "4").build()), cpu()));
      everyOption(c, "at most 4 vCPU", t -> Integer.parseInt(t.labels().get(CPU_LABEL)) <= 4);
      assertTrue(c.instanceTypeOptions().contains("m5.xlarge"));
    }

    @Test
    void incompatibleInRequirementWithPreferenceIsUnschedulable() {
      var p = pod("p").require(ZONE, "In", "unknown").prefer(1, ZONE, "In", B).build();
      unschedulable(solve(List.of(p), cpu()), "p");
    }

    @Test
    void notInRequirement() {
      var r = solve(List.of(pod("p").require(ZONE, "NotIn", A, B).build()), cpu());
      assertEquals(C, only(r).zone());
    }

    @Test
    void notInEveryZoneIsUnschedulable() {
      var p = pod("p").require(ZONE, "NotIn", A, B, C).prefer(1, ZONE, "In", B).build();
      unschedulable(solve(List.of(p), cpu()), "p");
    }

    @Test
    void compatiblePreferenceAndInRequirement() {
      var p = pod("p").require(ZONE, "In", A, B, "unknown").prefer(1, ZONE, "In", B).build();
      assertEquals(B, only(solve(List.of(p), cpu())).zone());
    }

    @Test
    void incompatiblePreferenceIsRelaxedForInRequirement() {
      var p = pod("p").require(ZONE, "In", A, "unknown").prefer(1, ZONE, "In", B).build();
      assertEquals(A, only(solve(List.of(p), cpu())).zone());
    }

    @Test
    void compatiblePreferenceAndNotInRequirement() {
      var p = pod("p").require(ZONE, "NotIn", A).prefer(1, ZONE, "NotIn", B).build();
      assertEquals(C, only(solve(List.of(p), cpu())).zone());
    }

    @Test
    void incompatiblePreferenceIsRelaxedForNotInRequirement() {
      var p = pod("p").require(ZONE, "NotIn", C).prefer(1, ZONE, "NotIn", A, B).build();
      assertTrue(Set.of(A, B).contains(only(solve(List.of(p), cpu())).zone()));
    }

    @Test
    void compatibleSelectorPreferenceAndRequirement() {
      var p = pod("p").selector(ZONE, C).require(ZONE, "In", B, C).prefer(1, ZONE, "In", C).build();
      assertEquals(C, only(solve(List.of(p), cpu())).zone());
    }

    @Test
    void multidimensionalSelectorPreferenceAndRequirement() {
      var p =
          pod("p")
              .selector(ZONE, C)
              .requireTerms(
                  List.of(req(ZONE, "In", B, C), req(TYPE, "In", "m5.large", "m5.xlarge")))
              .prefer(1, TYPE, "In", "m5.xlarge")
              .build();
      NodeClaimPlan c = only(solve(List.of(p), cpu()));
      assertEquals(C, c.zone());
      assertEquals("m5.xlarge", c.instanceType());
      everyOption(c, "m5.xlarge", t -> t.name().equals("m5.xlarge"));
    }
  }

  @Nested
  class ConstraintsValidation {
    @Test
    void restrictedDomainSelectorIsUnschedulable() {
      unschedulable(
          solve(List.of(pod("p").selector("karpenter.sh/custom", "x").build()), cpu()), "p");
    }

    @Test
    void kubernetesDomainLabelDefinedByThePoolSchedules() {
      var pool = cpu().withLabels(Map.of("node-restriction.kubernetes.io/team", "ml"));
      var r =
          solve(
              List.of(pod("p").selector("node-restriction.kubernetes.io/team", "ml").build()),
              pool);
      assertEquals("ml", only(r).labels().get("node-restriction.kubernetes.io/team"));
    }

    @Test
    void wellKnownLabelSelectorSchedules() {
      var r = solve(List.of(pod("p").selector(ARCH, "arm64").build()), cpu());
      everyOption(only(r), "arm64", t -> t.labels().get(ARCH).equals("arm64"));
    }
  }

  @Nested
  class SchedulingLogic {
    @Test
    void inOnUndefinedKeyIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").require("test-key", "In", "v").build()), cpu()), "p");
    }

    @Test
    void notInOnUndefinedKeySchedules() {
      only(solve(List.of(pod("p").require("test-key", "NotIn", "v").build()), cpu()));
    }

    @Test
    void existsOnUndefinedKeyIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").require("test-key", "Exists").build()), cpu()), "p");
    }

    @Test
    void doesNotExistOnUndefinedKeySchedules() {
      only(solve(List.of(pod("p").require("test-key", "DoesNotExist").build()), cpu()));
    }

    @Test
    void existsOnDefinedKeySchedules() {
      only(solve(List.of(pod("p").require("team", "Exists").build()), labelled()));
    }

    @Test
    void doesNotExistOnDefinedKeyIsUnschedulable() {
      unschedulable(
          solve(List.of(pod("p").require("team", "DoesNotExist").build()), labelled()), "p");
    }

    @Test
    void differentValueWithInIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").require("team", "In", "web").build()), labelled()), "p");
    }

    @Test
    void differentValueWithNotInSchedules() {
      only(solve(List.of(pod("p").require("team", "NotIn", "web").build()), labelled()));
    }

    @Test
    void compatiblePodsShareANode() {
      var r =
          solve(
              List.of(
                  pod("a").cpu("100m").require(ZONE, "In", A, B).build(),
                  pod("b").cpu("100m").require(ZONE, "In", B).build()),
              cpu());
      assertEquals(B, only(r).zone());
    }

    @Test
    void incompatiblePodsGetDifferentNodes() {
      var r =
          solve(
              List.of(
                  pod("a").cpu("100m").require(ZONE, "In", A).build(),
                  pod("b").cpu("100m").require(ZONE, "In", B).build()),
              cpu());
      assertEquals(2, r.nodeClaims().size());
      assertEquals(Set.of(A, B), zonesOf(r));
    }

    @Test
    void existsDoesNotOverwriteTheRequiredValue() {
      var pool = pool("default", 0, cpuTypes(), req("team", "In", "ml"));
      NodeClaimPlan c = only(solve(List.of(pod("p").require("team", "Exists").build()), pool));
      assertEquals("ml", c.labels().get("team"));
    }
  }
}
