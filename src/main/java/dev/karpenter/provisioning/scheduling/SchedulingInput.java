package dev.karpenter.provisioning.scheduling;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.List;
import java.util.Set;

/**
 * An immutable snapshot to schedule: pending pods, existing nodes, in-flight NodeClaims,
 * DaemonSets, NodePools and offerings known to be unavailable ({@code "spot:g5.xlarge:us-east-1a"},
 * Karpenter's ICE cache key).
 */
public record SchedulingInput(
    List<Pod> pendingPods,
    List<ExistingNode> nodes,
    List<ExistingNode> inFlight,
    List<DaemonSet> daemonSets,
    List<SchedulingNodePool> nodePools,
    Set<String> unavailableOfferings) {
  public SchedulingInput {
    pendingPods = List.copyOf(pendingPods);
    nodes = List.copyOf(nodes);
    inFlight = List.copyOf(inFlight);
    daemonSets = List.copyOf(daemonSets);
    nodePools = List.copyOf(nodePools);
    unavailableOfferings = Set.copyOf(unavailableOfferings);
  }

  public static SchedulingInput of(List<Pod> pods, List<SchedulingNodePool> pools) {
    return new SchedulingInput(pods, List.of(), List.of(), List.of(), pools, Set.of());
  }

  public SchedulingInput withNodes(List<ExistingNode> n) {
    return new SchedulingInput(
        pendingPods, n, inFlight, daemonSets, nodePools, unavailableOfferings);
  }

  public SchedulingInput withInFlight(List<ExistingNode> n) {
    return new SchedulingInput(pendingPods, nodes, n, daemonSets, nodePools, unavailableOfferings);
  }

  public SchedulingInput withDaemonSets(List<DaemonSet> d) {
    return new SchedulingInput(pendingPods, nodes, inFlight, d, nodePools, unavailableOfferings);
  }

  public SchedulingInput withUnavailableOfferings(Set<String> u) {
    return new SchedulingInput(pendingPods, nodes, inFlight, daemonSets, nodePools, u);
  }

  public SchedulingInput withPendingPods(List<Pod> p) {
    return new SchedulingInput(p, nodes, inFlight, daemonSets, nodePools, unavailableOfferings);
  }
}
