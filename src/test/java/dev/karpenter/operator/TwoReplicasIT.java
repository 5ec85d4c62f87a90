package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two operator replicas against one cloud (as two pods of the Deployment share one AWS account):
 * the Lease makes exactly one of them provision, also across a hand-over, so no pod ever gets two
 * instances.
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
  void twoReplicasNeverLaunchTwiceAlsoAcrossALeaderHandOver(KubernetesClient client) {
    E2E.installCrds(client);
    // m5.xlarge has 4 vCPU: one 3-cpu pod per node, so a double launch shows as an extra instance.
    E2E.nodePool(client, NP, List.of("m5.xlarge"), List.of("on-demand"), null);
    E2E.namespace(client, NS);
    OperatorConfig a = E2E.config("replica-a", "two-replicas-it");
    SimulatedCloudProvider cloud = E2E.cloud(client, a);
    KarpenterOperator first = E2E.operator(client, a, cloud);
    KarpenterOperator second =
        E2E.operator(client, E2E.config("replica-b", "two-replicas-it"), cloud);
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
      leader.close();
      E2E.await("the standby to take over", Duration.ofSeconds(120), standby::isLeader);
      client.apps().deployments().inNamespace(NS).withName("web").scale(9);
      awaitRunning(client, 9);
      assertOneInstancePerClaim(client, cloud, 9);
    } finally {
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
