package dev.karpenter.disruption.decision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.karpenter.api.v1.Budget;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BudgetsTest {
  /** No active budget covers the reason: no limit. */
  static final int UNLIMITED = Integer.MAX_VALUE;

  static Instant at(String iso) {
    return Instant.parse(iso);
  }

  /** The guide's inference pool: at most 1 node, none during weekday business hours (UTC). */
  static final Budgets BUSINESS_HOURS =
      Budgets.of(
          "gpu-inference",
          List.of(
              new Budget("1", null, null, null), new Budget("0", "0 9 * * MON-FRI", "10h", null)));

  /** The guide's training pool: 23h block, 1h maintenance window, separate Drifted budget. */
  static final Budgets TRAINING =
      Budgets.of(
          "gpu-training",
          List.of(
              new Budget("0", "0 0 * * *", "23h", null),
              new Budget("1", "0 23 * * *", "1h", null),
              new Budget("1", null, null, List.of(Budget.Reason.Drifted))));

  @Test
  void businessHoursFreezeBlocksInsideTheWindowAndAllowsOneOutside() {
    // 2026-12-02 is a Wednesday.
    assertThat(BUSINESS_HOURS.verdict(Reason.Empty, 10, at("2026-12-02T08:59:59Z")).nodes())
        .isEqualTo(1);
    Budgets.Verdict inside = BUSINESS_HOURS.verdict(Reason.Empty, 10, at("2026-12-02T09:00:00Z"));
    assertThat(inside.nodes()).isZero();
    assertThat(inside.inForce()).contains("budgets[1]").contains("0 9 * * MON-FRI");
    assertThat(BUSINESS_HOURS.verdict(Reason.Underutilized, 10, at("2026-12-02T18:59:59Z")).nodes())
        .isZero();
    assertThat(BUSINESS_HOURS.verdict(Reason.Underutilized, 10, at("2026-12-02T19:00:00Z")).nodes())
        .isEqualTo(1);
    // Saturday: no freeze.
    assertThat(BUSINESS_HOURS.verdict(Reason.Drifted, 10, at("2026-12-05T12:00:00Z")).nodes())
        .isEqualTo(1);
  }

  @Test
  void nextWindowOpensWhenTheFreezeEnds() {
    assertThat(
            BUSINESS_HOURS.nextWindow(
                Reason.Underutilized, 10, at("2026-12-02T10:30:00Z"), Duration.ofDays(8)))
        .contains(at("2026-12-02T19:00:00Z"));
    assertThat(
            BUSINESS_HOURS.nextWindow(
                Reason.Underutilized, 10, at("2026-12-02T20:00:00Z"), Duration.ofDays(8)))
        .isEmpty();
  }

  @Test
  void trainingBlockOpensOnlyInTheMaintenanceHourButDriftHasItsOwnBudget() {
    assertThat(TRAINING.verdict(Reason.Empty, 4, at("2026-12-02T00:00:00Z")).nodes()).isZero();
    assertThat(TRAINING.verdict(Reason.Empty, 4, at("2026-12-02T22:59:00Z")).nodes()).isZero();
    assertThat(TRAINING.verdict(Reason.Empty, 4, at("2026-12-02T23:00:00Z")).nodes()).isEqualTo(1);
    assertThat(TRAINING.verdict(Reason.Empty, 4, at("2026-12-02T23:59:59Z")).nodes()).isEqualTo(1);
    assertThat(TRAINING.verdict(Reason.Empty, 4, at("2026-12-03T00:00:00Z")).nodes()).isZero();
    // The Drifted-only budget adds a limit of 1; the 23h block still applies to all reasons.
    assertThat(TRAINING.verdict(Reason.Drifted, 4, at("2026-12-02T12:00:00Z")).nodes()).isZero();
    assertThat(TRAINING.verdict(Reason.Drifted, 4, at("2026-12-02T23:30:00Z")).nodes())
        .isEqualTo(1);
    assertThat(TRAINING.nextWindow(Reason.Empty, 4, at("2026-12-02T12:00:00Z"), Duration.ofDays(8)))
        .contains(at("2026-12-02T23:00:00Z"));
  }

  @Test
  void percentagesRoundUpAndTheDefaultIsTenPercent() {
    Budgets defaults = Budgets.of("p", null);
    assertThat(defaults.verdict(Reason.Empty, 25, Instant.EPOCH).nodes()).isEqualTo(3);
    assertThat(defaults.verdict(Reason.Empty, 1, Instant.EPOCH).nodes()).isEqualTo(1);
    assertThat(defaults.verdict(Reason.Empty, 0, Instant.EPOCH).nodes()).isZero();
    Budgets mixed =
        Budgets.of(
            "p",
            List.of(
                new Budget("50%", null, null, null),
                new Budget("2", null, null, List.of(Budget.Reason.Empty))));
    assertThat(mixed.verdict(Reason.Empty, 10, Instant.EPOCH).nodes()).isEqualTo(2);
    assertThat(mixed.verdict(Reason.Underutilized, 10, Instant.EPOCH).nodes()).isEqualTo(5);
    assertThat(mixed.verdict(Reason.Expired, 10, Instant.EPOCH).nodes())
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void macrosAreKarpentersDialect() {
    Budgets daily = Budgets.of("p", List.of(new Budget("0", "@daily", "1h", null)));
    assertThat(daily.verdict(Reason.Empty, 5, at("2026-12-02T00:30:00Z")).nodes()).isZero();
    assertThat(daily.verdict(Reason.Empty, 5, at("2026-12-02T01:00:00Z")).nodes())
        .isEqualTo(UNLIMITED);
    Budgets weekly = Budgets.of("p", List.of(new Budget("0", "@weekly", "24h", null)));
    assertThat(weekly.verdict(Reason.Empty, 5, at("2026-12-06T12:00:00Z")).nodes()).isZero(); // Sun
    assertThat(weekly.verdict(Reason.Empty, 5, at("2026-12-07T12:00:00Z")).nodes())
        .isEqualTo(UNLIMITED);
    Budgets monthly = Budgets.of("p", List.of(new Budget("0", "@monthly", "2h", null)));
    assertThat(monthly.verdict(Reason.Empty, 5, at("2026-12-01T01:59:00Z")).nodes()).isZero();
    assertThat(monthly.verdict(Reason.Empty, 5, at("2026-12-02T01:00:00Z")).nodes())
        .isEqualTo(UNLIMITED);
    Budgets yearly = Budgets.of("p", List.of(new Budget("0", "@yearly", "24h", null)));
    assertThat(yearly.verdict(Reason.Empty, 5, at("2027-01-01T23:00:00Z")).nodes()).isZero();
    assertThat(yearly.verdict(Reason.Empty, 5, at("2027-01-02T00:00:00Z")).nodes())
        .isEqualTo(UNLIMITED);
    Budgets hourly = Budgets.of("p", List.of(new Budget("0", "@hourly", "15m", null)));
    assertThat(hourly.verdict(Reason.Empty, 5, at("2026-12-02T07:14:00Z")).nodes()).isZero();
    assertThat(hourly.verdict(Reason.Empty, 5, at("2026-12-02T07:15:00Z")).nodes())
        .isEqualTo(UNLIMITED);
  }

  @Test
  void timeZonedFreezeFollowsLocalTimeAcrossTheSpringDstChange() {
    Budgets berlin =
        Budgets.of(
            "p",
            List.of(
                new Budget("1", null, null, null),
                new Budget("0", "CRON_TZ=Europe/Berlin 0 9 * * MON-FRI", "10h", null)));
    // Friday 2026-03-27, CET (UTC+1): the freeze is 08:00-18:00 UTC.
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-27T07:59:00Z")).nodes()).isEqualTo(1);
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-27T08:00:00Z")).nodes()).isZero();
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-27T17:30:00Z")).nodes()).isZero();
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-27T18:00:00Z")).nodes()).isEqualTo(1);
    // Clocks go forward on Sunday 2026-03-29. Monday 2026-03-30, CEST (UTC+2): 07:00-17:00 UTC.
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-30T06:59:00Z")).nodes()).isEqualTo(1);
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-30T07:00:00Z")).nodes()).isZero();
    assertThat(berlin.verdict(Reason.Empty, 3, at("2026-03-30T17:30:00Z")).nodes()).isEqualTo(1);
    assertThat(berlin.nextWindow(Reason.Empty, 3, at("2026-03-30T12:00:00Z"), Duration.ofDays(8)))
        .contains(at("2026-03-30T17:00:00Z"));
  }

  @Test
  void timeZonedDailyWindowAcrossTheAutumnDstChange() {
    // 01:00 New York local for 2h; on 2026-11-01 clocks fall back at 02:00 EDT -> 01:00 EST.
    Budgets ny =
        Budgets.of("p", List.of(new Budget("0", "CRON_TZ=America/New_York 0 1 * * *", "2h", null)));
    // Oct 31 (EDT, UTC-4): 05:00-07:00 UTC.
    assertThat(ny.verdict(Reason.Empty, 3, at("2026-10-31T05:00:00Z")).nodes()).isZero();
    assertThat(ny.verdict(Reason.Empty, 3, at("2026-10-31T07:00:00Z")).nodes())
        .isEqualTo(UNLIMITED);
    // Nov 2 (EST, UTC-5): 06:00-08:00 UTC.
    assertThat(ny.verdict(Reason.Empty, 3, at("2026-11-02T05:30:00Z")).nodes())
        .isEqualTo(UNLIMITED);
    assertThat(ny.verdict(Reason.Empty, 3, at("2026-11-02T06:00:00Z")).nodes()).isZero();
    assertThat(ny.verdict(Reason.Empty, 3, at("2026-11-02T07:59:00Z")).nodes()).isZero();
    assertThat(ny.verdict(Reason.Empty, 3, at("2026-11-02T08:00:00Z")).nodes())
        .isEqualTo(UNLIMITED);
  }

  @Test
  void invalidScheduleFailsClosedAndSaysWhy() {
    Budgets bad =
        Budgets.of("p", List.of(new Budget("5", "CRON_TZ=Mars/Olympus 0 9 * * *", "1h", null)));
    Budgets.Verdict v = bad.verdict(Reason.Empty, 10, Instant.EPOCH);
    assertThat(v.nodes()).isZero();
    assertThat(v.inForce()).contains("unknown time zone Mars/Olympus");
    assertThat(bad.errors()).singleElement().asString().startsWith("budgets[0]");
    assertThatThrownBy(() -> BudgetSchedule.parse("0 9 * *", "1h"))
        .hasMessageContaining("expected 5 fields");
    assertThatThrownBy(() -> BudgetSchedule.parse("0 9 * * *", "1d"))
        .hasMessageContaining("duration");
  }
}
