package dev.karpenter.nodeclaim.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.testing.ClusterObjects;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LivenessTest {
  static final Duration LAUNCH_TTL = Duration.ofMinutes(5);
  static final Duration REGISTRATION_TTL = Duration.ofMinutes(15);
  final LifecycleSteps steps = new LifecycleSteps();
  final Liveness liveness = new Liveness(REGISTRATION_TTL, LAUNCH_TTL);

  NodeClaim claim() {
    return ClusterObjects.nodeClaim(
        "default-abcde", "default", steps.clock.instant(), List.of("m5.large"), "cpu", "1");
  }

  @Test
  void aClaimThatCannotLaunchIsDeletedAtTheLaunchTimeoutAndNotBefore() {
    NodeClaim c = claim();
    steps.cloud.failCreates(new CloudProviderException.CreateError("RequestLimitExceeded"));
    Reconciliation failed = Reconciliation.of(c, Optional.empty(), steps.clock);
    steps.launch.reconcile(failed);
    NodeClaim stored = failed.claim();

    steps.clock.advance(LAUNCH_TTL.minusSeconds(1));
    Reconciliation early = Reconciliation.of(stored, Optional.empty(), steps.clock);
    assertEquals(
        Result.requeueAfter(Duration.ofMillis(1100)),
        liveness.reconcile(early),
        "wakes just after the deadline");
    assertTrue(early.events().isEmpty());

    steps.clock.advance(Duration.ofSeconds(1));
    Reconciliation due = Reconciliation.of(stored, Optional.empty(), steps.clock);
    Result.Deletion d = liveness.reconcile(due).deletion().orElseThrow();
    assertEquals(Liveness.LAUNCH_TIMEOUT, d.reason());
    assertTrue(d.message().contains("RequestLimitExceeded"), d.message());
    assertEquals(Liveness.LAUNCH_TIMEOUT, due.events().getFirst().reason());
  }

  @Test
  void aLaunchedClaimWhoseNodeNeverJoinsIsDeletedAtTheRegistrationTimeout() {
    NodeClaim launched = steps.launched(claim());
    steps.clock.advance(REGISTRATION_TTL.minusMillis(1));
    Reconciliation early = Reconciliation.of(launched, Optional.empty(), steps.clock);
    assertEquals(Result.requeueAfter(Duration.ofMillis(101)), liveness.reconcile(early));

    steps.clock.advance(Duration.ofMillis(1));
    Reconciliation due = Reconciliation.of(launched, Optional.empty(), steps.clock);
    assertEquals(
        Liveness.REGISTRATION_TIMEOUT, liveness.reconcile(due).deletion().orElseThrow().reason());
  }

  @Test
  void aRegisteredClaimIsAlive() {
    NodeClaim launched = steps.launched(claim());
    NodeClaim registered =
        steps.registered(launched, LifecycleSteps.nodeFor(launched, true, List.of(), "cpu", "2"));
    steps.clock.advance(REGISTRATION_TTL.multipliedBy(10));
    assertEquals(
        Result.DONE,
        liveness.reconcile(Reconciliation.of(registered, Optional.empty(), steps.clock)));
  }
}
