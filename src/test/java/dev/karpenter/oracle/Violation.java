package dev.karpenter.oracle;

/**
 * One broken property of a plan.
 *
 * @param kind stable class name, e.g. {@code pod-incompatible-option}, {@code not-bound}
 * @param detail what, where, and the kube-scheduler's message when it gave one
 */
record Violation(String kind, String detail) {
  /** Kinds decided from the plan alone, without the cluster. */
  static final java.util.Set<String> STATIC =
      java.util.Set.of(
          "pod-lost",
          "launch-not-an-option",
          "option-disagrees",
          "pod-incompatible-option",
          "pod-intolerant",
          "option-too-small",
          "existing-node-mismatch",
          "spread-skew",
          "unschedulable-but-fits-statically");

  boolean isStatic() {
    return STATIC.contains(kind);
  }

  @Override
  public String toString() {
    return kind + ": " + detail;
  }
}
