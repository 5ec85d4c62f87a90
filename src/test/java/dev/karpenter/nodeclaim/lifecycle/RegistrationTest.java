package dev.karpenter.nodeclaim.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.testing.ClusterObjects;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistrationTest {
  final LifecycleSteps steps = new LifecycleSteps();
  final Registration registration = new Registration();

  NodeClaim launchedClaim() {
    return steps.launched(
        ClusterObjects.nodeClaim(
            "default-abcde", "default", steps.clock.instant(), List.of("m5.large"), "cpu", "1"));
  }

  @Test
  void anUnlaunchedClaimHasNothingToRegister() {
    NodeClaim c =
        ClusterObjects.nodeClaim(
            "x", "default", steps.clock.instant(), List.of("m5.large"), "cpu", "1");
    Reconciliation r = Reconciliation.of(c, Optional.empty(), steps.clock);
    assertEquals(Result.DONE, registration.reconcile(r));
    assertFalse(r.statusChanged());
  }

  @Test
  void withoutItsNodeTheClaimWaits() {
    NodeClaim c = launchedClaim();
    Reconciliation r = Reconciliation.of(c, Optional.empty(), steps.clock);
    assertEquals(Result.requeueAfter(Duration.ofSeconds(5)), registration.reconcile(r));
    assertFalse(NodeClaims.isTrue(r.claim(), NodeClaims.REGISTERED));
    assertTrue(r.nodeEdits().isEmpty());
  }

  @Test
  void theJoinedNodeGetsTheClaimsLabelsAndLosesTheUnregisteredTaint() {
    NodeClaim c = launchedClaim();
    Taint gpu = ClusterObjects.taint("nvidia.com/gpu", "NoSchedule");
    Node node =
        LifecycleSteps.nodeFor(
            c,
            true,
            List.of(ClusterObjects.taint(Labels.UNREGISTERED_TAINT_KEY, "NoExecute"), gpu),
            "cpu",
            "1930m");
    Reconciliation r = Reconciliation.of(c, Optional.of(node), steps.clock);

    assertEquals(Result.DONE, registration.reconcile(r));

    Node after = r.node().orElseThrow();
    assertEquals("true", after.getMetadata().getLabels().get(Labels.NODE_REGISTERED));
    assertEquals("default", after.getMetadata().getLabels().get(Labels.NODEPOOL));
    assertEquals("m5.large", after.getMetadata().getLabels().get(Labels.INSTANCE_TYPE));
    assertEquals(List.of(gpu), after.getSpec().getTaints(), "only the unregistered taint goes");
    assertEquals(List.of(NodeClaims.FINALIZER), after.getMetadata().getFinalizers());
    assertEquals(node.getMetadata().getName(), r.status().getNodeName());
    assertTrue(r.becameTrue(NodeClaims.REGISTERED));
    assertEquals(1, r.nodeEdits().size());
    assertEquals("Registered", r.events().getFirst().reason());

    // The edits re-apply to a newer Node (what the controller patches) with the same outcome.
    Node newer = LifecycleSteps.nodeFor(c, true, node.getSpec().getTaints(), "cpu", "1930m");
    newer.getMetadata().getLabels().put("other", "kept");
    Node patched = r.nodeEdits().getFirst().apply(newer);
    assertEquals("kept", patched.getMetadata().getLabels().get("other"));
    assertEquals(List.of(gpu), patched.getSpec().getTaints());
  }

  @Test
  void aRegisteredClaimIsNotRegisteredAgain() {
    NodeClaim c = launchedClaim();
    Node node = LifecycleSteps.nodeFor(c, true, List.of(), "cpu", "1930m");
    NodeClaim registered = steps.registered(c, node);
    Reconciliation r = Reconciliation.of(registered, Optional.of(node), steps.clock);
    assertEquals(Result.DONE, registration.reconcile(r));
    assertTrue(r.nodeEdits().isEmpty());
    assertTrue(r.events().isEmpty());
  }
}
