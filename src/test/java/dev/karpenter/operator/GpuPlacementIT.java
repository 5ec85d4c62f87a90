package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end on the local control plane (LocalClusterExtension): the operator on the simulated
 * cloud puts GPU pods on tainted GPU nodes, and pods without the toleration never land there.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class GpuPlacementIT {
  // -Dkarpenter.test.cpuBurner=true runs this class with both cores busy (the loaded-machine
  // audit).
  @RegisterExtension static final CpuBurner.Extension BURNER = new CpuBurner.Extension(false);

  static final String NS = "gpu-placement-it";
  static final List<String> GUIDE_POOLS =
      List.of("gpu-general", "gpu-inference", "gpu-training", "multi-arch", "inferentia");
  static KubernetesClient client;
  static SimulatedCloudProvider cloud;
  static KarpenterOperator operator;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    E2E.installCrds(client);
    E2E.applyFile(client, "docs/examples/gpu-guide/02-gpu-nodepools.yaml");
    E2E.applyFile(client, "docs/examples/gpu-guide/06-multi-arch-and-inferentia.yaml");
    E2E.namespace(client, NS);
    OperatorConfig config = E2E.config("gpu-placement-it", "gpu-placement-it");
    cloud = E2E.cloud(client, config);
    operator = E2E.operator(client, config, cloud);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      try {
        E2E.cleanUp(client, NS, GUIDE_POOLS);
      } finally {
        operator.close();
        cloud.close();
      }
    }
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
              240,
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
