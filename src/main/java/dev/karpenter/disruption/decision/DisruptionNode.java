package dev.karpenter.disruption.decision;

import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A node as the disruption loop sees it: the Node, its NodeClaim and the pods bound to it.
 *
 * @param nodeClaim null for a node Karpenter does not manage (it still hosts rescheduled pods)
 * @param nodePool the {@code karpenter.sh/nodepool} label, null when absent
 * @param capacity counted against the pool's limits
 * @param pricePerHour price of the node's offering (instance type, capacity type, zone)
 * @param createdAt the NodeClaim's creation (expiration counts from it)
 * @param lastPodEventAt the last time a pod was bound to or left the node (consolidateAfter)
 * @param deleting the Node or NodeClaim is being deleted, or the node is already tainted disrupted
 * @param nominated pending pods are nominated to it, or it is a pending replacement
 * @param nodePoolHash the NodeClaim's {@code karpenter.sh/nodepool-hash} annotation
 * @param expireAfter the NodeClaim's spec.expireAfter ({@code Never} or null: never)
 * @param terminationGracePeriod the NodeClaim's spec.terminationGracePeriod, or null
 * @param providerDrift the cloud provider's drift reason, or null
 */
public record DisruptionNode(
    String name,
    String nodeClaim,
    String nodePool,
    Map<String, String> labels,
    Map<String, String> annotations,
    List<Taint> taints,
    Resources allocatable,
    Resources capacity,
    List<Pod> pods,
    String instanceType,
    String capacityType,
    String zone,
    double pricePerHour,
    Instant createdAt,
    Instant lastPodEventAt,
    boolean initialized,
    boolean deleting,
    boolean nominated,
    String nodePoolHash,
    String nodePoolHashVersion,
    String expireAfter,
    String terminationGracePeriod,
    String providerDrift) {
  public DisruptionNode {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    taints = List.copyOf(taints);
    pods = List.copyOf(pods);
  }

  public boolean managed() {
    return nodeClaim != null && nodePool != null;
  }
}
