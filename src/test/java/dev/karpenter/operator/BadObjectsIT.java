package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.testing.LocalCluster;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad objects in the cluster (issue #14 item 3), all at once, against a {@code karpenter
 * controller} process (the packaged jar): a NodePool on a missing EC2NodeClass, one on a class that
 * is not ready, one whose requirements no instance type satisfies, one with a negative and an
 * absurdly large limit, a pod asking for a resource no instance offers, a NodeClaim made by hand on
 * a missing class, a NodeClaim edited by hand, and a pod annotated {@code
 * karpenter.sh/do-not-disrupt: "soon"}. Each gets a status condition (where the object has ours)
 * and a Warning event that say what is wrong; a good pod submitted after them still gets a node;
 * the process never exits and logs no failed provisioning round or reconciler error.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class BadObjectsIT {
  static final String NS = "e2e-bad-objects";
  static final String LEASE_NS = "e2e-bad-objects-lease";
  static final String GOOD = "e2e-bad-good";
  static final List<String> POOLS =
      List.of(
          GOOD, "e2e-bad-missing-class", "e2e-bad-unready-class", "e2e-bad-reqs", "e2e-bad-limits");

  @Test
  void everyBadObjectIsReportedAndTheRestIsServed(LocalCluster cluster, KubernetesClient client)
      throws Exception {
    E2E.installCrds(client);
    E2E.namespace(client, NS);
    E2E.namespace(client, LEASE_NS);
    Path log = Path.of("target", "bad-objects-controller.log");
    Process controller = null;
    try {
      controller = controller(cluster, log);
      E2E.nodePool(client, GOOD, List.of("m5.large", "m5.xlarge"), List.of("on-demand"), null);
      E2E.applyYaml(
          client,
          """
          apiVersion: karpenter.k8s.aws/v1
          kind: EC2NodeClass
          metadata:
            name: e2e-bad-unready
          spec:
            amiFamily: AL2023
            amiSelectorTerms:
              - id: ami-0123456789abcdef0
            role: KarpenterNodeRole-my-cluster
            subnetSelectorTerms:
              - tags:
                  karpenter.sh/discovery: my-cluster
            securityGroupSelectorTerms:
              - tags:
                  karpenter.sh/discovery: my-cluster
          """);
      E2E.applyYaml(client, pool("e2e-bad-missing-class", "e2e-bad-does-not-exist", "", ""));
      E2E.applyYaml(client, pool("e2e-bad-unready-class", "e2e-bad-unready", "", ""));
      E2E.applyYaml(
          client,
          pool(
              "e2e-bad-reqs",
              "default",
              """
                      - key: node.kubernetes.io/instance-type
                        operator: In
                        values: ['m5.xlarge']
                      - key: karpenter.k8s.aws/instance-family
                        operator: In
                        values: ['c5']
              """,
              ""));
      E2E.applyYaml(
          client,
          pool(
              "e2e-bad-limits",
              "default",
              "",
              """
                limits:
                  cpu: '-4'
                  memory: '1e40'
              """));
      E2E.applyYaml(
          client,
          """
          apiVersion: karpenter.sh/v1
          kind: NodeClaim
          metadata:
            name: e2e-bad-hand-made
            labels:
              karpenter.sh/nodepool: e2e-bad-hand-made
          spec:
            nodeClassRef:
              group: karpenter.k8s.aws
              kind: EC2NodeClass
              name: e2e-bad-nowhere
            requirements:
              - key: node.kubernetes.io/instance-type
                operator: In
                values: ['m5.large']
          """);
      client.resource(pod("impossible", GOOD, Map.of("example.com/fpga", "1"), Map.of())).create();
      for (String p : List.of("e2e-bad-missing-class", "e2e-bad-unready-class", "e2e-bad-limits")) {
        client.resource(pod("on-" + p, p, Map.of("cpu", "1"), Map.of())).create();
      }
      client
          .resource(
              pod(
                  "dnd-soon",
                  GOOD,
                  Map.of("cpu", "500m"),
                  Map.of("karpenter.sh/do-not-disrupt", "soon")))
          .create();
      // The good pod comes last: the operator serves it with every bad object already there.
      client.resource(pod("good", GOOD, Map.of("cpu", "1"), Map.of())).create();

      Duration timeout = Duration.ofSeconds(120);
      awaitCondition(
          client, "e2e-bad-missing-class", "NodeClassReady", "False", "not found", timeout);
      awaitEvent(client, "default", "e2e-bad-missing-class", "NodeClassNotReady", "not found");
      awaitCondition(
          client, "e2e-bad-unready-class", "NodeClassReady", "False", "is not ready", timeout);
      awaitEvent(client, "default", "e2e-bad-unready-class", "NodeClassNotReady", "not ready");
      E2E.await(
          "EC2NodeClass e2e-bad-unready Ready=False naming its AMI selector",
          timeout,
          () -> {
            EC2NodeClass nc =
                client.resources(EC2NodeClass.class).withName("e2e-bad-unready").get();
            return nc.getStatus() != null
                && nc.getStatus().getConditions() != null
                && nc.getStatus().getConditions().stream()
                    .anyMatch(
                        c ->
                            "Ready".equals(c.type())
                                && "False".equals(c.status())
                                && c.message().contains("amiSelectorTerms"));
          });
      awaitCondition(
          client, "e2e-bad-reqs", "InstanceTypesAvailable", "False", "instance-family", timeout);
      awaitEvent(client, "default", "e2e-bad-reqs", "NoInstanceTypes", "instance-family");
      awaitCondition(
          client, "e2e-bad-limits", "ValidationSucceeded", "False", "spec.limits.cpu", timeout);
      awaitCondition(client, "e2e-bad-limits", "Ready", "False", "", timeout);
      awaitEvent(client, "default", "e2e-bad-limits", "InvalidLimits", "'-4'");
      awaitEvent(client, "default", "e2e-bad-limits", "InvalidLimits", "treated as unlimited");
      awaitEvent(client, NS, "impossible", "FailedScheduling", "");
      awaitEvent(client, "default", "e2e-bad-hand-made", "NodeClassNotReady", "e2e-bad-nowhere");
      E2E.await(
          "the hand-made NodeClaim on a missing class to be deleted",
          timeout,
          () -> client.resources(NodeClaim.class).withName("e2e-bad-hand-made").get() == null);
      awaitEvent(client, NS, "dnd-soon", "InvalidDoNotDisrupt", "\"soon\"");
      E2E.await(
          "the good pod and the do-not-disrupt pod Running",
          timeout,
          () -> running(client, "good") && running(client, "dnd-soon"));
      // A NodeClaim edited by hand: the API server refuses a spec edit, naming it; a label added
      // by hand is kept and neither drifts nor disturbs the claim.
      NodeClaim edited = E2E.claims(client, GOOD).get(0);
      String editedName = edited.getMetadata().getName();
      io.fabric8.kubernetes.client.KubernetesClientException immutable =
          org.junit.jupiter.api.Assertions.assertThrows(
              io.fabric8.kubernetes.client.KubernetesClientException.class,
              () ->
                  client
                      .resources(NodeClaim.class)
                      .withName(editedName)
                      .patch(
                          io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                              io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                          "{\"spec\":{\"expireAfter\":\"1h\"}}"));
      assertTrue(
          immutable.getCode() == 422 && immutable.getMessage().contains("spec is immutable"),
          immutable.getMessage());
      client
          .resources(NodeClaim.class)
          .withName(editedName)
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              "{\"metadata\":{\"labels\":{\"team\":\"ml-platform\"}}}");
      // Nothing is launched for the bad pools' pods, and the good pool is the only one with claims.
      E2E.sleep(3000);
      for (String p : List.of("e2e-bad-missing-class", "e2e-bad-unready-class", "e2e-bad-limits")) {
        assertTrue(E2E.claims(client, p).isEmpty(), "no NodeClaim for NodePool " + p);
        assertFalse(running(client, "on-" + p), "pod on " + p + " stays pending");
      }
      assertFalse(running(client, "impossible"), "the fpga pod stays pending");
      // Fixed, the class becomes Ready and its pool's pending pod gets a node.
      client
          .resources(EC2NodeClass.class)
          .withName("e2e-bad-unready")
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              "{\"spec\":{\"amiSelectorTerms\":[{\"alias\":\"al2023@latest\"}]}}");
      E2E.await(
          "the pod of the fixed class's pool Running",
          timeout,
          () -> running(client, "on-e2e-bad-unready-class"));
      NodeClaim after = client.resources(NodeClaim.class).withName(editedName).get();
      assertTrue(
          after != null
              && after.getMetadata().getUid().equals(edited.getMetadata().getUid())
              && after.getMetadata().getDeletionTimestamp() == null
              && "ml-platform".equals(after.getMetadata().getLabels().get("team"))
              && !dev.karpenter.state.NodeClaims.isTrue(after, "Drifted"),
          "the hand-edited NodeClaim " + editedName + " is kept, with its label, not drifted");
      assertTrue(controller.isAlive(), "the controller never exited (zero restarts)");
      String out = Files.readString(log);
      for (String bad :
          List.of(
              "provisioning round failed",
              "Error during event processing",
              "Uncaught",
              "OutOfMemoryError")) {
        assertFalse(out.contains(bad), "controller log has no '" + bad + "'");
      }
      System.out.println(
          "BAD-OBJECTS: 7 bad objects reported with conditions/events; good pod Running;"
              + " controller alive, no failed round or reconciler error in its log");
    } finally {
      try {
        client.namespaces().withName(NS).delete();
        for (String p : POOLS) {
          client.resources(NodePool.class).withName(p).delete();
          client.resources(NodeClaim.class).withLabel("karpenter.sh/nodepool", p).delete();
        }
        client.resources(NodeClaim.class).withName("e2e-bad-hand-made").delete();
        client.resources(EC2NodeClass.class).withName("e2e-bad-unready").delete();
        if (controller != null && controller.isAlive()) {
          E2E.await(
              "the NodeClaims of the test's pools to terminate",
              Duration.ofSeconds(120),
              () -> POOLS.stream().allMatch(p -> E2E.claims(client, p).isEmpty()));
        }
      } finally {
        if (controller != null) {
          controller.destroy();
          if (!controller.waitFor(30, TimeUnit.SECONDS)) {
            controller.destroyForcibly();
          }
        }
      }
    }
  }

  private static String pool(String name, String nodeClass, String extraReqs, String limits) {
    return """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            spec:
              requirements:
                - key: karpenter.sh/capacity-type
                  operator: In
                  values: ['on-demand']
        %s
              nodeClassRef:
                group: karpenter.k8s.aws
                kind: EC2NodeClass
                name: %s
        %s
        """
        .formatted(name, extraReqs.stripTrailing(), nodeClass, limits.stripTrailing());
  }

  private static Pod pod(
      String name, String nodePool, Map<String, String> requests, Map<String, String> annotations) {
    Map<String, Quantity> q = new java.util.HashMap<>();
    requests.forEach((k, v) -> q.put(k, new Quantity(v)));
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(Map.of("karpenter.sh/nodepool", nodePool))
        .withTerminationGracePeriodSeconds(0L)
        .addNewContainer()
        .withName("app")
        .withImage("registry.k8s.io/pause:3.10")
        .withNewResources()
        .withRequests(q)
        // Extended resources must have limits equal to requests.
        .withLimits(q)
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  private static boolean running(KubernetesClient client, String pod) {
    Pod p = client.pods().inNamespace(NS).withName(pod).get();
    return p != null && E2E.running(p);
  }

  private static void awaitCondition(
      KubernetesClient client,
      String pool,
      String type,
      String status,
      String messagePart,
      Duration timeout) {
    String[] seen = new String[1];
    try {
      E2E.await(
          "NodePool " + pool + " " + type + "=" + status + " (" + messagePart + ")",
          timeout,
          () -> {
            NodePool np = client.resources(NodePool.class).withName(pool).get();
            Optional<Condition> c =
                np == null || np.getStatus() == null || np.getStatus().getConditions() == null
                    ? Optional.empty()
                    : np.getStatus().getConditions().stream()
                        .filter(x -> type.equals(x.type()))
                        .findFirst();
            seen[0] = c.map(Object::toString).orElse("none");
            return c.isPresent()
                && status.equals(c.get().status())
                && c.get().message() != null
                && c.get().message().contains(messagePart);
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; last seen: " + seen[0], e);
    }
  }

  private static void awaitEvent(
      KubernetesClient client, String ns, String object, String reason, String messagePart) {
    List<String> seen = new ArrayList<>();
    try {
      E2E.await(
          "a Warning event " + reason + " on " + object + " (" + messagePart + ")",
          Duration.ofSeconds(60),
          () -> {
            seen.clear();
            for (Event e : client.v1().events().inNamespace(ns).list().getItems()) {
              if (object.equals(e.getInvolvedObject().getName())) {
                seen.add(e.getReason() + ": " + e.getMessage());
                if (reason.equals(e.getReason())
                    && "Warning".equals(e.getType())
                    && e.getMessage().contains(messagePart)) {
                  return true;
                }
              }
            }
            return false;
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; events on it: " + seen, e);
    }
  }

  private static Process controller(LocalCluster cluster, Path log) throws Exception {
    Path jar = Path.of("target/karpenter.jar");
    assertTrue(Files.isRegularFile(jar), "run via `mvnw verify`: needs the packaged jar");
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "controller",
                "--kubeconfig",
                cluster.kubeconfig().toString(),
                "--metrics-port=-1",
                "--health-probe-port=-1",
                "--leader-election-namespace",
                LEASE_NS,
                "--batch-idle-duration",
                "500ms",
                "--boot-delay",
                "500ms",
                "--device-plugin-delay",
                "300ms")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("HOSTNAME", "bad-objects");
    pb.environment().remove("KARPENTER_CRASH_AT");
    return pb.start();
  }
}
