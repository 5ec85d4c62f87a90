package dev.karpenter.provisioning.scheduling;

import java.util.List;
import java.util.Map;

/**
 * What the scheduler decided.
 *
 * @param nodeClaims new NodeClaims to launch
 * @param existingNodes existing or in-flight node name to the pending pods ("ns/name") placed there
 * @param unschedulable pod ("ns/name") to the reason it fits nowhere
 */
public record SchedulingResult(
    List<NodeClaimPlan> nodeClaims,
    Map<String, List<String>> existingNodes,
    Map<String, String> unschedulable) {
  public SchedulingResult {
    nodeClaims = List.copyOf(nodeClaims);
  }

  public double totalPricePerHour() {
    double sum = 0;
    for (NodeClaimPlan p : nodeClaims) {
      sum += p.pricePerHour();
    }
    return sum;
  }

  public int scheduledCount() {
    int n = 0;
    for (NodeClaimPlan p : nodeClaims) {
      n += p.pods().size();
    }
    for (List<String> pods : existingNodes.values()) {
      n += pods.size();
    }
    return n;
  }
}
