package dev.karpenter.nodeclaim.expiration;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.disruption.decision.GoDuration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** When a NodeClaim expires: its creationTimestamp + spec.expireAfter ({@code Never}: never). */
public final class Expiration {
  private Expiration() {}

  /**
   * @throws IllegalArgumentException when spec.expireAfter is not a duration
   */
  public static Optional<Instant> at(NodeClaim claim) {
    String created = claim.getMetadata().getCreationTimestamp();
    String after = claim.getSpec() == null ? null : claim.getSpec().expireAfter();
    if (created == null || after == null) {
      return Optional.empty();
    }
    Instant from;
    try {
      from = Instant.parse(created);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
    return GoDuration.parseOrNever(after).map(from::plus);
  }
}
