package dev.karpenter.nodeclaim.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.testing.ClusterObjects;
import io.fabric8.kubernetes.api.model.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TerminationTest {
  final LifecycleSteps steps = new LifecycleSteps();
  final KarpenterMetrics metrics = new KarpenterMetrics();
  final Map<String, Node> nodes = new HashMap<>();
  final List<String> deletedNodes = new ArrayList<>();
  final List<String> terminatedEvents = new ArrayList<>();
  final Termination termination =
      new Termination(
          steps.cloud,
          new Termination.Nodes() {
            @Override
            public Optional<Node> byProviderId(String providerId) {
              return Optional.ofNullable(providerId == null ? null : nodes.get(providerId));
            }

            @Override
            public void delete(Node node) {
              deletedNodes.add(node.getMetadata().getName());
              node.getMetadata().setDeletionTimestamp(steps.clock.instant().toString());
            }
          },
          metrics);

  NodeClaim launched() {
    return steps.launched(
        ClusterObjects.nodeClaim(
            "default-abcde", "default", steps.clock.instant(), List.of("m5.large"), "cpu", "1"));
  }

  double terminated(String reason) {
    return metrics
        .registry()
        .find("karpenter.nodeclaims.terminated")
        .tag("reason", reason)
        .counters()
        .stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  @Test
  void theNodeGoesFirstAndTheInstanceOnlyOnceTheNodeIsGone() {
    NodeClaim c = launched();
    Node node = LifecycleSteps.nodeFor(c, true, List.of(), "cpu", "1930m");
    nodes.put(c.getStatus().getProviderID(), node);

    assertInstanceOf(Termination.Step.Wait.class, termination.finalize(c, terminatedEvents::add));
    assertInstanceOf(Termination.Step.Wait.class, termination.finalize(c, terminatedEvents::add));
    assertEquals(List.of(node.getMetadata().getName()), deletedNodes, "deleted once, then waited");
    assertTrue(steps.cloud.deleteCalls().isEmpty(), "the instance outlives its Node's drain");

    nodes.clear();
    Termination.Step done = termination.finalize(c, terminatedEvents::add);
    assertEquals(new Termination.Step.Done("Deleted"), done);
    assertEquals(1, steps.cloud.deleteCalls().size());
    assertEquals(1, terminatedEvents.size());
    assertEquals(1.0, terminated("Deleted"));
  }

  @Test
  void theRecordedDisruptionReasonLabelsTheTerminatedMetric() {
    NodeClaim c = launched();
    Reconciliation r = Reconciliation.of(c, Optional.empty(), steps.clock);
    r.setCondition(
        NodeClaims.DISRUPTION_REASON, "True", Liveness.REGISTRATION_TIMEOUT, "did not register");
    // As read back after a restart: the reason lives in the object.
    NodeClaim stored = r.claim();

    assertEquals(
        new Termination.Step.Done(Liveness.REGISTRATION_TIMEOUT),
        termination.finalize(stored, terminatedEvents::add));
    assertEquals(1.0, terminated(Liveness.REGISTRATION_TIMEOUT));
  }

  @Test
  void aClaimThatNeverLaunchedHasNoInstanceToTerminate() {
    NodeClaim c =
        ClusterObjects.nodeClaim(
            "default-xyz", "default", steps.clock.instant(), List.of("m5.large"), "cpu", "1");
    assertEquals(
        new Termination.Step.Done("Deleted"), termination.finalize(c, terminatedEvents::add));
    assertTrue(steps.cloud.deleteCalls().isEmpty());
  }
}
