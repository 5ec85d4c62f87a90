package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.state.NodeClaims;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Launched: asks the cloud for an instance and copies what it launched (providerID, image,
 * capacity, allocatable, instance-type/zone/capacity-type labels) onto the claim. Insufficient
 * capacity or a missing node class deletes the claim ({@code ProvisioningFailed}; the cloud has
 * already marked the offerings unavailable); other create errors leave {@code Launched=Unknown,
 * LaunchFailed} and retry until {@link Liveness}'s launch timeout.
 */
public final class Launch {
  public static final String PROVISIONING_FAILED = "ProvisioningFailed";
  static final Duration RETRY = Duration.ofSeconds(5);

  private final CloudProvider cloud;
  // Launched claims by UID until the informer shows them Launched: a reconcile that reads a stale
  // copy must not launch a second instance.
  private final Map<String, NodeClaim> launched = new ConcurrentHashMap<>();

  public Launch(CloudProvider cloud) {
    this.cloud = cloud;
  }

  public Result reconcile(Reconciliation r) {
    NodeClaim claim = r.claim();
    String uid = claim.getMetadata().getUid();
    if (NodeClaims.isTrue(claim, NodeClaims.LAUNCHED)) {
      if (uid != null) {
        launched.remove(uid);
      }
      return Result.DONE;
    }
    NodeClaim created = uid == null ? null : launched.get(uid);
    if (created == null) {
      created = cloud.launchedFor(claim).orElse(null);
    }
    if (created == null) {
      CrashPoints.reached(CrashPoints.LAUNCH_BEFORE_CREATE);
      try {
        created = cloud.create(claim);
      } catch (CloudProviderException.InsufficientCapacity e) {
        r.warning("InsufficientCapacityError", "Failed to launch NodeClaim: " + e.getMessage());
        return Result.delete(PROVISIONING_FAILED, e.getMessage());
      } catch (CloudProviderException.NodeClassNotReady e) {
        r.warning("NodeClassNotReady", "Failed to launch NodeClaim: " + e.getMessage());
        return Result.delete(PROVISIONING_FAILED, e.getMessage());
      } catch (CloudProviderException.CreateError e) {
        if (r.setCondition(NodeClaims.LAUNCHED, "Unknown", "LaunchFailed", e.getMessage())) {
          r.warning("LaunchFailed", "Failed to launch NodeClaim: " + e.getMessage());
        }
        return Result.requeueAfter(RETRY);
      }
      if (uid != null) {
        launched.put(uid, created);
      }
      CrashPoints.reached(CrashPoints.LAUNCH_AFTER_CREATE);
    }
    populate(r, created);
    r.setCondition(NodeClaims.LAUNCHED, "True", "Launched", "");
    r.setCondition(
        NodeClaims.REGISTERED, "Unknown", "NodeNotFound", "Node not registered with cluster");
    r.setCondition(
        NodeClaims.INITIALIZED, "Unknown", "NodeNotFound", "Node not registered with cluster");
    r.setCondition(NodeClaims.READY, "Unknown", "NotReady", "Node not registered");
    Map<String, String> labels = r.labels();
    r.normal(
        "Launched",
        "Status condition transitioned, Type: Launched, Status: True, Reason: Launched ("
            + labels.get(Labels.INSTANCE_TYPE)
            + " "
            + labels.get(Labels.CAPACITY_TYPE)
            + " "
            + labels.get(Labels.ZONE)
            + ", "
            + r.status().getProviderID()
            + ")");
    return Result.DONE;
  }

  /** The cloud's labels under the claim's own (which win), and the launched shape. */
  private static void populate(Reconciliation r, NodeClaim created) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (created.getMetadata().getLabels() != null) {
      labels.putAll(created.getMetadata().getLabels());
    }
    labels.putAll(r.labels());
    r.labels().clear();
    r.labels().putAll(labels);
    r.status().setProviderID(created.getStatus().getProviderID());
    r.status().setImageID(created.getStatus().getImageID());
    r.status().setCapacity(created.getStatus().getCapacity());
    r.status().setAllocatable(created.getStatus().getAllocatable());
  }

  /**
   * The claim as finalization must see it: a claim deleted before its status showed the launch
   * still names the instance that was launched for it, so that instance is terminated, not leaked.
   */
  public NodeClaim withLaunchedInstance(NodeClaim claim) {
    String uid = claim.getMetadata().getUid();
    NodeClaim created = uid == null ? null : launched.get(uid);
    if (created == null
        || (claim.getStatus() != null && claim.getStatus().getProviderID() != null)) {
      return claim;
    }
    NodeClaim copy = io.fabric8.kubernetes.client.utils.Serialization.clone(claim);
    if (copy.getStatus() == null) {
      copy.setStatus(new dev.karpenter.api.v1.NodeClaimStatus());
    }
    copy.getStatus().setProviderID(created.getStatus().getProviderID());
    return copy;
  }

  /** Forgets a claim that is going away. */
  public void forget(NodeClaim claim) {
    if (claim.getMetadata().getUid() != null) {
      launched.remove(claim.getMetadata().getUid());
    }
  }
}
