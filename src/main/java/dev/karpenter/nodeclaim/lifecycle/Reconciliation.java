package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.state.Conditions;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One lifecycle pass over a NodeClaim: working copies of the claim and its Node that the
 * sub-reconcilers change in turn, the Node edits to write, and the events to publish once the
 * writes succeeded (so a retried pass does not repeat them).
 */
public final class Reconciliation {
  /** A core/v1 Event on the claim. */
  public record Event(String type, String reason, String message) {}

  private final NodeClaim original;
  private final NodeClaim claim;
  private final Node observedNode;
  private Node node;
  private final Clock clock;
  private final List<UnaryOperator<Node>> nodeEdits = new ArrayList<>();
  private final List<Event> events = new ArrayList<>();

  private Reconciliation(NodeClaim original, Node node, Clock clock) {
    this.original = original;
    this.claim = Serialization.clone(original);
    if (claim.getStatus() == null) {
      claim.setStatus(new NodeClaimStatus());
    }
    claim.getStatus().setConditions(Conditions.copy(claim.getStatus().getConditions()));
    if (claim.getMetadata().getLabels() == null) {
      claim.getMetadata().setLabels(new LinkedHashMap<>());
    }
    this.observedNode = node;
    this.node = node == null ? null : Serialization.clone(node);
    this.clock = clock;
  }

  /** A pass over {@code claim} (not changed) whose Node, if registered, is {@code node}. */
  public static Reconciliation of(NodeClaim claim, Optional<Node> node, Clock clock) {
    return new Reconciliation(claim, node.orElse(null), clock);
  }

  public NodeClaim original() {
    return original;
  }

  /** The working copy: status and labels always non-null. */
  public NodeClaim claim() {
    return claim;
  }

  public NodeClaimStatus status() {
    return claim.getStatus();
  }

  public Map<String, String> labels() {
    return claim.getMetadata().getLabels();
  }

  /** The Node with this pass's edits applied (what will be written). */
  public Optional<Node> node() {
    return Optional.ofNullable(node);
  }

  /**
   * The Node as the cluster state shows it, without this pass's edits: what other controllers (the
   * provisioner, kube-scheduler) see until the write lands.
   */
  public Optional<Node> observedNode() {
    return Optional.ofNullable(observedNode);
  }

  public Clock clock() {
    return clock;
  }

  /** Sets a condition on the working copy; true when it changed. */
  public boolean setCondition(String type, String status, String reason, String message) {
    return Conditions.set(
        claim.getStatus().getConditions(),
        type,
        status,
        reason,
        message,
        claim.getMetadata().getGeneration(),
        clock);
  }

  /** Changes the Node: applied to the working copy now and to the latest Node when written. */
  public void editNode(UnaryOperator<Node> edit) {
    if (node == null) {
      throw new IllegalStateException("no Node to edit for " + claim.getMetadata().getName());
    }
    node = edit.apply(node);
    nodeEdits.add(edit);
  }

  public List<UnaryOperator<Node>> nodeEdits() {
    return List.copyOf(nodeEdits);
  }

  public void normal(String reason, String message) {
    events.add(new Event("Normal", reason, message));
  }

  public void warning(String reason, String message) {
    events.add(new Event("Warning", reason, message));
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  public boolean labelsChanged() {
    Map<String, String> before = original.getMetadata().getLabels();
    return !Objects.equals(before == null ? Map.of() : before, labels());
  }

  public boolean statusChanged() {
    NodeClaimStatus before =
        original.getStatus() == null ? new NodeClaimStatus() : original.getStatus();
    List<Condition> conditions =
        before.getConditions() == null ? List.of() : before.getConditions();
    return !Objects.equals(conditions, status().getConditions())
        || !Objects.equals(before.getProviderID(), status().getProviderID())
        || !Objects.equals(before.getNodeName(), status().getNodeName())
        || !Objects.equals(before.getImageID(), status().getImageID())
        || !Objects.equals(before.getCapacity(), status().getCapacity())
        || !Objects.equals(before.getAllocatable(), status().getAllocatable());
  }

  /** Whether condition {@code type} turned True in this pass. */
  public boolean becameTrue(String type) {
    return !dev.karpenter.state.NodeClaims.isTrue(original, type)
        && dev.karpenter.state.NodeClaims.isTrue(claim, type);
  }
}
