package dev.karpenter.disruption.decision;

/** Why a node is disrupted: the budget reasons plus forceful expiration. */
public enum Reason {
  Empty,
  Underutilized,
  Drifted,
  Expired;

  /** The v1 budget reason this maps to, or null for reasons budgets cannot limit. */
  public dev.karpenter.api.v1.Budget.Reason budgetReason() {
    return switch (this) {
      case Empty -> dev.karpenter.api.v1.Budget.Reason.Empty;
      case Underutilized -> dev.karpenter.api.v1.Budget.Reason.Underutilized;
      case Drifted -> dev.karpenter.api.v1.Budget.Reason.Drifted;
      case Expired -> null;
    };
  }
}
