package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Docker variant of {@link LocalClusterIT}: a k3s cluster in a container. Skipped when no
 * Docker engine is reachable.
 */
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class K3sIT {
  @Container
  static final K3sContainer K3S =
      new K3sContainer(DockerImageName.parse("rancher/k3s:v1.33.5-k3s1"));

  @Test
  void schedulerBindsAllReplicasOfADeploymentToTheK3sNode() {
    try (KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml()))
            .build()) {
      client
          .apps()
          .deployments()
          .inNamespace("default")
          .resource(
              new DeploymentBuilder()
                  .withNewMetadata()
                  .withName("web")
                  .endMetadata()
                  .withNewSpec()
                  .withReplicas(3)
                  .withNewSelector()
                  .addToMatchLabels("app", "web")
                  .endSelector()
                  .withNewTemplate()
                  .withNewMetadata()
                  .addToLabels("app", "web")
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("main")
                  .withImage("registry.k8s.io/pause:3.10")
                  .endContainer()
                  .endSpec()
                  .endTemplate()
                  .endSpec()
                  .build())
          .create();

      client
          .pods()
          .inNamespace("default")
          .withLabel("app", "web")
          .informOnCondition(
              pods ->
                  pods.size() == 3
                      && pods.stream().allMatch(p -> p.getSpec().getNodeName() != null))
          .orTimeout(120, TimeUnit.SECONDS)
          .join();
      List<Pod> pods =
          client.pods().inNamespace("default").withLabel("app", "web").list().getItems();
      String node = client.nodes().list().getItems().getFirst().getMetadata().getName();
      assertEquals(
          List.of(node, node, node), pods.stream().map(p -> p.getSpec().getNodeName()).toList());
    }
  }
}
