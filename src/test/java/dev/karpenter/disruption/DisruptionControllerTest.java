package dev.karpenter.disruption;

import static org.assertj.core.api.Assertions.assertThat;

import dev.karpenter.disruption.decision.Decision;
import dev.karpenter.disruption.decision.DisruptionPlan;
import dev.karpenter.disruption.decision.Method;
import dev.karpenter.disruption.decision.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The validation rule a consolidation command must pass after the delay. */
class DisruptionControllerTest {
  static Decision replace(Method m, List<String> nodes, double replacementPrice) {
    return new Decision(
        m,
        Reason.Underutilized,
        nodes,
        List.of(
            new Decision.Replacement("p", "m5.large", "on-demand", "a", replacementPrice, null)),
        0.192 * nodes.size() - replacementPrice);
  }

  static Decision empty(List<String> nodes) {
    return new Decision(Method.Emptiness, Reason.Empty, nodes, List.of(), 0.1 * nodes.size());
  }

  static DisruptionPlan plan(Decision... decisions) {
    return new DisruptionPlan(List.of(decisions), List.of(), List.of(), null, 0);
  }

  @Test
  void theSameCommandAgainPassesWithTheFreshReplacements() {
    Decision first = replace(Method.SingleNodeConsolidation, List.of("a"), 0.096);
    Decision again = replace(Method.SingleNodeConsolidation, List.of("a"), 0.085);
    assertThat(DisruptionController.validate(first, plan(again))).isSameAs(again);
  }

  @Test
  void aMoreExpensiveReplacementFails() {
    Decision first = replace(Method.SingleNodeConsolidation, List.of("a"), 0.085);
    Decision again = replace(Method.SingleNodeConsolidation, List.of("a"), 0.096);
    assertThat(DisruptionController.validate(first, plan(again))).isNull();
  }

  @Test
  void anotherMethodOrOtherNodesFail() {
    Decision first = replace(Method.SingleNodeConsolidation, List.of("a"), 0.085);
    assertThat(
            DisruptionController.validate(
                first, plan(replace(Method.MultiNodeConsolidation, List.of("a", "b"), 0.085))))
        .isNull();
    assertThat(
            DisruptionController.validate(
                first, plan(replace(Method.SingleNodeConsolidation, List.of("b"), 0.085))))
        .isNull();
    assertThat(DisruptionController.validate(first, plan())).isNull();
  }

  @Test
  void emptinessKeepsItsNodesWhenMoreBecameEmpty() {
    Decision first = empty(List.of("a"));
    assertThat(DisruptionController.validate(first, plan(empty(List.of("a", "b")))))
        .isSameAs(first);
    assertThat(DisruptionController.validate(first, plan(empty(List.of("b"))))).isNull();
  }

  @Test
  void aLargerMultiNodeSetIsDecidedAgainNextPass() {
    Decision first = replace(Method.MultiNodeConsolidation, List.of("a", "b"), 0.096);
    Decision again = replace(Method.MultiNodeConsolidation, List.of("a", "b", "c"), 0.096);
    assertThat(DisruptionController.validate(first, plan(again))).isNull();
  }

  @Test
  void forcefulExpirationsInThePlanAreNotTheGracefulCommand() {
    Decision expired = new Decision(Method.Expiration, Reason.Expired, List.of("x"), List.of(), 0);
    Decision first = empty(List.of("a"));
    assertThat(DisruptionController.validate(first, plan(expired, empty(List.of("a")))))
        .isNotNull();
    assertThat(plan(expired).graceful()).isNull();
  }
}
