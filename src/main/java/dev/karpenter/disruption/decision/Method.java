package dev.karpenter.disruption.decision;

/** Disruption methods, in the order one pass tries the graceful ones (Expiration is forceful). */
public enum Method {
  Emptiness,
  Drift,
  MultiNodeConsolidation,
  SingleNodeConsolidation,
  Expiration
}
