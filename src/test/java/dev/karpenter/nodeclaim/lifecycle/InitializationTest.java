package dev.karpenter.nodeclaim.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.Taint;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.testing.ClusterObjects;
import io.fabric8.kubernetes.api.model.Node;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InitializationTest {
  static final String AGENT = "example.com/agent-not-ready";
  final LifecycleSteps steps = new LifecycleSteps();
  final Initialization initialization = new Initialization();

  /** A registered g5.xlarge claim requesting a GPU, with a startup taint. */
  NodeClaim gpuClaim() {
    return steps.launched(
        ClusterObjects.nodeClaim(
            "gpu-abcde",
            "gpu",
            steps.clock.instant(),
            List.of("g5.xlarge"),
            List.of(new Taint(AGENT, null, Taint.Effect.NoSchedule, null)),
            "cpu",
            "1",
            "nvidia.com/gpu",
            "1"));
  }

  Reconciliation pass(NodeClaim launched, Node node) {
    NodeClaim registered = steps.registered(launched, node);
    return Reconciliation.of(registered, Optional.of(node), steps.clock);
  }

  void assertBlocked(Reconciliation r, String reason) {
    assertEquals(Result.requeueAfter(Duration.ofSeconds(1)), initialization.reconcile(r));
    var c = NodeClaims.condition(r.claim(), NodeClaims.INITIALIZED).orElseThrow();
    assertEquals("Unknown", c.status());
    assertEquals(reason, c.reason());
    assertEquals(
        "NotInitialized", NodeClaims.condition(r.claim(), NodeClaims.READY).orElseThrow().reason());
    assertFalse(
        r.node().orElseThrow().getMetadata().getLabels().containsKey(Labels.NODE_INITIALIZED));
  }

  @Test
  void aNodeThatIsNotReadyBlocks() {
    NodeClaim c = gpuClaim();
    assertBlocked(
        pass(c, LifecycleSteps.nodeFor(c, false, List.of(), "nvidia.com/gpu", "1")),
        "NodeNotReady");
  }

  @Test
  void aStartupTaintBlocksUntilItIsLifted() {
    NodeClaim c = gpuClaim();
    Node tainted =
        LifecycleSteps.nodeFor(
            c, true, List.of(ClusterObjects.taint(AGENT, "NoSchedule")), "nvidia.com/gpu", "1");
    assertBlocked(pass(c, tainted), "StartupTaintsExist");
  }

  @Test
  void aKnownEphemeralTaintBlocks() {
    NodeClaim c = gpuClaim();
    Node notReady =
        LifecycleSteps.nodeFor(
            c,
            true,
            List.of(ClusterObjects.taint("node.kubernetes.io/not-ready", "NoSchedule")),
            "nvidia.com/gpu",
            "1");
    assertBlocked(pass(c, notReady), "KnownEphemeralTaintsExist");
  }

  @Test
  void aRequestedGpuThatTheDevicePluginHasNotAdvertisedBlocks() {
    NodeClaim c = gpuClaim();
    assertBlocked(
        pass(c, LifecycleSteps.nodeFor(c, true, List.of(), "cpu", "3920m")),
        "ResourceNotRegistered");
  }

  @Test
  void readyUntaintedAndAdvertisedInitializesTheClaimAndLabelsTheNode() {
    NodeClaim c = gpuClaim();
    Reconciliation r = pass(c, LifecycleSteps.nodeFor(c, true, List.of(), "nvidia.com/gpu", "1"));

    assertEquals(Result.DONE, initialization.reconcile(r));

    assertTrue(r.becameTrue(NodeClaims.INITIALIZED));
    assertTrue(NodeClaims.isTrue(r.claim(), NodeClaims.READY));
    assertEquals(
        "true", r.node().orElseThrow().getMetadata().getLabels().get(Labels.NODE_INITIALIZED));
    assertEquals("Initialized", r.events().getFirst().reason());
  }

  @Test
  void theUnregisteredTaintThisPassRemovesBlocksUntilTheRemovalIsObserved() {
    NodeClaim launched = gpuClaim();
    Node joined =
        LifecycleSteps.nodeFor(
            launched,
            true,
            List.of(ClusterObjects.taint(Labels.UNREGISTERED_TAINT_KEY, "NoExecute")),
            "nvidia.com/gpu",
            "1");
    // Registration and initialization in one pass, as the controller runs them.
    Reconciliation r = Reconciliation.of(launched, Optional.of(joined), steps.clock);
    steps.registration.reconcile(r);
    assertTrue(r.node().orElseThrow().getSpec().getTaints().isEmpty(), "removal pending");
    assertBlocked(r, "KnownEphemeralTaintsExist");

    Node observed = r.nodeEdits().getFirst().apply(joined);
    Reconciliation next = Reconciliation.of(r.claim(), Optional.of(observed), steps.clock);
    assertEquals(Result.DONE, initialization.reconcile(next));
    assertTrue(NodeClaims.isTrue(next.claim(), NodeClaims.INITIALIZED));
  }

  @Test
  void anUnregisteredClaimIsNotInitialized() {
    NodeClaim c = gpuClaim();
    Reconciliation r = Reconciliation.of(c, Optional.empty(), steps.clock);
    assertEquals(Result.DONE, initialization.reconcile(r));
    assertFalse(r.statusChanged());
  }
}
