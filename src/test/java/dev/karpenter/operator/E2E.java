package dev.karpenter.operator;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.metrics.KarpenterMetrics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Shared set-up for the end-to-end tests on the local control plane: CRDs, node classes, small
 * NodePools each test owns, an in-process operator on the simulated cloud with short delays, and
 * clean-up that terminates every NodeClaim the test made while its operator still runs.
 */
final class E2E {
  static final Catalog CATALOG = Catalog.load("us-east-1");

  private E2E() {}

  static void installCrds(KubernetesClient client) {
    for (String crd :
        List.of(
            "nodepools.karpenter.sh-v1.yml",
            "nodeclaims.karpenter.sh-v1.yml",
            "ec2nodeclasses.karpenter.k8s.aws-v1.yml")) {
      try (InputStream in =
          E2E.class.getClassLoader().getResourceAsStream("META-INF/fabric8/" + crd)) {
        CustomResourceDefinition d =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(d).forceConflicts().serverSideApply();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(d.getMetadata().getName())
            .waitUntilCondition(
                c ->
                    c.getStatus() != null
                        && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream()
                            .anyMatch(
                                x ->
                                    "Established".equals(x.getType())
                                        && "True".equals(x.getStatus())),
                30,
                TimeUnit.SECONDS);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    applyFile(client, "docs/examples/companion/ec2nodeclasses.yaml");
    applyFile(client, "docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml");
  }

  static void applyFile(KubernetesClient client, String file) {
    try {
      applyYaml(client, Files.readString(Path.of(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void applyYaml(KubernetesClient client, String yaml) {
    for (HasMetadata o :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      // Right after a CRD is Established, API discovery may not list its kind yet (slow on a
      // loaded machine): fabric8 then finds no handler for the generic object; ask again.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try {
          client.resource(o).forceConflicts().serverSideApply();
          break;
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
          String m = String.valueOf(e.getMessage());
          if (!m.contains("Could not find a registered handler") || System.nanoTime() > deadline) {
            throw e;
          }
          sleep(500);
        }
      }
    }
  }

  static void namespace(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .serverSideApply();
    // Pods cannot be created until the namespace's default service account exists.
    await(
        "service account default in " + ns,
        Duration.ofSeconds(30),
        () -> client.serviceAccounts().inNamespace(ns).withName("default").get() != null);
  }

  /**
   * A NodePool on the {@code default} node class offering only {@code instanceTypes} with {@code
   * capacityTypes}, and a cpu limit unless {@code cpuLimit} is null.
   */
  static void nodePool(
      KubernetesClient client,
      String name,
      List<String> instanceTypes,
      List<String> capacityTypes,
      Integer cpuLimit) {
    nodePool(client, name, instanceTypes, capacityTypes, cpuLimit, null);
  }

  /** As above, with one NoSchedule startup taint {@code startupTaintKey} unless it is null. */
  static void nodePool(
      KubernetesClient client,
      String name,
      List<String> instanceTypes,
      List<String> capacityTypes,
      Integer cpuLimit,
      String startupTaintKey) {
    applyYaml(
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
                  values: %s
              nodeClassRef:
                group: karpenter.k8s.aws
                kind: EC2NodeClass
                name: default
        %s
        %s
        """
            .formatted(
                name,
                json(instanceTypes),
                json(capacityTypes),
                startupTaintKey == null
                    ? ""
                    : "      startupTaints:\n        - key: "
                        + startupTaintKey
                        + "\n          effect: NoSchedule",
                cpuLimit == null ? "" : "  limits:\n    cpu: '" + cpuLimit + "'"));
  }

  private static String json(List<String> values) {
    return values.stream().map(v -> "'" + v + "'").toList().toString();
  }

  /**
   * Fast simulated timings: the loop under test, not the waiting, is what these tests exercise. The
   * disruption loop only plans and reports (its own ITs let it act), so it never removes capacity a
   * provisioning test is counting.
   */
  static OperatorConfig config(String identity, String lease) {
    return OperatorConfig.defaults()
        .withDisruption(
            dev.karpenter.disruption.DisruptionController.Settings.defaults().withExecute(false))
        .withMetricsPort(-1)
        .withIdentity(identity)
        .withLease("kube-system", lease)
        .withBatch(Duration.ofMillis(500), Duration.ofSeconds(5))
        .withSimulated(
            SimulatedCloudProvider.Settings.defaults()
                .withDelays(
                    Duration.ofMillis(500), Duration.ofMillis(300), Duration.ofMillis(300)));
  }

  static SimulatedCloudProvider cloud(KubernetesClient client, OperatorConfig config) {
    return new SimulatedCloudProvider(client, CATALOG, config.simulated(), Clock.systemUTC())
        .start();
  }

  /** An operator on {@code cloud}, started; the caller closes both. */
  static KarpenterOperator operator(
      KubernetesClient client, OperatorConfig config, SimulatedCloudProvider cloud) {
    try {
      return new KarpenterOperator(
              client, config, cloud.module(), new KarpenterMetrics(), Clock.systemUTC())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Deployment deployment(
      String ns, String name, int replicas, String cpu, Map<String, String> nodeSelector) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels("app", name)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(nodeSelector)
        .withTerminationGracePeriodSeconds(0L)
        .addNewContainer()
        .withName("app")
        .withImage("registry.k8s.io/pause:3.10")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .endResources()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static List<Pod> pods(KubernetesClient client, String ns, String app) {
    return client.pods().inNamespace(ns).withLabel("app", app).list().getItems();
  }

  static boolean running(Pod p) {
    return p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
  }

  static List<NodeClaim> claims(KubernetesClient client, String nodePool) {
    return client
        .resources(NodeClaim.class)
        .withLabel("karpenter.sh/nodepool", nodePool)
        .list()
        .getItems();
  }

  /** Polls {@code condition} every 200 ms until it holds; fails naming {@code what}. */
  /** Keeps observing for a while (a sampling interval or an observation window, never a wait). */
  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    try {
      Awaitility.await(what)
          .atMost(timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(200))
          .until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("timed out after " + timeout + " waiting for " + what, e);
    }
  }

  /**
   * Deletes the namespace and the NodePools, then every NodeClaim of those pools, and waits until
   * the running operator has terminated them (so no node outlives the test).
   */
  static void cleanUp(KubernetesClient client, String ns, List<String> nodePools) {
    client.namespaces().withName(ns).delete();
    for (String pool : nodePools) {
      client.resources(NodePool.class).withName(pool).delete();
      client.resources(NodeClaim.class).withLabel("karpenter.sh/nodepool", pool).delete();
    }
    await(
        "the NodeClaims of " + nodePools + " to terminate",
        Duration.ofSeconds(180),
        () -> nodePools.stream().allMatch(p -> claims(client, p).isEmpty()));
  }
}
