package dev.karpenter.nodeclaim.disruption;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.disruption.decision.Drift;
import dev.karpenter.disruption.decision.GoDuration;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.NodeClaims;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The NodeClaim's disruption conditions, decided from the claim, its NodePool and the cloud: {@code
 * Consolidatable} (consolidateAfter has passed since the last pod event, or since initialization)
 * and {@code Drifted} (with upstream's reasons). Pure apart from the provider's drift answer, which
 * is asked for only when the NodePool-side checks find nothing.
 */
public final class ClaimConditions {
  public static final String CONSOLIDATABLE = "Consolidatable";
  public static final String DRIFTED = "Drifted";

  /** A condition to set. */
  public record Verdict(String type, String status, String reason, String message) {}

  /**
   * What to set now and when to look again.
   *
   * @param conditions empty when the claim is not far enough in its life to carry them
   * @param consolidatableAt when Consolidatable turns True, if it is False and will
   */
  public record Decision(List<Verdict> conditions, Optional<Instant> consolidatableAt) {}

  private ClaimConditions() {}

  public static Decision decide(
      NodeClaim claim,
      NodePool pool,
      List<InstanceType> poolTypes,
      Supplier<String> providerDrift,
      Instant now) {
    List<Verdict> out = new java.util.ArrayList<>();
    Optional<Instant> at = Optional.empty();
    boolean initialized = NodeClaims.isTrue(claim, NodeClaims.INITIALIZED);
    if (initialized || NodeClaims.condition(claim, CONSOLIDATABLE).isPresent()) {
      ConsolidatableVerdict c = consolidatable(claim, pool, now);
      out.add(c.verdict());
      at = c.at();
    }
    boolean launched = NodeClaims.isTrue(claim, NodeClaims.LAUNCHED);
    if (launched || NodeClaims.condition(claim, DRIFTED).isPresent()) {
      out.add(drifted(claim, pool, poolTypes, launched ? providerDrift : () -> null, launched));
    }
    return new Decision(List.copyOf(out), at);
  }

  private record ConsolidatableVerdict(Verdict verdict, Optional<Instant> at) {}

  /** The time consolidateAfter counts from: the last pod event, else initialization. */
  static Instant lastPodEvent(NodeClaim claim) {
    Instant last =
        claim.getStatus() == null ? null : instant(claim.getStatus().getLastPodEventTime());
    if (last != null) {
      return last;
    }
    return NodeClaims.condition(claim, NodeClaims.INITIALIZED)
        .filter(Condition::isTrue)
        .map(c -> instant(c.lastTransitionTime()))
        .orElse(null);
  }

  private static ConsolidatableVerdict consolidatable(NodeClaim claim, NodePool pool, Instant now) {
    if (!NodeClaims.isTrue(claim, NodeClaims.INITIALIZED)) {
      return new ConsolidatableVerdict(
          new Verdict(
              CONSOLIDATABLE, "False", "NotInitialized", "the NodeClaim is not initialized"),
          Optional.empty());
    }
    String after = pool.getSpec().disruptionOrDefault().consolidateAfter();
    if (after == null) {
      after = "0s";
    }
    Optional<Duration> wait;
    try {
      wait = GoDuration.parseOrNever(after);
    } catch (IllegalArgumentException e) {
      return new ConsolidatableVerdict(
          new Verdict(
              CONSOLIDATABLE,
              "False",
              "InvalidConsolidateAfter",
              "NodePool "
                  + pool.getMetadata().getName()
                  + " spec.disruption.consolidateAfter: "
                  + e.getMessage()),
          Optional.empty());
    }
    if (wait.isEmpty()) {
      return new ConsolidatableVerdict(
          new Verdict(
              CONSOLIDATABLE,
              "False",
              "ConsolidateAfterNever",
              "NodePool " + pool.getMetadata().getName() + " has consolidateAfter: Never"),
          Optional.empty());
    }
    Instant last = lastPodEvent(claim);
    Instant from = last == null ? now : last;
    Instant at = from.plus(wait.get());
    String since = from.truncatedTo(ChronoUnit.SECONDS).toString();
    if (at.isAfter(now)) {
      return new ConsolidatableVerdict(
          new Verdict(
              CONSOLIDATABLE,
              "False",
              "ConsolidateAfterNotPassed",
              "consolidateAfter "
                  + after
                  + " has not passed since the last pod event at "
                  + since
                  + "; consolidatable at "
                  + at.truncatedTo(ChronoUnit.SECONDS)),
          Optional.of(at));
    }
    return new ConsolidatableVerdict(
        new Verdict(
            CONSOLIDATABLE,
            "True",
            CONSOLIDATABLE,
            "no pod event for consolidateAfter " + after + " since " + since),
        Optional.empty());
  }

  private static Verdict drifted(
      NodeClaim claim,
      NodePool pool,
      List<InstanceType> poolTypes,
      Supplier<String> providerDrift,
      boolean launched) {
    if (!launched) {
      return new Verdict(DRIFTED, "False", "NotLaunched", "the NodeClaim is not launched");
    }
    Map<String, String> ann =
        claim.getMetadata().getAnnotations() == null
            ? Map.of()
            : claim.getMetadata().getAnnotations();
    Map<String, String> labels =
        claim.getMetadata().getLabels() == null ? Map.of() : claim.getMetadata().getLabels();
    Optional<Drift> d =
        Drift.of(
            ann.get(NodePoolHash.ANNOTATION),
            ann.get(NodePoolHash.VERSION_ANNOTATION),
            NodePoolHash.of(pool),
            labels,
            requirements(pool),
            providerDrift,
            labels.get(Labels.INSTANCE_TYPE),
            poolTypes);
    return d.map(x -> new Verdict(DRIFTED, "True", x.reason(), x.message()))
        .orElse(new Verdict(DRIFTED, "False", "NotDrifted", ""));
  }

  /** The pool's requirements plus its template labels and nodepool label, as the engine's. */
  static Requirements requirements(NodePool pool) {
    var t = pool.getSpec().template();
    Map<String, String> labels = t.metadataOrEmpty().labelsOrEmpty();
    return ApiConversions.requirements(t.spec().requirementsOrEmpty())
        .and(Requirements.fromLabels(labels))
        .and(Requirements.fromLabels(Map.of(Labels.NODEPOOL, pool.getMetadata().getName())));
  }

  static Instant instant(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
