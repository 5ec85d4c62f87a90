package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two operator replicas against one cloud (as two pods of the Deployment share one AWS account):
 * the Lease makes exactly one of them provision, also across a graceful hand-over with pods
 * pending, so no pod ever gets two instances, and the stopping leader releases the Lease within 2 s
 * so the standby takes over within seconds instead of after the Lease expires.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class TwoReplicasIT {
  // -Dkarpenter.test.cpuBurner=true runs this class with both cores busy (the loaded-machine
  // audit).
  @RegisterExtension static final CpuBurner.Extension BURNER = new CpuBurner.Extension(false);

  static final String NS = "e2e-replicas";
  static final String NP = "e2e-replicas";

  @Test
  void twoReplicasNeverLaunchTwiceAlsoAcrossALeaderHandOver(KubernetesClient client)
      throws InterruptedException {
    E2E.installCrds(client);
    // m5.xlarge has 4 vCPU: one 3-cpu pod per node, so a double launch shows as an extra instance.
    E2E.nodePool(client, NP, List.of("m5.xlarge"), List.of("on-demand"), null);
    E2E.namespace(client, NS);
    OperatorConfig a = E2E.config("replica-a", "two-replicas-it");
    SimulatedCloudProvider cloud = E2E.cloud(client, a);
    KarpenterOperator first = E2E.operator(client, a, cloud);
    KarpenterOperator second =
        E2E.operator(client, E2E.config("replica-b", "two-replicas-it"), cloud);
    AtomicBoolean bothLed = new AtomicBoolean();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  while (sampling.get()) {
                    if (first.isLeader() && second.isLeader()) {
                      bothLed.set(true);
                    }
                    E2E.sleep(5);
                  }
                });
    try {
      E2E.await("a leader", Duration.ofSeconds(240), () -> first.isLeader() || second.isLeader());
      client
          .resource(E2E.deployment(NS, "web", 6, "3", Map.of("karpenter.sh/nodepool", NP)))
          .create();
      awaitRunning(client, 6);
      assertEquals(1, (first.isLeader() ? 1 : 0) + (second.isLeader() ? 1 : 0), "one leader");
      assertOneInstancePerClaim(client, cloud, 6);

      KarpenterOperator leader = first.isLeader() ? first : second;
      KarpenterOperator standby = leader == first ? second : first;
      // Three more pods pending while the leadership moves: either replica may plan them, not both.
      client.apps().deployments().inNamespace(NS).withName("web").scale(9);
      long stop = System.nanoTime();
      long[] steppedDown = new long[1];
      // When the Lease stopped naming the old leader (released, or taken after it expired).
      long[] leaseLeft = new long[1];
      String[] leaseHolder = new String[1];
      String leaderId = leader == first ? "replica-a" : "replica-b";
      Thread watcher =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    while (leader.isLeader()) {
                      E2E.sleep(2);
                    }
                    steppedDown[0] = System.nanoTime();
                    while (System.nanoTime() - steppedDown[0] < Duration.ofSeconds(30).toNanos()) {
                      var l =
                          client
                              .leases()
                              .inNamespace(a.leaseNamespace())
                              .withName(a.leaseName())
                              .get();
                      String holder = l == null ? null : l.getSpec().getHolderIdentity();
                      if (!leaderId.equals(holder)) {
                        leaseLeft[0] = System.nanoTime();
                        leaseHolder[0] = holder;
                        return;
                      }
                      E2E.sleep(5);
                    }
                  });
      leader.close();
      long closed = System.nanoTime();
      long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
      while (!standby.isLeader() && System.nanoTime() < deadline) {
        E2E.sleep(2);
      }
      long tookOver = System.nanoTime();
      watcher.join(35_000);
      // From the old leader stepping down (it then releases the Lease) to the Lease no longer
      // naming it, and to the standby leading (which includes JOSDK starting its controllers). The
      // old leader's own shutdown before that (JOSDK stopping informers, seconds on a machine at
      // load 40) is reported, and bounded by the Lease duration, which only a release can beat.
      Duration handOver = Duration.ofNanos(tookOver - steppedDown[0]);
      Duration fromClose = Duration.ofNanos(tookOver - stop);
      Duration released =
          leaseLeft[0] == 0 ? null : Duration.ofNanos(leaseLeft[0] - steppedDown[0]);
      String lease =
          released == null
              ? "the Lease still named " + leaderId + " 30 s after it stepped down"
              : String.format(
                  "the Lease stopped naming %s %d ms after it stepped down (then held by '%s')",
                  leaderId, released.toMillis(), leaseHolder[0]);
      System.out.printf(
          "graceful hand-over: %d ms from the leader stepping down, %d ms from close() (close()"
              + " took %d ms); %s%n",
          handOver.toMillis(), fromClose.toMillis(), (closed - stop) / 1_000_000, lease);
      assertTrue(standby.isLeader(), "the standby took over");
      assertTrue(
          released != null
              && released.compareTo(Duration.ofSeconds(2)) < 0
              && (leaseHolder[0] == null
                  || leaseHolder[0].isEmpty()
                  || leaseHolder[0].equals(
                      leaderId.equals("replica-a") ? "replica-b" : "replica-a")),
          "the stopping leader released its Lease within 2 s: " + lease);
      assertTrue(
          handOver.compareTo(Duration.ofSeconds(2)) < 0,
          "the standby led " + handOver + " after the leader stepped down, want < 2 s; " + lease);
      assertTrue(
          fromClose.compareTo(KarpenterOperator.LEASE_DURATION) < 0,
          "hand-over " + fromClose + " from close(), want < the Lease duration");
      awaitRunning(client, 9);
      assertOneInstancePerClaim(client, cloud, 9);
      assertFalse(bothLed.get(), "the two replicas were never leaders at the same time");
    } finally {
      sampling.set(false);
      try {
        E2E.cleanUp(client, NS, List.of(NP));
      } finally {
        first.close();
        second.close();
        cloud.close();
      }
    }
  }

  private static void awaitRunning(KubernetesClient client, int n) {
    E2E.await(
        n + " replicas Running",
        Duration.ofSeconds(240),
        () -> E2E.pods(client, NS, "web").stream().filter(E2E::running).count() == n);
  }

  private static void assertOneInstancePerClaim(
      KubernetesClient client, SimulatedCloudProvider cloud, int expected) {
    List<NodeClaim> claims = E2E.claims(client, NP);
    assertEquals(expected, claims.size(), "one NodeClaim per 3-cpu pod");
    assertEquals(expected, cloud.launchCount(), "one launch per NodeClaim, never a second one");
    Set<String> owners =
        cloud.instances().stream()
            .map(SimulatedCloudProvider.Instance::nodeClaim)
            .collect(Collectors.toSet());
    assertEquals(expected, owners.size(), "no NodeClaim owns two instances");
  }
}
