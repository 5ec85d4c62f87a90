package dev.karpenter.nodeclaim.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.testing.ClusterObjects;
import dev.karpenter.testing.FakeCloudProvider;
import dev.karpenter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LaunchTest {
  final ManualClock clock = new ManualClock();
  final FakeCloudProvider cloud = new FakeCloudProvider(clock);
  final Launch launch = new Launch(cloud);

  NodeClaim claim(String... instanceTypes) {
    return ClusterObjects.nodeClaim(
        "default-abcde", "default", clock.instant(), List.of(instanceTypes), "cpu", "1");
  }

  Reconciliation pass(NodeClaim c) {
    return Reconciliation.of(c, Optional.empty(), clock);
  }

  @Test
  void launchesTheCheapestOfferingAndRecordsWhatLaunched() {
    Reconciliation r = pass(claim("m5.large", "m5.xlarge"));
    assertEquals(Result.DONE, launch.reconcile(r));

    InstanceType m5 = cloud.catalog().get("m5.large").orElseThrow();
    Offering cheapest =
        m5.offerings().stream()
            .filter(o -> o.available() && o.capacityType().equals(Labels.ON_DEMAND))
            .min(
                java.util.Comparator.comparingDouble(Offering::price).thenComparing(Offering::zone))
            .orElseThrow();
    NodeClaim c = r.claim();
    assertEquals("m5.large", c.getMetadata().getLabels().get(Labels.INSTANCE_TYPE));
    assertEquals(Labels.ON_DEMAND, c.getMetadata().getLabels().get(Labels.CAPACITY_TYPE));
    assertEquals(cheapest.zone(), c.getMetadata().getLabels().get(Labels.ZONE));
    assertEquals("default", c.getMetadata().getLabels().get(Labels.NODEPOOL), "own labels kept");
    assertTrue(c.getStatus().getProviderID().startsWith(FakeCloudProvider.PROVIDER_ID_PREFIX));
    assertEquals("2", c.getStatus().getCapacity().get("cpu").toString(), "catalog capacity");
    assertTrue(NodeClaims.isTrue(c, NodeClaims.LAUNCHED));
    assertEquals(
        "NodeNotFound",
        NodeClaims.condition(c, NodeClaims.REGISTERED).orElseThrow().reason(),
        "waiting for the Node");
    assertTrue(r.becameTrue(NodeClaims.LAUNCHED));
    assertTrue(r.labelsChanged() && r.statusChanged());
    assertEquals(List.of("Launched"), r.events().stream().map(e -> e.reason()).toList());
    assertEquals(1, cloud.createCalls().size());
  }

  @Test
  void aStaleCopyOfALaunchedClaimDoesNotLaunchASecondInstance() {
    NodeClaim c = claim("m5.large");
    Reconciliation first = pass(c);
    launch.reconcile(first);
    // The informer has not delivered our status write yet: the same unlaunched copy comes back.
    Reconciliation again = pass(c);
    launch.reconcile(again);
    assertEquals(1, cloud.createCalls().size());
    assertEquals(
        first.status().getProviderID(),
        again.status().getProviderID(),
        "the second pass records the instance the first launched");
  }

  @Test
  void insufficientCapacityDeletesTheClaimAndTheCloudRemembersTheOfferings() {
    InstanceType m5 = cloud.catalog().get("m5.large").orElseThrow();
    List<Offering> onDemand =
        m5.offerings().stream().filter(o -> o.capacityType().equals(Labels.ON_DEMAND)).toList();
    onDemand.forEach(o -> cloud.insufficientCapacity("m5.large", o.zone(), Labels.ON_DEMAND));
    Reconciliation r = pass(claim("m5.large"));

    Result result = launch.reconcile(r);

    assertEquals(Launch.PROVISIONING_FAILED, result.deletion().orElseThrow().reason());
    assertEquals("InsufficientCapacityError", r.events().getFirst().reason());
    assertFalse(NodeClaims.isTrue(r.claim(), NodeClaims.LAUNCHED));
    for (Offering o : onDemand) {
      assertTrue(
          cloud.unavailableOfferings().isUnavailable("m5.large", o.zone(), Labels.ON_DEMAND),
          "the provider owns the ICE cache: " + o.zone());
    }
    assertTrue(
        cloud.instanceTypes(null).stream()
            .filter(t -> t.name().equals("m5.large"))
            .flatMap(t -> t.offerings().stream())
            .filter(o -> o.capacityType().equals(Labels.ON_DEMAND))
            .noneMatch(Offering::available),
        "the next scheduling round sees them unavailable");
  }

  @Test
  void aCreateErrorLeavesLaunchedUnknownAndRetriesWithoutRepeatingTheEvent() {
    cloud.failCreates(new CloudProviderException.CreateError("RequestLimitExceeded"));
    Reconciliation r = pass(claim("m5.large"));

    assertEquals(Result.requeueAfter(Duration.ofSeconds(5)), launch.reconcile(r));
    var launched = NodeClaims.condition(r.claim(), NodeClaims.LAUNCHED).orElseThrow();
    assertEquals("Unknown", launched.status());
    assertEquals("LaunchFailed", launched.reason());
    assertEquals("RequestLimitExceeded", launched.message());
    assertEquals(1, r.events().size());

    clock.advance(Duration.ofSeconds(5));
    Reconciliation retry = pass(r.claim());
    launch.reconcile(retry);
    assertTrue(retry.events().isEmpty(), "same failure, no second event");
    assertFalse(retry.statusChanged(), "and no status write");
    assertEquals(2, cloud.createCalls().size());
  }
}
