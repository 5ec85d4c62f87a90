package dev.karpenter.disruption.decision;

import dev.karpenter.api.v1.NodePool;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which of a NodePool's budgets is in force now, per budget reason, and until when: what {@code
 * kubectl describe nodepool} shows in the {@code DisruptionBudgetsInForce} condition and what
 * {@code karpenter_nodepools_allowed_disruptions} exports.
 *
 * @param nodes the pool's nodes the budgets count (percentages are of these)
 * @param lines one per reason, in the disruption loop's order
 * @param nextChange the earliest instant any line changes (a window opens or closes), if within the
 *     horizon
 * @param errors budgets that do not parse (they allow nothing)
 */
public record BudgetStatus(
    int nodes, List<Line> lines, Optional<Instant> nextChange, List<String> errors) {
  public static final List<Reason> REASONS =
      List.of(Reason.Empty, Reason.Drifted, Reason.Underutilized);

  /**
   * One reason's verdict.
   *
   * @param allowed nodes the budgets allow disrupting for the reason; the pool's node count when no
   *     budget covers it
   * @param inForce the budget that sets it, null when none covers the reason
   * @param until when this verdict changes, null when not within the horizon
   */
  public record Line(Reason reason, int allowed, String inForce, Instant until) {
    public String describe() {
      StringBuilder b = new StringBuilder(reason.name()).append(": ");
      if (inForce == null) {
        b.append(allowed).append(" allowed (no budget covers ").append(reason).append(')');
      } else {
        b.append(allowed).append(" allowed (").append(inForce).append(')');
      }
      if (until != null) {
        b.append(" until ").append(until.truncatedTo(ChronoUnit.SECONDS));
      }
      return b.toString();
    }
  }

  public static BudgetStatus of(NodePool pool, int nodes, Instant now, Duration horizon) {
    Budgets budgets = Budgets.of(pool);
    List<Line> lines = new ArrayList<>();
    Instant next = null;
    for (Reason r : REASONS) {
      Budgets.Verdict v = budgets.verdict(r, nodes, now);
      Optional<Instant> until = budgets.nextChange(r, nodes, now, horizon);
      String inForce = v.inForce();
      if (inForce != null && budgets.defaulted()) {
        inForce = inForce.replace("budgets[0]", "default budget");
      }
      lines.add(
          new Line(
              r, v.nodes() == Integer.MAX_VALUE ? nodes : v.nodes(), inForce, until.orElse(null)));
      if (until.isPresent() && (next == null || until.get().isBefore(next))) {
        next = until.get();
      }
    }
    return new BudgetStatus(nodes, List.copyOf(lines), Optional.ofNullable(next), budgets.errors());
  }

  /** What identifies the verdict apart from counts: per reason, the budget in force and blocked. */
  public String signature() {
    StringBuilder b = new StringBuilder(String.join(";", errors));
    for (Line l : lines) {
      b.append('|').append(l.reason()).append('=').append(l.inForce());
      b.append(nodes > 0 && l.allowed() == 0 ? ":blocked" : "");
    }
    return b.toString();
  }

  /** Some reason allows no disruption of a pool that has nodes. */
  public boolean blocked() {
    return nodes > 0 && lines.stream().anyMatch(l -> l.allowed() == 0);
  }

  /** The condition reason: {@code InvalidBudget}, {@code DisruptionsBlocked} or allowed. */
  public String reason() {
    if (!errors.isEmpty()) {
      return "InvalidBudget";
    }
    return blocked() ? "DisruptionsBlocked" : "DisruptionsAllowed";
  }

  /**
   * e.g. {@code 3 nodes; Empty: 0 allowed (budgets[1] nodes=0 schedule='0 9 * * MON-FRI'
   * duration=10h) until 2026-12-02T19:00:00Z; Drifted: ...}.
   */
  public String message() {
    StringBuilder b = new StringBuilder();
    if (!errors.isEmpty()) {
      b.append(String.join("; ", errors)).append("; ");
    }
    b.append(nodes).append(nodes == 1 ? " node" : " nodes");
    for (Line l : lines) {
      b.append("; ").append(l.describe());
    }
    return b.toString();
  }
}
