package dev.karpenter.disruption.decision;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one disruption pass decided.
 *
 * @param decisions forceful expirations plus at most one graceful command (one acting method)
 * @param blocked nodes that stay, each with why
 * @param budgets per NodePool, the allowed disruptions per reason and the budget in force
 * @param nextBudgetWindow the earliest instant a NodePool whose budget allows nothing now will
 *     allow some, or null
 * @param candidatesConsidered nodes that were candidates for at least one method
 * @param eligible per reason, the candidates a method could act on before budgets (upstream's
 *     {@code karpenter_voluntary_disruption_eligible_nodes})
 */
public record DisruptionPlan(
    List<Decision> decisions,
    List<Blocked> blocked,
    List<PoolBudget> budgets,
    Instant nextBudgetWindow,
    int candidatesConsidered,
    Map<Reason, Integer> eligible) {
  public DisruptionPlan {
    decisions = List.copyOf(decisions);
    blocked = List.copyOf(blocked);
    budgets = List.copyOf(budgets);
    eligible = Map.copyOf(eligible);
  }

  public DisruptionPlan(
      List<Decision> decisions,
      List<Blocked> blocked,
      List<PoolBudget> budgets,
      Instant nextBudgetWindow,
      int candidatesConsidered) {
    this(decisions, blocked, budgets, nextBudgetWindow, candidatesConsidered, Map.of());
  }

  /** The one graceful (budgeted) command of the pass, or null. */
  public Decision graceful() {
    for (Decision d : decisions) {
      if (d.method() != Method.Expiration) {
        return d;
      }
    }
    return null;
  }

  /** A node that stays, and why (budget, do-not-disrupt, PDB, Job, not cheaper, ...). */
  public record Blocked(String node, String nodePool, String reason) {}

  /**
   * A NodePool's budget verdicts.
   *
   * @param allowed disruptions still allowed now per reason (after nodes already disrupting)
   * @param inForce per reason, the budget that sets the limit (null: unlimited)
   */
  public record PoolBudget(
      String nodePool,
      int nodes,
      Map<Reason, Integer> allowed,
      Map<Reason, String> inForce,
      Instant nextWindow) {}
}
