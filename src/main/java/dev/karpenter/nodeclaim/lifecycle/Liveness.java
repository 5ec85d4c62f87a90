package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.state.NodeClaims;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Liveness: a claim the cloud has not launched {@code launchTtl} after its creation is deleted
 * ({@code LaunchTimeout}); a launched claim whose Node has not registered {@code registrationTtl}
 * after the launch is deleted ({@code RegistrationTimeout}).
 */
public final class Liveness {
  public static final String LAUNCH_TIMEOUT = "LaunchTimeout";
  public static final String REGISTRATION_TIMEOUT = "RegistrationTimeout";
  // Wake just after the deadline rather than on it, so the check sees it passed.
  private static final Duration MARGIN = Duration.ofMillis(100);

  private final Duration registrationTtl;
  private final Duration launchTtl;

  public Liveness(Duration registrationTtl, Duration launchTtl) {
    this.registrationTtl = registrationTtl;
    this.launchTtl = launchTtl;
  }

  public Result reconcile(Reconciliation r) {
    NodeClaim claim = r.claim();
    if (NodeClaims.isTrue(claim, NodeClaims.REGISTERED)) {
      return Result.DONE;
    }
    Instant now = r.clock().instant();
    if (!NodeClaims.isTrue(claim, NodeClaims.LAUNCHED)) {
      Instant created = Instant.parse(claim.getMetadata().getCreationTimestamp());
      Duration left = Duration.between(now, created.plus(launchTtl));
      if (left.compareTo(Duration.ZERO) <= 0) {
        String why =
            NodeClaims.condition(claim, NodeClaims.LAUNCHED)
                .map(Condition::message)
                .filter(m -> !m.isEmpty())
                .map(m -> ": " + m)
                .orElse("");
        String message = "NodeClaim was not launched within " + launchTtl + why;
        r.warning(LAUNCH_TIMEOUT, message + "; deleting it");
        return Result.delete(LAUNCH_TIMEOUT, message);
      }
      return Result.requeueAfter(left.plus(MARGIN));
    }
    Optional<Instant> launchedAt =
        NodeClaims.condition(claim, NodeClaims.LAUNCHED)
            .map(c -> Instant.parse(c.lastTransitionTime()));
    Duration left = Duration.between(now, launchedAt.orElse(now).plus(registrationTtl));
    if (left.compareTo(Duration.ZERO) <= 0) {
      String message = "Node did not register within " + registrationTtl;
      r.warning(REGISTRATION_TIMEOUT, message + "; deleting NodeClaim");
      return Result.delete(REGISTRATION_TIMEOUT, message);
    }
    return Result.requeueAfter(left.plus(MARGIN));
  }
}
