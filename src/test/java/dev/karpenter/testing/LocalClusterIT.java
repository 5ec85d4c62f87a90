package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The real controller-manager and scheduler at work: what the autoscaler relies on. */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class LocalClusterIT {
  private static final String RUN_LABEL = "karpenter.test/run";

  private final KubernetesClient client;
  // Pods select nodes of this run only, so nodes of other tests in a reused cluster never match.
  private final String run = "r" + UUID.randomUUID().toString().substring(0, 8);

  LocalClusterIT(KubernetesClient client) {
    this.client = client;
  }

  @BeforeEach
  void createNamespaceAndDeployment() {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(run).endMetadata().build())
        .create();
    client
        .apps()
        .deployments()
        .inNamespace(run)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("gpu-work")
                .endMetadata()
                .withNewSpec()
                .withReplicas(3)
                .withNewSelector()
                .addToMatchLabels("app", "gpu-work")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "gpu-work")
                .endMetadata()
                .withNewSpec()
                .addToNodeSelector(RUN_LABEL, run)
                .addNewContainer()
                .withName("main")
                .withImage("registry.k8s.io/pause:3.10")
                .withNewResources()
                .addToRequests("cpu", new Quantity("1"))
                .addToRequests("memory", new Quantity("1Gi"))
                .endResources()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  @AfterEach
  void cleanUp() {
    client.nodes().withLabel(RUN_LABEL, run).delete();
    client.namespaces().withName(run).delete();
  }

  @Test
  void deploymentPodsAreMarkedUnschedulableWhenNoNodeFits() {
    List<Pod> pods = awaitPods(3, pod -> scheduledCondition(pod).isPresent());

    for (Pod pod : pods) {
      PodCondition scheduled = scheduledCondition(pod).orElseThrow();
      assertEquals("False", scheduled.getStatus(), pod.getMetadata().getName());
      assertEquals("Unschedulable", scheduled.getReason(), pod.getMetadata().getName());
    }
  }

  @Test
  void schedulerBindsPendingPodsToAReadyNodeWithCapacity() {
    awaitPods(3, pod -> scheduledCondition(pod).isPresent());

    String nodeName = run + "-node";
    createReadyNode(nodeName);

    List<Pod> pods = awaitPods(3, pod -> pod.getSpec().getNodeName() != null);
    assertTrue(pods.stream().allMatch(p -> nodeName.equals(p.getSpec().getNodeName())));
  }

  private void createReadyNode(String name) {
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels(RUN_LABEL, run)
                .addToLabels("kubernetes.io/hostname", name)
                .endMetadata()
                .build())
        .create();
    // A merge patch without resourceVersion: the node lifecycle controller updates new nodes too.
    Node node = new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    String now = Instant.now().toString();
    Map<String, Quantity> capacity =
        Map.of(
            "cpu", new Quantity("8"), "memory", new Quantity("32Gi"), "pods", new Quantity("110"));
    node.setStatus(
        new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
            .withCapacity(capacity)
            .withAllocatable(capacity)
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withMessage("created by LocalClusterIT")
            .withLastHeartbeatTime(now)
            .withLastTransitionTime(now)
            .endCondition()
            .build());
    client.nodes().resource(node).patchStatus();
  }

  private List<Pod> awaitPods(int count, java.util.function.Predicate<Pod> condition) {
    client
        .pods()
        .inNamespace(run)
        .withLabel("app", "gpu-work")
        .informOnCondition(pods -> pods.size() == count && pods.stream().allMatch(condition))
        .orTimeout(60, TimeUnit.SECONDS)
        .join();
    return client.pods().inNamespace(run).withLabel("app", "gpu-work").list().getItems();
  }

  private static Optional<PodCondition> scheduledCondition(Pod pod) {
    return pod.getStatus() == null
        ? Optional.empty()
        : pod.getStatus().getConditions().stream()
            .filter(c -> "PodScheduled".equals(c.getType()))
            .findFirst();
  }
}
