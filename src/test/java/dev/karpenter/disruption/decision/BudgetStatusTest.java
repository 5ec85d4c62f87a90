package dev.karpenter.disruption.decision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.karpenter.api.v1.NodePool;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The DisruptionBudgetsInForce condition's text for the guide's budgets, across windows. */
class BudgetStatusTest {
  static final Duration HORIZON = Duration.ofDays(8);

  static NodePool pool(String budgets) {
    return DisruptionFixtures.nodePool(
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: gpu}
        spec:
          template:
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
          disruption:
            consolidationPolicy: WhenEmptyOrUnderutilized
            consolidateAfter: 1m
        %s
        """
            .formatted(budgets));
  }

  static final NodePool BUSINESS_HOURS =
      pool(
          """
              budgets:
                - nodes: '1'
                - nodes: '0'
                  schedule: '0 9 * * MON-FRI'
                  duration: 10h
          """);

  static final NodePool TRAINING =
      pool(
          """
              budgets:
                - nodes: '0'
                  schedule: '0 0 * * *'
                  duration: 23h
                - nodes: '1'
                  schedule: '0 23 * * *'
                  duration: 1h
                - nodes: '1'
                  reasons: ['Drifted']
          """);

  static BudgetStatus at(NodePool p, int nodes, String iso) {
    return BudgetStatus.of(p, nodes, Instant.parse(iso), HORIZON);
  }

  @Test
  void businessHoursFreezeIsShownWithItsEnd() {
    // Wednesday before the window.
    BudgetStatus before = at(BUSINESS_HOURS, 4, "2026-12-02T08:00:00Z");
    assertThat(before.reason()).isEqualTo("DisruptionsAllowed");
    assertThat(before.message())
        .isEqualTo(
            "4 nodes; Empty: 1 allowed (budgets[0] nodes=1) until 2026-12-02T09:00:00Z;"
                + " Drifted: 1 allowed (budgets[0] nodes=1) until 2026-12-02T09:00:00Z;"
                + " Underutilized: 1 allowed (budgets[0] nodes=1) until 2026-12-02T09:00:00Z");
    assertThat(before.nextChange()).contains(Instant.parse("2026-12-02T09:00:00Z"));

    BudgetStatus inside = at(BUSINESS_HOURS, 4, "2026-12-02T09:00:00Z");
    assertThat(inside.reason()).isEqualTo("DisruptionsBlocked");
    assertThat(inside.lines().get(0).describe())
        .isEqualTo(
            "Empty: 0 allowed (budgets[1] nodes=0 schedule='0 9 * * MON-FRI' duration=10h)"
                + " until 2026-12-02T19:00:00Z");
    assertThat(inside.nextChange()).contains(Instant.parse("2026-12-02T19:00:00Z"));

    // Friday evening: allowed over the weekend, until Monday 09:00.
    BudgetStatus weekend = at(BUSINESS_HOURS, 4, "2026-12-04T19:00:00Z");
    assertThat(weekend.reason()).isEqualTo("DisruptionsAllowed");
    assertThat(weekend.lines().get(2).describe())
        .isEqualTo("Underutilized: 1 allowed (budgets[0] nodes=1) until 2026-12-07T09:00:00Z");
  }

  @Test
  void trainingBlockHoldsDriftedTooUntilTheMaintenanceWindow() {
    BudgetStatus day = at(TRAINING, 3, "2026-12-02T12:00:00Z");
    assertThat(day.reason()).isEqualTo("DisruptionsBlocked");
    // The separate Drifted budget allows 1, but the block's 0 is more restrictive.
    assertThat(day.lines().get(1).describe())
        .isEqualTo(
            "Drifted: 0 allowed (budgets[0] nodes=0 schedule='0 0 * * *' duration=23h)"
                + " until 2026-12-02T23:00:00Z");
    assertThat(day.nextChange()).contains(Instant.parse("2026-12-02T23:00:00Z"));

    BudgetStatus window = at(TRAINING, 3, "2026-12-02T23:00:00Z");
    assertThat(window.reason()).isEqualTo("DisruptionsAllowed");
    assertThat(window.lines().get(0).describe())
        .isEqualTo(
            "Empty: 1 allowed (budgets[1] nodes=1 schedule='0 23 * * *' duration=1h)"
                + " until 2026-12-03T00:00:00Z");
    assertThat(window.lines().get(1).allowed()).isEqualTo(1);

    BudgetStatus next = at(TRAINING, 3, "2026-12-03T00:00:00Z");
    assertThat(next.reason()).isEqualTo("DisruptionsBlocked");
    assertThat(next.nextChange()).contains(Instant.parse("2026-12-03T23:00:00Z"));
  }

  @Test
  void aBerlinScheduleKeepsLocalTimeAcrossTheDstChange() {
    NodePool berlin =
        pool(
            """
                budgets:
                  - nodes: '1'
                  - nodes: '0'
                    schedule: 'CRON_TZ=Europe/Berlin 0 9 * * MON-FRI'
                    duration: 10h
            """);
    // Friday 26 March 2027, CET (UTC+1): 09:00-19:00 local is 08:00-18:00Z.
    BudgetStatus friday = at(berlin, 2, "2027-03-26T12:00:00Z");
    assertThat(friday.lines().get(0).describe())
        .isEqualTo(
            "Empty: 0 allowed (budgets[1] nodes=0 schedule='CRON_TZ=Europe/Berlin 0 9 * *"
                + " MON-FRI' duration=10h) until 2027-03-26T18:00:00Z");
    // Over the weekend the clocks go forward; Monday's window opens at 09:00 CEST = 07:00Z.
    BudgetStatus weekend = at(berlin, 2, "2027-03-26T18:00:00Z");
    assertThat(weekend.reason()).isEqualTo("DisruptionsAllowed");
    assertThat(weekend.nextChange()).contains(Instant.parse("2027-03-29T07:00:00Z"));
    BudgetStatus monday = at(berlin, 2, "2027-03-29T07:00:00Z");
    assertThat(monday.reason()).isEqualTo("DisruptionsBlocked");
    assertThat(monday.nextChange()).contains(Instant.parse("2027-03-29T17:00:00Z"));
  }

  @Test
  void withoutBudgetsTheDefaultTenPercentRoundsUp() {
    NodePool none = pool("");
    BudgetStatus s = at(none, 25, "2026-12-02T12:00:00Z");
    assertThat(s.message())
        .isEqualTo(
            "25 nodes; Empty: 3 allowed (default budget nodes=10%);"
                + " Drifted: 3 allowed (default budget nodes=10%);"
                + " Underutilized: 3 allowed (default budget nodes=10%)");
    assertThat(s.nextChange()).isEmpty();
    // An empty pool is not "blocked": there is nothing to disrupt.
    assertThat(at(none, 0, "2026-12-02T12:00:00Z").reason()).isEqualTo("DisruptionsAllowed");
  }

  @Test
  void aReasonNoBudgetCoversIsUnlimited() {
    NodePool driftOnly =
        pool(
            """
                budgets:
                  - nodes: '1'
                    reasons: ['Drifted']
            """);
    BudgetStatus s = at(driftOnly, 5, "2026-12-02T12:00:00Z");
    assertThat(s.lines().get(0).describe()).isEqualTo("Empty: 5 allowed (no budget covers Empty)");
    assertThat(s.lines().get(1).describe())
        .isEqualTo("Drifted: 1 allowed (budgets[0] nodes=1 reasons=[Drifted])");
  }

  @Test
  void anInvalidScheduleAllowsNothingAndSaysWhy() {
    NodePool bad =
        pool(
            """
                budgets:
                  - nodes: '1'
                    schedule: '0 25 * * *'
                    duration: 1h
            """);
    BudgetStatus s = at(bad, 2, "2026-12-02T12:00:00Z");
    assertThat(s.reason()).isEqualTo("InvalidBudget");
    assertThat(s.message()).startsWith("budgets[0]: schedule '0 25 * * *'");
    assertThat(s.lines()).allMatch(l -> l.allowed() == 0);
  }
}
