package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.disruption.DisruptionController;
import dev.karpenter.disruption.decision.Method;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.state.Writes;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The disruption loop end to end on the local control plane with the simulated cloud: real
 * kube-scheduler, ReplicaSet, Job and disruption (PDB status) controllers, one in-process operator
 * whose disruption loop polls every second and validates after two, on a clock the test can move
 * (budget windows). Each test owns its NodePools and namespace.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DisruptionIT {
  static KubernetesClient client;
  static SimulatedCloudProvider cloud;
  static KarpenterOperator operator;
  static final ShiftedClock CLOCK = new ShiftedClock();
  static final List<DisruptionController.Executed> EXECUTED = new CopyOnWriteArrayList<>();

  /** The system clock plus an offset the test sets: budget windows without waiting for them. */
  static final class ShiftedClock extends Clock {
    volatile Duration offset = Duration.ZERO;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    E2E.installCrds(client);
    OperatorConfig config =
        E2E.config("disruption-it", "disruption-it")
            .withDisruption(
                DisruptionController.Settings.defaults()
                    .withTimings(
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(3)));
    cloud = E2E.cloud(client, config);
    try {
      operator =
          new KarpenterOperator(
                  client, config, cloud.module(), new KarpenterMetrics(), Clock.systemUTC())
              .withDisruptionClock(CLOCK)
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    operator.disruption().onExecuted(EXECUTED::add);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
      cloud.close();
    }
  }

  // ------------------------------------------------------------------ helpers

  static void pool(String name, List<String> types, String disruption) {
    E2E.applyYaml(
        client,
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            spec:
              requirements:
                - key: node.kubernetes.io/instance-type
                  operator: In
                  values: %s
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
            .formatted(
                name,
                types.stream().map(t -> "'" + t + "'").toList(),
                disruption.indent(4).stripTrailing()));
  }

  static Pod pod(String ns, String name, String pool, Map<String, String> requests) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .withTerminationGracePeriodSeconds(0L)
            .withNodeSelector(Map.of("karpenter.sh/nodepool", pool))
            .addNewContainer()
            .withName("app")
            .withImage("registry.k8s.io/pause:3.10")
            .withNewResources()
            .withRequests(
                requests.entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> new Quantity(e.getValue()))))
            .withLimits(
                requests.containsKey("nvidia.com/gpu")
                    ? Map.of("nvidia.com/gpu", new Quantity(requests.get("nvidia.com/gpu")))
                    : Map.of())
            .endResources()
            .endContainer()
            .endSpec();
    return b.build();
  }

  static Pod get(String ns, String name) {
    return client.pods().inNamespace(ns).withName(name).get();
  }

  static String nodeOf(Pod p) {
    return p == null || p.getSpec() == null ? null : p.getSpec().getNodeName();
  }

  static List<Node> nodes(String pool) {
    return client.nodes().withLabel("karpenter.sh/nodepool", pool).list().getItems();
  }

  static String instanceType(String node) {
    Node n = client.nodes().withName(node).get();
    return n == null ? null : n.getMetadata().getLabels().get("node.kubernetes.io/instance-type");
  }

  static boolean disrupting(Node n) {
    return n.getMetadata().getDeletionTimestamp() != null
        || (n.getSpec().getTaints() != null
            && n.getSpec().getTaints().stream()
                .anyMatch(t -> "karpenter.sh/disrupted".equals(t.getKey())));
  }

  /** Events with {@code reason} on the object named {@code name} in {@code ns}. */
  static List<Event> events(String ns, String name, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  static double counter(String name, String... tags) {
    var c = operator.metrics().registry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  static Deployment deployment(
      String ns, String name, int replicas, String cpu, String pool, Map<String, String> ann) {
    Deployment d = E2E.deployment(ns, name, replicas, cpu, Map.of("karpenter.sh/nodepool", pool));
    d.getSpec().getTemplate().getMetadata().setAnnotations(ann);
    return d;
  }

  /** A 3-cpu pod that only an m5.xlarge holds, Running; returns its node. */
  static String bigNode(String ns, String pool) {
    client.resource(pod(ns, "big", pool, Map.of("cpu", "3"))).create();
    E2E.await(
        "pod big in " + ns + " Running",
        Duration.ofSeconds(180),
        () -> E2E.running(get(ns, "big")));
    String node = nodeOf(get(ns, "big"));
    assertEquals("m5.xlarge", instanceType(node), "the 3-cpu pod needs an m5.xlarge");
    return node;
  }

  static void deletePod(String ns, String name) {
    client.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
    E2E.await(
        "pod " + name + " in " + ns + " gone", Duration.ofSeconds(60), () -> get(ns, name) == null);
  }

  // ------------------------------------------------------------------ tests

  @Test
  @Order(1)
  void anEmptyGpuNodeGoesAfterConsolidateAfter() {
    String ns = "e2e-d-empty";
    String np = "e2e-d-empty";
    pool(
        np,
        List.of("g4dn.xlarge"),
        """
        consolidationPolicy: WhenEmpty
        consolidateAfter: 10s
        """);
    E2E.namespace(client, ns);
    try {
      double before = counter("karpenter.voluntary.disruption.decisions", "reason", "empty");
      client.resource(pod(ns, "gpu", np, Map.of("cpu", "1", "nvidia.com/gpu", "1"))).create();
      E2E.await("the GPU pod Running", Duration.ofSeconds(180), () -> E2E.running(get(ns, "gpu")));
      String node = nodeOf(get(ns, "gpu"));
      NodeClaim claim = E2E.claims(client, np).getFirst();
      Instant emptied = Instant.now();
      deletePod(ns, "gpu");
      E2E.await(
          "the empty GPU node's NodeClaim deleted",
          Duration.ofSeconds(120),
          () -> {
            NodeClaim c =
                client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get();
            return c == null || c.getMetadata().getDeletionTimestamp() != null;
          });
      Instant deleted = Instant.now();
      assertTrue(
          Duration.between(emptied, deleted).compareTo(Duration.ofSeconds(10)) >= 0,
          "the node went only after consolidateAfter (10s): " + Duration.between(emptied, deleted));
      E2E.await("node " + node + " gone", Duration.ofSeconds(120), () -> nodes(np).isEmpty());
      assertTrue(
          EXECUTED.stream()
              .anyMatch(
                  e ->
                      e.decision().method() == Method.Emptiness
                          && e.decision().nodes().contains(node)
                          && e.outcome() == DisruptionController.Outcome.EXECUTED),
          "emptiness removed " + node + ": " + EXECUTED);
      assertTrue(
          counter("karpenter.voluntary.disruption.decisions", "reason", "empty") > before,
          "karpenter_voluntary_disruption_decisions_total{reason=empty} counted it");
      assertTrue(
          counter(
                  "karpenter.nodeclaims.disrupted",
                  "reason",
                  "empty",
                  "nodepool",
                  np,
                  "capacity_type",
                  "on-demand")
              >= 1);
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  @Order(2)
  void anUnderutilizedNodeIsReplacedByACheaperOneWithNoPodLeftPending() {
    String ns = "e2e-d-under";
    String np = "e2e-d-under";
    pool(
        np,
        List.of("m5.large", "m5.xlarge"),
        """
        consolidationPolicy: WhenEmptyOrUnderutilized
        consolidateAfter: 3s
        """);
    E2E.namespace(client, ns);
    try {
      String old = bigNode(ns, np);
      client.resource(deployment(ns, "app", 1, "500m", np, Map.of())).create();
      E2E.await(
          "app Running next to big",
          Duration.ofSeconds(120),
          () ->
              E2E.pods(client, ns, "app").stream()
                  .anyMatch(p -> E2E.running(p) && old.equals(nodeOf(p))));
      deletePod(ns, "big");
      E2E.await(
          "the m5.xlarge and its NodeClaim replaced and app Running elsewhere",
          Duration.ofSeconds(180),
          () -> {
            List<Pod> app = E2E.pods(client, ns, "app");
            return client.nodes().withName(old).get() == null
                && E2E.claims(client, np).size() == 1
                && app.size() == 1
                && E2E.running(app.getFirst())
                && !old.equals(nodeOf(app.getFirst()));
          });
      Pod app = E2E.pods(client, ns, "app").getFirst();
      assertEquals("m5.large", instanceType(nodeOf(app)), "app runs on the cheaper replacement");
      assertEquals(1, E2E.claims(client, np).size(), "one node left: the replacement");
      List<Pod> pending =
          client.pods().inNamespace(ns).list().getItems().stream()
              .filter(p -> !E2E.running(p))
              .toList();
      assertTrue(pending.isEmpty(), "no pod left pending: " + pending);
      var executed =
          EXECUTED.stream()
              .filter(e -> e.decision().nodes().contains(old))
              .filter(e -> e.outcome() == DisruptionController.Outcome.EXECUTED)
              .findFirst()
              .orElseThrow(() -> new AssertionError("no executed command for " + old));
      assertEquals(Method.SingleNodeConsolidation, executed.decision().method());
      assertEquals(1, executed.decision().replacements().size());
      double oldPrice =
          E2E.CATALOG.get("m5.xlarge").orElseThrow().offerings().stream()
              .filter(o -> o.capacityType().equals("on-demand"))
              .mapToDouble(o -> o.price())
              .min()
              .orElseThrow();
      double newPrice = executed.decision().replacements().getFirst().pricePerHour();
      assertTrue(newPrice < oldPrice, "replacement $" + newPrice + "/h < $" + oldPrice + "/h");
      assertTrue(executed.decision().savingsPerHour() > 0);
      assertTrue(
          counter(
                  "karpenter.voluntary.disruption.decisions",
                  "decision",
                  "replace",
                  "reason",
                  "underutilized",
                  "consolidation_type",
                  "single")
              >= 1);
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  @Order(3)
  void aDoNotDisruptPodAJobPodAndAPdbEachBlockConsolidationAndSaySo() {
    String ns = "e2e-d-block";
    List<String> pools = List.of("e2e-d-dnd", "e2e-d-job", "e2e-d-pdb");
    for (String np : pools) {
      pool(
          np,
          List.of("m5.large", "m5.xlarge"),
          """
          consolidationPolicy: WhenEmptyOrUnderutilized
          consolidateAfter: 2s
          """);
    }
    E2E.namespace(client, ns);
    try {
      // One big pod per pool, each on its own m5.xlarge.
      for (String np : pools) {
        client.resource(pod(ns, "big-" + np, np, Map.of("cpu", "3"))).create();
      }
      for (String np : pools) {
        E2E.await(
            "big-" + np + " Running",
            Duration.ofSeconds(180),
            () -> E2E.running(get(ns, "big-" + np)));
      }
      Map<String, String> nodes =
          pools.stream().collect(Collectors.toMap(p -> p, p -> nodeOf(get(ns, "big-" + p))));
      client
          .resource(
              deployment(
                  ns,
                  "training",
                  1,
                  "500m",
                  "e2e-d-dnd",
                  Map.of("karpenter.sh/do-not-disrupt", "true")))
          .create();
      var jobPod = pod(ns, "x", "e2e-d-job", Map.of("cpu", "500m")).getSpec();
      jobPod.setRestartPolicy("Never");
      client
          .resource(
              new JobBuilder()
                  .withNewMetadata()
                  .withName("batch")
                  .withNamespace(ns)
                  .endMetadata()
                  .withNewSpec()
                  .withParallelism(1)
                  .withCompletions(1)
                  .withNewTemplate()
                  .withNewMetadata()
                  .addToLabels("app", "batch")
                  .endMetadata()
                  .withSpec(jobPod)
                  .endTemplate()
                  .endSpec()
                  .build())
          .create();
      // 3 + 2 x 0.25 cpu fits the m5.xlarge's 3.92 allocatable; 0.5 fits an m5.large.
      client.resource(deployment(ns, "inference", 2, "250m", "e2e-d-pdb", Map.of())).create();
      client
          .resource(
              new PodDisruptionBudgetBuilder()
                  .withNewMetadata()
                  .withName("inference")
                  .withNamespace(ns)
                  .endMetadata()
                  .withNewSpec()
                  .withMinAvailable(new IntOrString(2))
                  .withNewSelector()
                  .addToMatchLabels("app", "inference")
                  .endSelector()
                  .endSpec()
                  .build())
          .create();
      Map<String, String> apps =
          Map.of("e2e-d-dnd", "training", "e2e-d-job", "batch", "e2e-d-pdb", "inference");
      for (String np : pools) {
        String app = apps.get(np);
        E2E.await(
            app + " Running next to big-" + np,
            Duration.ofSeconds(120),
            () -> {
              List<Pod> ps = E2E.pods(client, ns, app);
              return !ps.isEmpty()
                  && ps.stream().allMatch(p -> E2E.running(p) && nodes.get(np).equals(nodeOf(p)))
                  && ps.size() == (np.equals("e2e-d-pdb") ? 2 : 1);
            });
      }
      E2E.await(
          "PDB inference observed with 0 disruptions allowed",
          Duration.ofSeconds(60),
          () -> {
            var pdb =
                client
                    .policy()
                    .v1()
                    .podDisruptionBudget()
                    .inNamespace(ns)
                    .withName("inference")
                    .get();
            return pdb.getStatus() != null
                && pdb.getStatus().getCurrentHealthy() != null
                && pdb.getStatus().getCurrentHealthy() == 2
                && pdb.getStatus().getDisruptionsAllowed() == 0;
          });
      for (String np : pools) {
        deletePod(ns, "big-" + np);
      }
      Map<String, String> says =
          Map.of(
              "e2e-d-dnd", "karpenter.sh/do-not-disrupt",
              "e2e-d-job", "belongs to running Job batch",
              "e2e-d-pdb", "PDB " + ns + "/inference allows no disruption");
      for (String np : pools) {
        String node = nodes.get(np);
        E2E.await(
            "a DisruptionBlocked event on node " + node + " naming " + says.get(np),
            Duration.ofSeconds(60),
            () ->
                events("default", node, "DisruptionBlocked").stream()
                    .anyMatch(e -> e.getMessage().contains(says.get(np))));
        String app = apps.get(np);
        E2E.await(
            "a DisruptionBlocked event on a pod of " + app,
            Duration.ofSeconds(30),
            () ->
                E2E.pods(client, ns, app).stream()
                    .anyMatch(
                        p ->
                            !events(ns, p.getMetadata().getName(), "DisruptionBlocked").isEmpty()));
      }
      // The same shape without a blocker is replaced within seconds (the test above); these stay
      // through several passes past consolidateAfter and the validation delay.
      long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
      while (System.nanoTime() < until) {
        for (String np : pools) {
          Node n = client.nodes().withName(nodes.get(np)).get();
          assertNotNull(n, "node of " + np + " still there");
          assertTrue(!disrupting(n), "node of " + np + " not disrupted");
          assertEquals(1, E2E.claims(client, np).size(), "no replacement launched in " + np);
        }
        E2E.sleep(500);
      }
    } finally {
      client.batch().v1().jobs().inNamespace(ns).withName("batch").delete();
      E2E.cleanUp(client, ns, pools);
    }
  }

  @Test
  @Order(4)
  void changingRequirementsDriftsNodesOneByOneUnderADriftedBudgetOfOne() throws Exception {
    String ns = "e2e-d-drift";
    String np = "e2e-d-drift";
    String disruption =
        """
        consolidationPolicy: WhenEmpty
        consolidateAfter: 1h
        budgets:
          - nodes: '1'
            reasons: ['Drifted']
        """;
    pool(np, List.of("m5.large"), disruption);
    E2E.namespace(client, ns);
    AtomicInteger maxDisrupting = new AtomicInteger();
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler =
        new Thread(
            () -> {
              while (sampling.get()) {
                try {
                  int n = (int) nodes(np).stream().filter(DisruptionIT::disrupting).count();
                  maxDisrupting.accumulateAndGet(n, Math::max);
                } catch (RuntimeException e) {
                  // a failed list is a missed sample
                }
                E2E.sleep(100);
              }
            },
            "drift-sampler");
    try {
      // 1.2 cpu: one replica per m5.large.
      client
          .resource(E2E.deployment(ns, "web", 3, "1200m", Map.of("karpenter.sh/nodepool", np)))
          .create();
      E2E.await(
          "3 replicas Running on 3 m5.large",
          Duration.ofSeconds(180),
          () -> {
            List<Pod> ps = E2E.pods(client, ns, "web");
            return ps.stream().filter(E2E::running).count() == 3
                && ps.stream().map(DisruptionIT::nodeOf).distinct().count() == 3;
          });
      Set<String> original =
          E2E.pods(client, ns, "web").stream()
              .map(DisruptionIT::nodeOf)
              .collect(Collectors.toSet());
      sampler.start();
      pool(np, List.of("c5.large"), disruption);
      E2E.await(
          "every replica Running on a c5.large and the m5.large nodes gone",
          Duration.ofSeconds(300),
          () -> {
            List<Pod> ps = E2E.pods(client, ns, "web");
            return ps.size() == 3
                && ps.stream().allMatch(E2E::running)
                && ps.stream().allMatch(p -> "c5.large".equals(instanceType(nodeOf(p))))
                && nodes(np).stream().noneMatch(n -> original.contains(n.getMetadata().getName()));
          });
      sampling.set(false);
      sampler.join();
      assertTrue(maxDisrupting.get() >= 1, "the sampler saw the drift replacements");
      assertEquals(
          1, maxDisrupting.get(), "never more than 1 node disrupting at once under nodes: '1'");
      long drifts =
          EXECUTED.stream()
              .filter(e -> e.decision().method() == Method.Drift)
              .filter(e -> original.containsAll(e.decision().nodes()))
              .filter(e -> e.outcome() == DisruptionController.Outcome.EXECUTED)
              .count();
      assertEquals(3, drifts, "one drift command per node: " + EXECUTED);
    } finally {
      sampling.set(false);
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  @Order(5)
  void theBusinessHoursFreezeBlocksConsolidationInsideTheWindowAndAllowsItOutside() {
    String ns = "e2e-d-freeze";
    String np = "e2e-d-freeze";
    // The guide's freeze: no voluntary disruption 09:00-19:00 UTC on weekdays.
    pool(
        np,
        List.of("m5.large"),
        """
        consolidationPolicy: WhenEmptyOrUnderutilized
        consolidateAfter: 1s
        budgets:
          - nodes: '0'
            schedule: '0 9 * * MON-FRI'
            duration: 10h
        """);
    E2E.namespace(client, ns);
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    ZonedDateTime monday =
        now.with(TemporalAdjusters.next(DayOfWeek.MONDAY)).withHour(0).withMinute(0).withSecond(0);
    try {
      // Inside the window: next Monday 10:00 UTC.
      CLOCK.offset = Duration.between(now, monday.withHour(10));
      client.resource(pod(ns, "web", np, Map.of("cpu", "1"))).create();
      E2E.await("web Running", Duration.ofSeconds(180), () -> E2E.running(get(ns, "web")));
      String node = nodeOf(get(ns, "web"));
      deletePod(ns, "web");
      E2E.await(
          "a DisruptionBlocked event on " + node + " naming the budget",
          Duration.ofSeconds(60),
          () ->
              events("default", node, "DisruptionBlocked").stream()
                  .anyMatch(
                      e ->
                          e.getMessage().contains("budget")
                              && e.getMessage().contains("0 9 * * MON-FRI")));
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < until) {
        Node n = client.nodes().withName(node).get();
        assertNotNull(n, "the empty node stays inside the freeze");
        assertTrue(!disrupting(n), "the empty node is not disrupted inside the freeze");
        E2E.sleep(500);
      }
      // Outside the window: the same Monday, 20:00 UTC.
      CLOCK.offset = Duration.between(now, monday.withHour(20));
      E2E.await(
          "the empty node removed outside the freeze",
          Duration.ofSeconds(60),
          () -> {
            Node n = client.nodes().withName(node).get();
            return n == null || n.getMetadata().getDeletionTimestamp() != null;
          });
      assertNull(
          EXECUTED.stream()
              .filter(e -> e.decision().nodes().contains(node))
              .filter(e -> e.outcome() == DisruptionController.Outcome.EXECUTED)
              .filter(e -> e.decision().method() != Method.Emptiness)
              .findFirst()
              .orElse(null),
          "emptiness removed it");
    } finally {
      CLOCK.offset = Duration.ZERO;
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  @Order(6)
  void aFailedReplacementRollsBackAndACrashsLeftoversAreCleaned() {
    String ns = "e2e-d-rollback";
    String np = "e2e-d-rollback";
    pool(
        np,
        List.of("m5.large", "m5.xlarge"),
        """
        consolidationPolicy: WhenEmptyOrUnderutilized
        consolidateAfter: 2s
        """);
    E2E.namespace(client, ns);
    try {
      String old = bigNode(ns, np);
      NodeClaim claim = E2E.claims(client, np).getFirst();
      client.resource(deployment(ns, "app", 1, "500m", np, Map.of())).create();
      E2E.await(
          "app Running next to big",
          Duration.ofSeconds(120),
          () ->
              E2E.pods(client, ns, "app").stream()
                  .anyMatch(p -> E2E.running(p) && old.equals(nodeOf(p))));
      // The cheaper replacement (m5.large) cannot launch anywhere.
      E2E.CATALOG.get("m5.large").orElseThrow().offerings().stream()
          .filter(o -> o.capacityType().equals("on-demand"))
          .forEach(o -> cloud.injectInsufficientCapacity("on-demand", "m5.large", o.zone()));
      double failures = counter("karpenter.voluntary.disruption.queue.failures");
      deletePod(ns, "big");
      E2E.await(
          "the consolidation of " + old + " rolled back",
          Duration.ofSeconds(120),
          () ->
              EXECUTED.stream()
                  .anyMatch(
                      e ->
                          e.decision().nodes().contains(old)
                              && e.outcome() == DisruptionController.Outcome.ROLLED_BACK));
      E2E.await(
          "a DisruptionFailed event on " + old,
          Duration.ofSeconds(30),
          () -> !events("default", old, "DisruptionFailed").isEmpty());
      // Each failed launch teaches the ICE cache the offerings it tried; once it knows them all
      // there is no cheaper replacement left to try, and the candidate is back to normal.
      E2E.await(
          "the candidate untainted, its DisruptionReason cleared, the replacement gone",
          Duration.ofSeconds(60),
          () -> {
            Node now = client.nodes().withName(old).get();
            NodeClaim cn =
                client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get();
            return now != null
                && !disrupting(now)
                && cn != null
                && dev.karpenter.state.NodeClaims.disruptionReason(cn).isEmpty()
                && E2E.claims(client, np).size() == 1;
          });
      assertTrue(E2E.running(E2E.pods(client, ns, "app").getFirst()), "app never moved");
      assertEquals(old, nodeOf(E2E.pods(client, ns, "app").getFirst()));
      Node n = client.nodes().withName(old).get();
      NodeClaim c = client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get();
      assertTrue(counter("karpenter.voluntary.disruption.queue.failures") > failures);

      // A crash between taint and delete leaves both behind; the next pass removes them.
      Writes.edit(
          client,
          n,
          x -> {
            List<Taint> taints =
                x.getSpec().getTaints() == null
                    ? new ArrayList<>()
                    : new ArrayList<>(x.getSpec().getTaints());
            taints.add(new Taint("NoSchedule", "karpenter.sh/disrupted", null, null));
            x.getSpec().setTaints(taints);
            return x;
          });
      Writes.editStatus(
          client,
          c,
          x -> {
            List<Condition> conditions = new ArrayList<>(x.getStatus().getConditions());
            conditions.add(
                new Condition(
                    "DisruptionReason",
                    "True",
                    null,
                    Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    "Underutilized",
                    "left by a crash"));
            x.getStatus().setConditions(conditions);
            return x;
          });
      E2E.await(
          "the stale taint and DisruptionReason removed",
          Duration.ofSeconds(60),
          () -> {
            Node now = client.nodes().withName(old).get();
            NodeClaim cn =
                client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get();
            return now != null
                && !disrupting(now)
                && dev.karpenter.state.NodeClaims.disruptionReason(cn).isEmpty();
          });
    } finally {
      cloud.clearInsufficientCapacity();
      E2E.cleanUp(client, ns, List.of(np));
    }
  }
}
