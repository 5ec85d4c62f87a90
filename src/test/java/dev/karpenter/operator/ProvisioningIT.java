package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The provisioning loop end to end on the local control plane (real kube-scheduler marks pods
 * Unschedulable, real controllers run Deployments), one in-process operator on the simulated cloud.
 * Each test owns a NodePool and a namespace and terminates its NodeClaims before the next.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class ProvisioningIT {
  // -Dkarpenter.test.cpuBurner=true runs this class with both cores busy (the loaded-machine
  // audit).
  @RegisterExtension static final CpuBurner.Extension BURNER = new CpuBurner.Extension(false);

  static final Duration LAUNCH_TTL = Duration.ofSeconds(15);
  static KubernetesClient client;
  static SimulatedCloudProvider cloud;
  static KarpenterOperator operator;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    E2E.installCrds(client);
    OperatorConfig config =
        E2E.config("provisioning-it", "provisioning-it")
            .withTimeouts(Duration.ofMinutes(15), LAUNCH_TTL);
    cloud = E2E.cloud(client, config);
    operator = E2E.operator(client, config, cloud);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
      cloud.close();
    }
  }

  static Map<String, String> pool(String name) {
    return Map.of("karpenter.sh/nodepool", name);
  }

  // The 200-pod burst against a cpu limit lives in LimitsIT, under a CPU burner.

  @Test
  void scalingADeploymentFrom2To10AddsCapacity() {
    String ns = "e2e-scale";
    String np = "e2e-scale";
    // m5.xlarge has 4 vCPU: one 3-cpu pod per node, so every new replica needs a new node.
    E2E.nodePool(client, np, List.of("m5.xlarge"), List.of("on-demand"), null);
    E2E.namespace(client, ns);
    try {
      client.resource(E2E.deployment(ns, "web", 2, "3", pool(np))).create();
      E2E.await(
          "2 replicas Running",
          Duration.ofSeconds(180),
          () -> E2E.pods(client, ns, "web").stream().filter(E2E::running).count() == 2);
      assertEquals(2, E2E.claims(client, np).size());

      client.apps().deployments().inNamespace(ns).withName("web").scale(10);
      E2E.await(
          "10 replicas Running",
          Duration.ofSeconds(240),
          () -> E2E.pods(client, ns, "web").stream().filter(E2E::running).count() == 10);
      Set<String> nodes =
          E2E.pods(client, ns, "web").stream()
              .filter(E2E::running)
              .map(p -> p.getSpec().getNodeName())
              .collect(Collectors.toSet());
      assertEquals(10, nodes.size(), "each replica got a node of its own: " + nodes);
      assertEquals(10, E2E.claims(client, np).size());
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  void anInsufficientCapacityErrorFallsBackToTheNextOffering() {
    String ns = "e2e-ice";
    String np = "e2e-ice";
    E2E.nodePool(client, np, List.of("m5.large"), List.of("spot", "on-demand"), null);
    E2E.namespace(client, ns);
    List<Offering> spot =
        E2E.CATALOG.get("m5.large").orElseThrow().offerings().stream()
            .filter(o -> o.capacityType().equals("spot") && o.available())
            .toList();
    assertFalse(spot.isEmpty(), "the catalog offers m5.large spot");
    spot.forEach(o -> cloud.injectInsufficientCapacity("spot", "m5.large", o.zone()));
    try {
      client.resource(E2E.deployment(ns, "app", 1, "1", pool(np))).create();
      E2E.await(
          "the pod Running",
          Duration.ofSeconds(180),
          () -> E2E.pods(client, ns, "app").stream().anyMatch(E2E::running));
      Pod pod = E2E.pods(client, ns, "app").getFirst();
      Node node = client.nodes().withName(pod.getSpec().getNodeName()).get();
      assertEquals(
          "m5.large", node.getMetadata().getLabels().get("node.kubernetes.io/instance-type"));
      assertEquals(
          "on-demand",
          node.getMetadata().getLabels().get("karpenter.sh/capacity-type"),
          "spot had no capacity, so the launch fell back to on-demand");
    } finally {
      cloud.clearInsufficientCapacity();
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  void deletingANodeClaimDrainsAndRemovesItsNode() {
    String ns = "e2e-drain";
    String np = "e2e-drain";
    E2E.nodePool(client, np, List.of("m5.large"), List.of("on-demand"), null);
    E2E.namespace(client, ns);
    try {
      client.resource(E2E.deployment(ns, "app", 1, "1", pool(np))).create();
      E2E.await(
          "the pod Running",
          Duration.ofSeconds(180),
          () -> E2E.pods(client, ns, "app").stream().anyMatch(E2E::running));
      Pod original = E2E.pods(client, ns, "app").getFirst();
      String nodeName = original.getSpec().getNodeName();
      NodeClaim claim = E2E.claims(client, np).getFirst();
      assertEquals(nodeName, claim.getStatus().getNodeName());

      client.resource(claim).delete();
      E2E.await(
          "node " + nodeName + " and its NodeClaim to be gone",
          Duration.ofSeconds(180),
          () ->
              client.nodes().withName(nodeName).get() == null
                  && client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get()
                      == null);
      assertTrue(
          client.v1().events().inNamespace(ns).list().getItems().stream()
              .anyMatch(
                  e ->
                      "Evicted".equals(e.getReason())
                          && original
                              .getMetadata()
                              .getName()
                              .equals(e.getInvolvedObject().getName())),
          "the pod was evicted through the Eviction API before the node went away");
      E2E.await(
          "the replacement pod Running on another node",
          Duration.ofSeconds(180),
          () ->
              E2E.pods(client, ns, "app").stream()
                  .anyMatch(
                      p ->
                          E2E.running(p)
                              && !p.getMetadata()
                                  .getUid()
                                  .equals(original.getMetadata().getUid())));
      Pod replacement =
          E2E.pods(client, ns, "app").stream().filter(E2E::running).findFirst().orElseThrow();
      assertNotEquals(nodeName, replacement.getSpec().getNodeName());
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  void aNodeClaimThatCannotLaunchIsDeletedAfterTheLaunchTimeout() {
    String ns = "e2e-launch";
    String np = "e2e-launch";
    E2E.nodePool(client, np, List.of("m5.large"), List.of("on-demand"), null);
    E2E.namespace(client, ns);
    cloud.injectCreateError("RequestLimitExceeded: request rate exceeded (simulated)");
    try {
      client.resource(E2E.deployment(ns, "app", 1, "1", pool(np))).create();
      E2E.await(
          "a NodeClaim with Launched=Unknown/LaunchFailed",
          Duration.ofSeconds(90),
          () ->
              E2E.claims(client, np).stream()
                  .anyMatch(
                      c ->
                          dev.karpenter.state.NodeClaims.condition(
                                  c, dev.karpenter.state.NodeClaims.LAUNCHED)
                              .filter(x -> "LaunchFailed".equals(x.reason()))
                              .isPresent()));
      String failing = E2E.claims(client, np).getFirst().getMetadata().getName();
      E2E.await(
          failing + " to be deleted after the launch timeout",
          LAUNCH_TTL.plusSeconds(60),
          () -> client.resources(NodeClaim.class).withName(failing).get() == null);
      assertTrue(
          client.v1().events().inNamespace("default").list().getItems().stream()
              .anyMatch(
                  e ->
                      "LaunchTimeout".equals(e.getReason())
                          && failing.equals(e.getInvolvedObject().getName())),
          "a LaunchTimeout event explains the deletion");
    } finally {
      cloud.injectCreateError(null);
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  void podsRunOnceTheSimulatedDaemonLiftsTheStartupTaint() {
    String ns = "e2e-startup";
    String np = "e2e-startup";
    String taint = "example.com/agent-not-ready";
    E2E.nodePool(client, np, List.of("m5.large"), List.of("on-demand"), null, taint);
    E2E.namespace(client, ns);
    try {
      // The pod does not tolerate the startup taint: it can only run once the taint is gone.
      client.resource(E2E.deployment(ns, "app", 1, "1", pool(np))).create();
      E2E.await(
          "the pod Running",
          Duration.ofSeconds(180),
          () -> E2E.pods(client, ns, "app").stream().anyMatch(E2E::running));
      // The lifecycle controller notices the lifted taint on its next pass, maybe after the pod.
      E2E.await(
          "the NodeClaim Initialized once its startup taint is gone",
          Duration.ofSeconds(60),
          () ->
              dev.karpenter.state.NodeClaims.isTrue(
                  E2E.claims(client, np).getFirst(), dev.karpenter.state.NodeClaims.INITIALIZED));
      NodeClaim claim = E2E.claims(client, np).getFirst();
      Node node = client.nodes().withName(claim.getStatus().getNodeName()).get();
      assertTrue(
          node.getSpec().getTaints() == null
              || node.getSpec().getTaints().stream().noneMatch(t -> t.getKey().equals(taint)),
          "the startup taint was removed from the node");
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }
}
