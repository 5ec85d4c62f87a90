package dev.karpenter.disruption.decision;

import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import java.util.List;

/**
 * One disruption command: remove {@code nodes} and launch {@code replacements} first.
 *
 * @param savingsPerHour price of the removed nodes minus the replacements, $/h
 */
public record Decision(
    Method method,
    Reason reason,
    List<String> nodes,
    List<Replacement> replacements,
    double savingsPerHour) {
  public Decision {
    nodes = List.copyOf(nodes);
    replacements = List.copyOf(replacements);
  }

  /** A node to launch before the candidates go; {@code plan} is what the scheduler planned. */
  public record Replacement(
      String nodePool,
      String instanceType,
      String capacityType,
      String zone,
      double pricePerHour,
      NodeClaimPlan plan) {
    static Replacement of(NodeClaimPlan p) {
      return new Replacement(
          p.nodePool(), p.instanceType(), p.capacityType(), p.zone(), p.pricePerHour(), p);
    }
  }
}
