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
 */
public record DisruptionPlan(
    List<Decision> decisions,
    List<Blocked> blocked,
    List<PoolBudget> budgets,
    Instant nextBudgetWindow,
    int candidatesConsidered) {
  public DisruptionPlan {
    decisions = List.copyOf(decisions);
    blocked = List.copyOf(blocked);
    budgets = List.copyOf(budgets);
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
