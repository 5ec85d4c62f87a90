package dev.karpenter.disruption.decision;

import dev.karpenter.provisioning.scheduling.ExistingNode;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Set;

/**
 * One immutable view of the cluster for a disruption pass.
 *
 * @param inFlight NodeClaims not yet registered as nodes (capacity pods may be placed on)
 * @param unavailableOfferings ICE cache keys, as in {@code SchedulingInput}
 */
public record DisruptionInput(
    List<DisruptionNode> nodes,
    List<ExistingNode> inFlight,
    List<PodDisruptionBudget> podDisruptionBudgets,
    List<DaemonSet> daemonSets,
    List<DisruptionPool> pools,
    Set<String> unavailableOfferings) {
  public DisruptionInput {
    nodes = List.copyOf(nodes);
    inFlight = List.copyOf(inFlight);
    podDisruptionBudgets = List.copyOf(podDisruptionBudgets);
    daemonSets = List.copyOf(daemonSets);
    pools = List.copyOf(pools);
    unavailableOfferings = Set.copyOf(unavailableOfferings);
  }
}
