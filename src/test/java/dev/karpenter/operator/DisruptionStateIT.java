package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * NodeClaim disruption state end to end on the local control plane with the simulated cloud:
 * forceful expiration replaces a node, Consolidatable follows pod events and consolidateAfter,
 * Drifted follows the NodePool, and the NodePool shows its budgets in force. The pools set budgets
 * that block the graceful methods, so only the controllers under test act on their nodes.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class DisruptionStateIT {
  static KubernetesClient client;
  static SimulatedCloudProvider cloud;
  static KarpenterOperator operator;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    E2E.installCrds(client);
    OperatorConfig config = E2E.config("disruption-state-it", "disruption-state-it");
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

  static void nodePool(String name, String expireAfter, String templateLabel, String disruption) {
    E2E.applyYaml(
        client,
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            metadata:
              labels:
                e2e-revision: '%s'
            spec:
              expireAfter: %s
              requirements:
                - key: node.kubernetes.io/instance-type
                  operator: In
                  values: ['m5.xlarge']
                - key: karpenter.sh/capacity-type
                  operator: In
                  values: ['on-demand']
              nodeClassRef:
                group: karpenter.k8s.aws
                kind: EC2NodeClass
                name: default
          disruption:
        %s
        """
            .formatted(name, templateLabel, expireAfter, disruption));
  }

  static Optional<Condition> condition(NodeClaim c, String type) {
    return NodeClaims.condition(c, type);
  }

  static Optional<NodeClaim> claim(String name) {
    return Optional.ofNullable(client.resources(NodeClaim.class).withName(name).get());
  }

  static Optional<Condition> poolCondition(String pool, String type) {
    NodePool p = client.resources(NodePool.class).withName(pool).get();
    if (p == null || p.getStatus() == null || p.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return p.getStatus().getConditions().stream().filter(c -> type.equals(c.type())).findFirst();
  }

  static List<Event> eventsAnywhere(String kind, String name, String reason) {
    return client.v1().events().inAnyNamespace().list().getItems().stream()
        .filter(e -> kind.equals(e.getInvolvedObject().getKind()))
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  static double metric(String line) {
    for (String l : operator.metrics().scrape().split("\n")) {
      if (l.startsWith(line)) {
        return Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  @Test
  void expireAfterReplacesTheNodeAndThePodRunsOnANewOne() {
    String ns = "e2e-expire";
    String np = "e2e-expire";
    // Graceful disruption frozen: only expiration (forceful) may remove the node.
    nodePool(np, "25s", "1", "    budgets:\n      - nodes: '0'");
    E2E.namespace(client, ns);
    try {
      client
          .resource(E2E.deployment(ns, "app", 1, "1", Map.of("karpenter.sh/nodepool", np)))
          .create();
      E2E.await(
          "the pod Running",
          Duration.ofSeconds(180),
          () -> E2E.pods(client, ns, "app").stream().anyMatch(E2E::running));
      Pod first = E2E.pods(client, ns, "app").stream().filter(E2E::running).findFirst().get();
      String firstNode = first.getSpec().getNodeName();
      String providerId = client.nodes().withName(firstNode).get().getSpec().getProviderID();
      NodeClaim old =
          E2E.claims(client, np).stream()
              .filter(c -> providerId.equals(c.getStatus().getProviderID()))
              .findFirst()
              .orElseThrow();
      String oldName = old.getMetadata().getName();
      assertEquals("25s", old.getSpec().expireAfter());
      Instant created = Instant.parse(old.getMetadata().getCreationTimestamp());

      E2E.await(
          "NodeClaim " + oldName + " to expire and be gone",
          Duration.ofSeconds(180),
          () -> claim(oldName).isEmpty());
      // Deleted no earlier than its expiry: the Expired event was recorded at or after it.
      E2E.await(
          "the Expired event on " + oldName,
          Duration.ofSeconds(30),
          () -> !eventsAnywhere("NodeClaim", oldName, "Expired").isEmpty());
      List<Event> expired = eventsAnywhere("NodeClaim", oldName, "Expired");
      assertEquals(1, expired.size(), "one Expired event on " + oldName + ": " + expired);
      Instant eventAt =
          Instant.parse(
              Optional.ofNullable(expired.get(0).getLastTimestamp())
                  .orElse(expired.get(0).getMetadata().getCreationTimestamp()));
      assertTrue(
          !eventAt.isBefore(created.plusSeconds(25)),
          "expired at " + eventAt + ", created " + created);
      assertTrue(
          expired.get(0).getMessage().contains("expireAfter 25s"), expired.get(0).getMessage());

      E2E.await(
          "the Deployment's pod Running on a new node",
          Duration.ofSeconds(180),
          () ->
              E2E.pods(client, ns, "app").stream()
                  .anyMatch(p -> E2E.running(p) && !firstNode.equals(p.getSpec().getNodeName())));
      assertTrue(
          metric(
                  "karpenter_nodeclaims_disrupted_total{capacity_type=\"on-demand\",nodepool=\""
                      + np
                      + "\",reason=\"expired\"}")
              >= 1,
          operator
              .metrics()
              .scrape()
              .lines()
              .filter(l -> l.contains("disrupted"))
              .toList()
              .toString());
      // The termination reported why: DisruptionReason=Expired was set before the deletion.
      assertTrue(
          operator
              .metrics()
              .scrape()
              .lines()
              .anyMatch(
                  l ->
                      l.startsWith("karpenter_nodeclaims_terminated_total{")
                          && l.contains("nodepool=\"" + np + "\"")
                          && l.contains("reason=\"Expired\"")
                          && !l.endsWith(" 0.0")),
          "karpenter_nodeclaims_terminated_total counts the claim with reason Expired");
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  void consolidatableFollowsPodEventsAndDriftedFollowsTheNodePool() {
    String ns = "e2e-dstate";
    String np = "e2e-dstate";
    String disruption =
        """
            consolidationPolicy: WhenEmpty
            consolidateAfter: 20s
            budgets:
              - nodes: '0'
                reasons: ['Drifted']
              - nodes: '1'
        """;
    nodePool(np, "Never", "1", disruption);
    E2E.namespace(client, ns);
    try {
      client
          .resource(E2E.deployment(ns, "app", 1, "1", Map.of("karpenter.sh/nodepool", np)))
          .create();
      E2E.await(
          "the pod Running",
          Duration.ofSeconds(180),
          () -> E2E.pods(client, ns, "app").stream().anyMatch(E2E::running));
      String claimName = E2E.claims(client, np).getFirst().getMetadata().getName();

      E2E.await(
          "Consolidatable=True consolidateAfter after the pod was bound",
          Duration.ofSeconds(120),
          () ->
              claim(claimName)
                  .flatMap(c -> condition(c, "Consolidatable"))
                  .filter(Condition::isTrue)
                  .isPresent());
      NodeClaim c = claim(claimName).orElseThrow();
      String lastPodEvent = c.getStatus().getLastPodEventTime();
      assertNotNull(lastPodEvent, "the pod's binding set lastPodEventTime");
      Instant becameTrue = Instant.parse(condition(c, "Consolidatable").get().lastTransitionTime());
      assertTrue(
          !becameTrue.isBefore(Instant.parse(lastPodEvent).plusSeconds(20)),
          "Consolidatable at " + becameTrue + ", last pod event " + lastPodEvent);
      assertEquals("NotDrifted", condition(c, "Drifted").get().reason());

      // A second replica binds to the same node: the wait starts again.
      client.apps().deployments().inNamespace(ns).withName("app").scale(2);
      E2E.await(
          "Consolidatable=False after the second pod was bound",
          Duration.ofSeconds(120),
          () ->
              claim(claimName)
                  .flatMap(x -> condition(x, "Consolidatable"))
                  .filter(x -> "ConsolidateAfterNotPassed".equals(x.reason()))
                  .isPresent());
      E2E.await(
          "Consolidatable=True again",
          Duration.ofSeconds(120),
          () ->
              claim(claimName)
                  .flatMap(x -> condition(x, "Consolidatable"))
                  .filter(Condition::isTrue)
                  .isPresent());

      // The NodePool's budget condition, counting the one initialized node.
      E2E.await(
          "the NodePool's DisruptionBudgetsInForce condition",
          Duration.ofSeconds(60),
          () ->
              poolCondition(np, "DisruptionBudgetsInForce")
                  .filter(x -> x.message().startsWith("1 node;"))
                  .isPresent());
      Condition budgets = poolCondition(np, "DisruptionBudgetsInForce").get();
      assertEquals("DisruptionsBlocked", budgets.reason());
      assertEquals(
          "1 node; Empty: 1 allowed (budgets[1] nodes=1);"
              + " Drifted: 0 allowed (budgets[0] nodes=0 reasons=[Drifted]);"
              + " Underutilized: 1 allowed (budgets[1] nodes=1)",
          budgets.message());
      assertEquals(
          0.0,
          metric(
              "karpenter_nodepools_allowed_disruptions{nodepool=\""
                  + np
                  + "\",reason=\"Drifted\"}"));
      assertEquals(
          1.0,
          metric(
              "karpenter_nodepools_allowed_disruptions{nodepool=\"" + np + "\",reason=\"Empty\"}"));
      assertTrue(
          !eventsAnywhere("NodePool", np, "DisruptionBudgetsInForce").isEmpty(),
          "an event announced the budgets in force");

      // Changing the NodePool's template drifts the claim launched from the old one.
      nodePool(np, "Never", "2", disruption);
      E2E.await(
          "Drifted=True NodePoolDrifted",
          Duration.ofSeconds(60),
          () ->
              claim(claimName)
                  .flatMap(x -> condition(x, "Drifted"))
                  .filter(x -> x.isTrue() && "NodePoolDrifted".equals(x.reason()))
                  .isPresent());
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }
}
