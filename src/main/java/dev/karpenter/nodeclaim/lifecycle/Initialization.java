package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Initialized: the registered Node is Ready, its startup taints and known ephemeral taints are
 * gone, and every extended resource the claim requested is advertised. Then the Node gets {@code
 * karpenter.sh/initialized=true} and the claim turns Initialized and Ready.
 */
public final class Initialization {
  static final Duration POLL = Duration.ofSeconds(1);
  private static final Set<String> BASE_RESOURCES =
      Set.of("cpu", "memory", "pods", "ephemeral-storage");

  /** Why a Node is not initialized yet: the Initialized condition's reason and message. */
  public record Blocker(String reason, String message) {}

  public Result reconcile(Reconciliation r) {
    NodeClaim claim = r.claim();
    if (!NodeClaims.isTrue(claim, NodeClaims.REGISTERED)
        || NodeClaims.isTrue(claim, NodeClaims.INITIALIZED)) {
      return Result.DONE;
    }
    if (r.observedNode().isEmpty()) {
      r.setCondition(NodeClaims.INITIALIZED, "Unknown", "NodeNotFound", "Node not found");
      return Result.requeueAfter(POLL);
    }
    // Judged on the Node as observed: a taint this pass removes still blocks until the removal is
    // seen, so nobody reads Initialized while the cluster state still shows the taint.
    Optional<Blocker> blocker = blocker(claim, r.observedNode().get());
    if (blocker.isPresent()) {
      Blocker b = blocker.get();
      r.setCondition(NodeClaims.INITIALIZED, "Unknown", b.reason(), b.message());
      r.setCondition(NodeClaims.READY, "Unknown", "NotInitialized", b.message());
      // Our Node cache may lag the event that triggered this pass: look again shortly.
      return Result.requeueAfter(POLL);
    }
    r.editNode(
        n -> {
          Map<String, String> labels = new LinkedHashMap<>();
          if (n.getMetadata().getLabels() != null) {
            labels.putAll(n.getMetadata().getLabels());
          }
          labels.put(Labels.NODE_INITIALIZED, "true");
          n.getMetadata().setLabels(labels);
          return n;
        });
    r.setCondition(NodeClaims.INITIALIZED, "True", "Initialized", "");
    r.setCondition(NodeClaims.READY, "True", "Ready", "");
    r.normal(
        "Initialized",
        "Status condition transitioned, Type: Initialized, Status: True, Reason: Initialized");
    return Result.DONE;
  }

  /** Why {@code n} does not yet initialize {@code claim}, or empty when it does. */
  public static Optional<Blocker> blocker(NodeClaim claim, Node n) {
    boolean ready =
        n.getStatus() != null
            && n.getStatus().getConditions() != null
            && n.getStatus().getConditions().stream()
                .anyMatch(
                    (NodeCondition c) ->
                        "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    if (!ready) {
      return Optional.of(new Blocker("NodeNotReady", "Node status is NotReady"));
    }
    List<Taint> taints = n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
    for (dev.karpenter.api.v1.Taint st : NodeClaims.startupTaints(claim)) {
      for (Taint t : taints) {
        if (t.getKey().equals(st.key()) && t.getEffect().equals(st.effect().name())) {
          return Optional.of(
              new Blocker("StartupTaintsExist", "StartupTaint \"" + st.key() + "\" still exists"));
        }
      }
    }
    for (Taint t : taints) {
      if (NodeClaims.isEphemeral(t)) {
        return Optional.of(
            new Blocker(
                "KnownEphemeralTaintsExist",
                "KnownEphemeralTaint \"" + t.getKey() + "\" still exists"));
      }
    }
    Resources requested =
        claim.getSpec().resources() == null
            ? Resources.NONE
            : ApiConversions.resources(claim.getSpec().resources().requests());
    Resources allocatable =
        n.getStatus().getAllocatable() == null
            ? Resources.NONE
            : ApiConversions.resources(n.getStatus().getAllocatable());
    for (Map.Entry<String, Long> e : requested.milli().entrySet()) {
      if (!BASE_RESOURCES.contains(e.getKey())
          && e.getValue() > 0
          && allocatable.get(e.getKey()) <= 0) {
        return Optional.of(
            new Blocker(
                "ResourceNotRegistered",
                "Resource \"" + e.getKey() + "\" was requested but not registered"));
      }
    }
    return Optional.empty();
  }
}
