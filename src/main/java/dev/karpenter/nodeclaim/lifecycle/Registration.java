package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registered: the Node with the claim's providerID joined. The claim's labels are synced onto it
 * with {@code karpenter.sh/registered=true} and the {@code karpenter.sh/termination} finalizer, the
 * {@code karpenter.sh/unregistered} taint is removed, and the claim records the Node's name.
 */
public final class Registration {
  static final Duration NODE_POLL = Duration.ofSeconds(5);

  public Result reconcile(Reconciliation r) {
    if (!NodeClaims.isTrue(r.claim(), NodeClaims.LAUNCHED)
        || NodeClaims.isTrue(r.claim(), NodeClaims.REGISTERED)) {
      return Result.DONE;
    }
    if (r.node().isEmpty()) {
      // The Node informer wakes us when it joins; the poll covers a missed mapping.
      return Result.requeueAfter(NODE_POLL);
    }
    Map<String, String> claimLabels = Map.copyOf(r.labels());
    r.editNode(n -> register(n, claimLabels));
    String nodeName = r.node().orElseThrow().getMetadata().getName();
    r.status().setNodeName(nodeName);
    r.setCondition(NodeClaims.REGISTERED, "True", "Registered", "");
    r.normal(
        "Registered",
        "Status condition transitioned, Type: Registered, Status: True, Reason: Registered (node "
            + nodeName
            + ")");
    return Result.DONE;
  }

  private static Node register(Node n, Map<String, String> claimLabels) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (n.getMetadata().getLabels() != null) {
      labels.putAll(n.getMetadata().getLabels());
    }
    labels.putAll(claimLabels);
    labels.put(Labels.NODE_REGISTERED, "true");
    n.getMetadata().setLabels(labels);
    List<Taint> taints = new ArrayList<>();
    if (n.getSpec().getTaints() != null) {
      for (Taint t : n.getSpec().getTaints()) {
        if (!Labels.UNREGISTERED_TAINT_KEY.equals(t.getKey())) {
          taints.add(t);
        }
      }
    }
    n.getSpec().setTaints(taints);
    // In the same write as the labels, as upstream: JOSDK would otherwise add it with an apply
    // that re-creates, as an empty Node, one deleted in between. Only Nodes of a NodePool are
    // watched by node termination, which removes it.
    List<String> finalizers =
        new ArrayList<>(
            n.getMetadata().getFinalizers() == null ? List.of() : n.getMetadata().getFinalizers());
    if (labels.containsKey(Labels.NODEPOOL) && !finalizers.contains(NodeClaims.FINALIZER)) {
      finalizers.add(NodeClaims.FINALIZER);
      n.getMetadata().setFinalizers(finalizers);
    }
    return n;
  }
}
