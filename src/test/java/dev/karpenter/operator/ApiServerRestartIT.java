package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.testing.LocalCluster;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * kube-apiserver killed (SIGKILL) and restarted on the same port and etcd while pods are pending
 * (issue #14 item 2): the operator's watches reconnect, the pending pods get nodes, one NodeClaim
 * and one instance per pod, and the NodePool's limit (exactly the pods' nodes) is never exceeded by
 * the instances, which a decision on a stale snapshot (claims the informers had not shown yet)
 * would do. If the outage outlasts the leader's renew deadline the operator stops (lost
 * leadership); the test then starts a new one, as Kubernetes restarts the exited container.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class ApiServerRestartIT {
  static final String NS = "e2e-apiserver-restart";
  static final String NP = "e2e-apiserver-restart";
  static final int BEFORE = 2;
  static final int DURING = 3;

  @Test
  void watchesReconnectAndPendingPodsArePlacedOnceAfterAnApiServerRestart(
      LocalCluster cluster, KubernetesClient client) throws Exception {
    E2E.installCrds(client);
    E2E.namespace(client, NS);
    // One 3-cpu pod per m5.xlarge (4 cpu); the limit fits exactly one node per pod.
    int pods = BEFORE + DURING;
    E2E.nodePool(client, NP, List.of("m5.xlarge"), List.of("on-demand"), 4 * pods);
    OperatorConfig config = E2E.config("apiserver-restart", "apiserver-restart-it");
    SimulatedCloudProvider cloud = E2E.cloud(client, config);
    KarpenterOperator op = E2E.operator(client, config, cloud);
    KarpenterOperator restarted = null;
    AtomicInteger maxInstances = new AtomicInteger();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  while (sampling.get()) {
                    maxInstances.accumulateAndGet(cloud.instances().size(), Math::max);
                    E2E.sleep(20);
                  }
                });
    try {
      E2E.await("the operator leads", Duration.ofSeconds(120), op::isLeader);
      client
          .resource(E2E.deployment(NS, "before", BEFORE, "3", Map.of("karpenter.sh/nodepool", NP)))
          .create();
      awaitRunning(client, "before", BEFORE);
      long launchesBefore = cloud.launchCount();

      client
          .resource(E2E.deployment(NS, "during", DURING, "3", Map.of("karpenter.sh/nodepool", NP)))
          .create();
      Duration outage = cluster.restartApiServer(Duration.ofSeconds(2), true);
      boolean lostLeadership = op.isClosed();
      System.out.printf(
          "API server down and back in %d ms; operator %s%n",
          outage.toMillis(), lostLeadership ? "lost the Lease and stopped" : "kept leading");
      E2E.await("the API server answers", Duration.ofSeconds(60), () -> ready(client));
      E2E.sleep(1000);
      if (op.isClosed()) {
        // What the kubelet does with the exited container: start it again.
        restarted = E2E.operator(client, config.withIdentity("apiserver-restart-2"), cloud);
      }
      awaitRunning(client, "during", DURING);
      awaitRunning(client, "before", BEFORE);
      E2E.sleep(3000);
      assertEquals(pods, E2E.claims(client, NP).size(), "one NodeClaim per pod");
      assertEquals(
          launchesBefore + DURING, cloud.launchCount(), "one launch per new pod, none twice");
      assertTrue(
          maxInstances.get() <= pods,
          "instances never exceeded the limit's " + pods + " nodes: peak " + maxInstances.get());
      System.out.printf(
          "APISERVER-RESTART: outage %d ms, %s, %d pods Running, %d NodeClaims, peak %d"
              + " instances%n",
          outage.toMillis(),
          lostLeadership ? "leadership lost and operator restarted" : "leadership kept",
          pods,
          E2E.claims(client, NP).size(),
          maxInstances.get());
    } finally {
      sampling.set(false);
      sampler.join(1000);
      try {
        E2E.cleanUp(client, NS, List.of(NP));
      } catch (RuntimeException | AssertionError e) {
        // Never mask what failed the test.
        System.out.println("cleanup failed: " + e);
      } finally {
        if (restarted != null) {
          restarted.close();
        }
        op.close();
        cloud.close();
      }
    }
  }

  private static boolean ready(KubernetesClient client) {
    try {
      client.namespaces().withName(NS).get();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void awaitRunning(KubernetesClient client, String app, int n) {
    E2E.await(
        n + " " + app + " pods Running",
        Duration.ofSeconds(180),
        () -> {
          try {
            return E2E.pods(client, NS, app).stream().filter(E2E::running).count() == n;
          } catch (RuntimeException e) {
            return false;
          }
        });
  }
}
