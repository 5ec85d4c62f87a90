package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTermBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Upstream suite_test.go, Describe("Preferential Fallback"). */
class PreferentialFallbackTest {
  @Test
  void requiredFinalTermIsNotRelaxed() {
    var p = pod("p").requireTerms(List.of(req(ZONE, "In", "invalid"))).build();
    unschedulable(solve(List.of(p), cpu()), "p");
  }

  @Test
  void requiredTermsAreTriedInOrder() {
    var p =
        pod("p")
            .requireTerms(List.of(req(ZONE, "In", "invalid")))
            .requireTerms(List.of(req(ZONE, "In", "invalid-2")))
            .requireTerms(List.of(req(ZONE, "In", A)))
            .requireTerms(List.of(req(ZONE, "In", B)))
            .build();
    assertEquals(A, only(solve(List.of(p), cpu())).zone());
  }

  @Test
  void allPreferredTermsAreRelaxed() {
    var p =
        pod("p")
            .prefer(1, ZONE, "In", "invalid")
            .prefer(50, TYPE, "In", "invalid")
            .prefer(100, ZONE, "In", "invalid-2")
            .build();
    only(solve(List.of(p), cpu()));
  }

  @Test
  void heavierPreferencesRelaxFirstLighterOnesAreKept() {
    var p =
        pod("p")
            .prefer(100, ZONE, "In", "invalid")
            .prefer(50, ZONE, "In", B)
            .prefer(1, ZONE, "In", C)
            .build();
    assertEquals(B, only(solve(List.of(p), cpu())).zone());
  }

  @Test
  void preferenceConflictingWithRequirementIsDropped() {
    var p = pod("p").require(ZONE, "In", A).prefer(1, ZONE, "In", B).build();
    assertEquals(A, only(solve(List.of(p), cpu())).zone());
  }

  @Test
  void selfConflictingPreferenceIsDropped() {
    var p = pod("p").build();
    p.getSpec()
        .setAffinity(
            new io.fabric8.kubernetes.api.model.AffinityBuilder()
                .withNewNodeAffinity()
                .addToPreferredDuringSchedulingIgnoredDuringExecution(
                    new PreferredSchedulingTermBuilder()
                        .withWeight(1)
                        .withNewPreference()
                        .withMatchExpressions(
                            new NodeSelectorRequirementBuilder()
                                .withKey(ZONE)
                                .withOperator("In")
                                .withValues(A)
                                .build(),
                            new NodeSelectorRequirementBuilder()
                                .withKey(ZONE)
                                .withOperator("NotIn")
                                .withValues(A)
                                .build())
                        .endPreference()
                        .build())
                .endNodeAffinity()
                .build());
    only(solve(List.of(p), cpu()));
  }

  /** Issue #10: a relaxed preference leaves no trace in the claim's requirements. */
  @Test
  void relaxedPreferenceLeavesNoRequirementOnTheClaim() {
    var p = pod("p").cpu("1").prefer(10, FAMILY, "In", "x9zz").build();
    NodeClaimPlan c = only(solve(List.of(p), cpu()));
    var family = c.requirements().get(FAMILY);
    assertTrue(family == null || family.matches(label(c.instanceType(), FAMILY)), c::toString);
    everyOption(
        c, "allowed by the claim", t -> family == null || family.matches(t.labels().get(FAMILY)));
  }
}
