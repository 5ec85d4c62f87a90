package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.testing.ClusterObjects;
import dev.karpenter.testing.FakeCloudProvider;
import dev.karpenter.testing.ManualClock;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Optional;

/** Drives claims through the real sub-reconcilers, as the controller's writes would. */
final class LifecycleSteps {
  final ManualClock clock = new ManualClock();
  final FakeCloudProvider cloud = new FakeCloudProvider(clock);
  final Launch launch = new Launch(cloud);
  final Registration registration = new Registration();

  /** A claim the cloud launched (as stored after the launch pass). */
  NodeClaim launched(NodeClaim claim) {
    Reconciliation r = Reconciliation.of(claim, Optional.empty(), clock);
    launch.reconcile(r);
    return r.claim();
  }

  /** A launched claim whose Node {@code node} registered (as stored after that pass). */
  NodeClaim registered(NodeClaim launched, Node node) {
    Reconciliation r = Reconciliation.of(launched, Optional.of(node), clock);
    registration.reconcile(r);
    return r.claim();
  }

  /** The Node a kubelet registers for a launched claim. */
  static Node nodeFor(NodeClaim launched, boolean ready, List<Taint> taints, String... alloc) {
    return ClusterObjects.node(
        "ip-10-0-0-1.ec2.internal", launched.getStatus().getProviderID(), ready, taints, alloc);
  }
}
