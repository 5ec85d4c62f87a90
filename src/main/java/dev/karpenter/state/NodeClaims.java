package dev.karpenter.state;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.Optional;
import java.util.Set;

/** Small read helpers over NodeClaims shared by the controllers. */
public final class NodeClaims {
  public static final String LAUNCHED = "Launched";
  public static final String REGISTERED = "Registered";
  public static final String INITIALIZED = "Initialized";
  public static final String READY = "Ready";
  public static final String DRAINED = "Drained";
  public static final String INSTANCE_TERMINATING = "InstanceTerminating";

  /**
   * Why the claim is going away (Karpenter's {@code DisruptionReason} condition, True with the
   * reason): kept in the object, so it survives a restart or leader change until the finalizer
   * reports it.
   */
  public static final String DISRUPTION_REASON = "DisruptionReason";

  public static final String FINALIZER = "karpenter.sh/termination";

  /** Taints a node carries while it starts, which Karpenter expects to disappear. */
  private static final Set<String> EPHEMERAL_TAINTS =
      Set.of(
          "node.kubernetes.io/not-ready",
          "node.kubernetes.io/unreachable",
          "node.cloudprovider.kubernetes.io/uninitialized",
          Labels.UNREGISTERED_TAINT_KEY);

  private NodeClaims() {}

  public static String nodePool(NodeClaim c) {
    return c.getMetadata().getLabels() == null
        ? null
        : c.getMetadata().getLabels().get(Labels.NODEPOOL);
  }

  public static Optional<Condition> condition(NodeClaim c, String type) {
    if (c.getStatus() == null || c.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return c.getStatus().getConditions().stream().filter(x -> type.equals(x.type())).findFirst();
  }

  /** The reason of a True {@link #DISRUPTION_REASON} condition, if the claim has one. */
  public static Optional<String> disruptionReason(NodeClaim c) {
    return condition(c, DISRUPTION_REASON).filter(Condition::isTrue).map(Condition::reason);
  }

  public static boolean isTrue(NodeClaim c, String type) {
    return condition(c, type).map(Condition::isTrue).orElse(false);
  }

  public static java.util.List<dev.karpenter.api.v1.Taint> taints(NodeClaim c) {
    return c.getSpec().taints() == null ? java.util.List.of() : c.getSpec().taints();
  }

  public static java.util.List<dev.karpenter.api.v1.Taint> startupTaints(NodeClaim c) {
    return c.getSpec().startupTaints() == null ? java.util.List.of() : c.getSpec().startupTaints();
  }

  public static boolean isEphemeral(Taint t) {
    return EPHEMERAL_TAINTS.contains(t.getKey()) || t.getKey().startsWith("readiness.k8s.io/");
  }
}
