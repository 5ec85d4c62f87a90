package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.FileInputStream;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * End to end on a real control plane ($KUBECONFIG, e.g. from hack/local-cluster.sh up): the
 * operator on the simulated cloud puts GPU pods on tainted GPU nodes, and pods without the
 * toleration never land there.
 */
@Tag("local-cluster")
class GpuPlacementIT {
  static final String NS = "gpu-placement-it";
  static KubernetesClient client;
  static KarpenterOperator operator;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        System.getenv("KUBECONFIG") != null, "needs KUBECONFIG (hack/local-cluster.sh up)");
    client = new KubernetesClientBuilder().build();
    for (String crd :
        List.of(
            "nodepools.karpenter.sh-v1.yml",
            "nodeclaims.karpenter.sh-v1.yml",
            "ec2nodeclasses.karpenter.k8s.aws-v1.yml")) {
      try (InputStream in =
          GpuPlacementIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/" + crd)) {
        client
            .resource(client.apiextensions().v1().customResourceDefinitions().load(in).item())
            .forceConflicts()
            .serverSideApply();
      }
    }
    apply("docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml");
    apply("docs/examples/companion/ec2nodeclasses.yaml");
    apply("docs/examples/gpu-guide/02-gpu-nodepools.yaml");
    apply("docs/examples/gpu-guide/06-multi-arch-and-inferentia.yaml");
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
    operator =
        KarpenterOperator.simulated(
                client,
                OperatorConfig.defaults().withMetricsPort(-1).withIdentity("gpu-placement-it"),
                Clock.systemUTC())
            .start();
  }

  static void apply(String file) throws Exception {
    try (InputStream in = new FileInputStream(file)) {
      for (HasMetadata o : client.load(in).items()) {
        client.resource(o).forceConflicts().serverSideApply();
      }
    }
  }

  @AfterAll
  static void stop() {
    if (client == null) {
      return;
    }
    client.namespaces().withName(NS).delete();
    client.resources(dev.karpenter.api.v1.NodePool.class).delete();
    if (operator != null) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < until
          && !client.resources(dev.karpenter.api.v1.NodeClaim.class).list().getItems().isEmpty()) {
        client.resources(dev.karpenter.api.v1.NodeClaim.class).delete();
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          break;
        }
      }
      operator.close();
    }
    client.close();
  }

  static Pod pod(String name, boolean gpu) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NS)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("busybox")
            .withNewResources()
            .withRequests(
                gpu
                    ? Map.of("cpu", new Quantity("2"), "nvidia.com/gpu", new Quantity("1"))
                    : Map.of("cpu", new Quantity("2")))
            .withLimits(gpu ? Map.of("nvidia.com/gpu", new Quantity("1")) : Map.of())
            .endResources()
            .endContainer()
            .endSpec();
    if (gpu) {
      b.editSpec()
          .addNewToleration()
          .withKey("nvidia.com/gpu")
          .withOperator("Exists")
          .withEffect("NoSchedule")
          .endToleration()
          .endSpec();
    }
    return b.build();
  }

  @Test
  void gpuPodsRunOnTaintedGpuNodesAndOtherPodsNeverDo() {
    client.resource(pod("gpu-a", true)).create();
    client.resource(pod("plain-a", false)).create();
    for (String name : List.of("gpu-a", "plain-a")) {
      client
          .pods()
          .inNamespace(NS)
          .withName(name)
          .waitUntilCondition(
              p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()),
              120,
              TimeUnit.SECONDS);
    }
    Node gpuNode =
        client
            .nodes()
            .withName(client.pods().inNamespace(NS).withName("gpu-a").get().getSpec().getNodeName())
            .get();
    Node plainNode =
        client
            .nodes()
            .withName(
                client.pods().inNamespace(NS).withName("plain-a").get().getSpec().getNodeName())
            .get();
    assertTrue(
        gpuNode.getSpec().getTaints().stream().anyMatch(t -> t.getKey().equals("nvidia.com/gpu")),
        "GPU node carries the GPU taint");
    assertEquals(
        "1",
        gpuNode.getStatus().getAllocatable().get("nvidia.com/gpu").getAmount(),
        "the device plugin advertised the GPU before the pod was bound");
    assertFalse(
        plainNode.getSpec().getTaints() != null
            && plainNode.getSpec().getTaints().stream()
                .anyMatch(t -> t.getKey().equals("nvidia.com/gpu")),
        "the pod without toleration is on an untainted node");
    assertEquals("multi-arch", plainNode.getMetadata().getLabels().get("karpenter.sh/nodepool"));
  }
}
