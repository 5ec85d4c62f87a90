package dev.karpenter.disruption.decision;

import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Why a NodeClaim no longer matches its NodePool, in upstream's reasons and order of checks: the
 * NodePool's static hash, its requirements, the cloud provider's own reason, the instance type.
 * Shared by the disruption engine, the NodeClaim {@code Drifted} condition and simulate.
 *
 * @param reason the condition reason, e.g. {@code NodePoolDrifted} or the provider's {@code
 *     AMIDrift}
 * @param message what changed, empty when the reason says it all
 */
public record Drift(String reason, String message) {
  public static final String NODEPOOL_DRIFTED = "NodePoolDrifted";
  public static final String REQUIREMENTS_DRIFTED = "RequirementsDrifted";
  public static final String INSTANCE_TYPE_NOT_FOUND = "InstanceTypeNotFound";

  /** The engine's one-line form: {@code Reason: message}, or the bare reason. */
  public String text() {
    return message.isEmpty() ? reason : reason + ": " + message;
  }

  /** A provider's drift text ({@code AMIDrift} or {@code Reason: message}) as a Drift. */
  public static Drift ofProvider(String text) {
    int colon = text.indexOf(": ");
    return colon < 0
        ? new Drift(text, "")
        : new Drift(text.substring(0, colon), text.substring(colon + 2));
  }

  /**
   * Static drift: the claim was launched from a template whose hash differs from the NodePool's
   * now. Claims without a hash, or hashed by another hash version, are not compared.
   */
  public static Optional<Drift> staticHash(
      String claimHash, String claimHashVersion, String poolHash) {
    if (claimHash != null
        && NodePoolHash.VERSION.equals(claimHashVersion)
        && !claimHash.equals(poolHash)) {
      return Optional.of(
          new Drift(
              NODEPOOL_DRIFTED,
              "the NodePool's template changed (hash " + claimHash + " -> " + poolHash + ")"));
    }
    return Optional.empty();
  }

  /** A label of the claim that the NodePool's (effective) requirements no longer admit. */
  public static Optional<Drift> requirements(Map<String, String> labels, Requirements pool) {
    if (pool == null) {
      return Optional.empty();
    }
    for (Requirement r : pool.all()) {
      String v = labels.get(r.key());
      if (v != null && !r.matches(v)) {
        return Optional.of(
            new Drift(
                REQUIREMENTS_DRIFTED, "label " + r.key() + "=" + v + " is not allowed by " + r));
      }
    }
    return Optional.empty();
  }

  /**
   * The claim's instance type is no longer among the pool's; not judged when the pool's types are
   * unknown (empty).
   */
  public static Optional<Drift> instanceType(String instanceType, List<InstanceType> types) {
    if (instanceType == null || types == null || types.isEmpty()) {
      return Optional.empty();
    }
    for (InstanceType t : types) {
      if (t.name().equals(instanceType)) {
        return Optional.empty();
      }
    }
    return Optional.of(new Drift(INSTANCE_TYPE_NOT_FOUND, instanceType + " is no longer offered"));
  }

  /**
   * Every check in order; the provider is asked only when the NodePool-side checks find nothing.
   *
   * @param requirements the pool's effective requirements (template labels included), or null
   * @param providerDrift the cloud provider's reason, or null
   */
  public static Optional<Drift> of(
      String claimHash,
      String claimHashVersion,
      String poolHash,
      Map<String, String> labels,
      Requirements requirements,
      Supplier<String> providerDrift,
      String instanceType,
      List<InstanceType> types) {
    Optional<Drift> d = staticHash(claimHash, claimHashVersion, poolHash);
    if (d.isEmpty()) {
      d = requirements(labels, requirements);
    }
    if (d.isEmpty()) {
      String p = providerDrift.get();
      if (p != null && !p.isEmpty()) {
        d = Optional.of(ofProvider(p));
      }
    }
    if (d.isEmpty()) {
      d = instanceType(instanceType, types);
    }
    return d;
  }
}
