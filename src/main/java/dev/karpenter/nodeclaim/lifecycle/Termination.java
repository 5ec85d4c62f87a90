package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The NodeClaim's finalizer ({@code karpenter.sh/termination}), as upstream's lifecycle finalizer:
 * delete the claim's Node and wait until it is gone (the node termination controller cordons and
 * drains it under the Node's own finalizer), then terminate the instance, then let the claim go,
 * counting it in {@code karpenter_nodeclaims_terminated_total} with the reason its {@code
 * DisruptionReason} condition recorded.
 */
public final class Termination {
  /** What finalizing decided: keep the finalizer and look again, or let the claim go. */
  public sealed interface Step {
    /** Waiting on the Node or the instance. */
    record Wait(String why, boolean instanceTerminating) implements Step {}

    /** Instance gone: remove the finalizer. */
    record Done(String reason) implements Step {}
  }

  /** The cluster side finalizing needs: the claim's Node and a way to delete it. */
  public interface Nodes {
    Optional<Node> byProviderId(String providerId);

    void delete(Node node);
  }

  private final CloudProvider cloud;
  private final Nodes nodes;
  private final KarpenterMetrics metrics;

  public Termination(CloudProvider cloud, Nodes nodes, KarpenterMetrics metrics) {
    this.cloud = cloud;
    this.nodes = nodes;
    this.metrics = metrics;
  }

  public Step finalize(NodeClaim claim, Consumer<String> instanceTerminated) {
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    Optional<Node> node = nodes.byProviderId(pid);
    if (node.isPresent()) {
      if (node.get().getMetadata().getDeletionTimestamp() == null) {
        nodes.delete(node.get());
      }
      return new Step.Wait("Node " + node.get().getMetadata().getName() + " terminating", false);
    }
    if (pid != null) {
      try {
        cloud.delete(claim);
        instanceTerminated.accept("Terminated instance " + pid);
      } catch (CloudProviderException.NodeClaimNotFound e) {
        // Already gone: nothing to wait for.
      }
      try {
        cloud.get(pid);
        return new Step.Wait("instance " + pid + " terminating", true);
      } catch (CloudProviderException.NodeClaimNotFound e) {
        // Terminated.
      }
    }
    String reason = NodeClaims.disruptionReason(claim).orElse("Deleted");
    Map<String, String> labels =
        claim.getMetadata().getLabels() == null ? Map.of() : claim.getMetadata().getLabels();
    metrics.nodeClaimTerminated(
        pool(claim),
        reason,
        labels.getOrDefault(Labels.CAPACITY_TYPE, ""),
        labels.getOrDefault(Labels.ZONE, ""));
    return new Step.Done(reason);
  }

  private static String pool(NodeClaim c) {
    String p = NodeClaims.nodePool(c);
    return p == null ? "" : p;
  }
}
