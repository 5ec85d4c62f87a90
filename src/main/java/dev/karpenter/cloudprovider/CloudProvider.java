package dev.karpenter.cloudprovider;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import java.util.List;
import java.util.Optional;

/**
 * The seam between Karpenter's controllers and a cloud, in the shape of upstream's {@code
 * cloudprovider.CloudProvider}: launch, terminate, look up and list instances as NodeClaims, the
 * instance types a NodePool may use, and drift.
 */
public interface CloudProvider {
  /**
   * Launches an instance satisfying the claim's requirements, preferring the cheapest available
   * offering.
   *
   * @return the claim as launched: status.providerID, capacity and allocatable, and labels for the
   *     chosen instance type, zone and capacity type
   * @throws CloudProviderException.InsufficientCapacity when no offering of the claim can launch
   * @throws CloudProviderException.NodeClassNotReady when the claim's node class is not ready
   */
  NodeClaim create(NodeClaim nodeClaim);

  /**
   * Terminates the claim's instance.
   *
   * @throws CloudProviderException.NodeClaimNotFound once the instance is gone
   */
  void delete(NodeClaim nodeClaim);

  /**
   * @throws CloudProviderException.NodeClaimNotFound when no such instance exists
   */
  NodeClaim get(String providerId);

  List<NodeClaim> list();

  /**
   * The instance an earlier process already launched for this claim (it crashed before the claim's
   * status recorded it), as {@link #create} would have returned it; the launch adopts it instead of
   * launching a second instance for the same claim. Empty by default: such an instance is left to
   * garbage collection.
   */
  default Optional<NodeClaim> launchedFor(NodeClaim nodeClaim) {
    return Optional.empty();
  }

  /**
   * Every instance type the pool's node class allows, including unavailable offerings: those in
   * {@link #unavailableOfferings()} come back with {@code available=false}.
   */
  List<InstanceType> instanceTypes(NodePool nodePool);

  /**
   * The provider's ICE cache. The provider marks offerings there when a launch runs into
   * insufficient capacity; the provisioner reads it and re-plans when it changes.
   */
  UnavailableOfferings unavailableOfferings();

  /** Why the claim's instance no longer matches its NodePool/node class, if it does not. */
  Optional<String> isDrifted(NodeClaim nodeClaim);

  String name();
}
