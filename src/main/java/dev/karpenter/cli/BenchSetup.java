package dev.karpenter.cli;

import dev.karpenter.api.v1.NodePool;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/** What the end-to-end benchmarks set up on the local control plane before they measure. */
final class BenchSetup {
  private BenchSetup() {}

  /**
   * Installs the CRDs and the companion EC2NodeClasses, applies the NodePool and creates the
   * namespace, returning once pods can be created in it.
   */
  static void poolAndNamespace(
      KubernetesClient client,
      String nodePoolYaml,
      String namespace,
      java.util.function.Consumer<String> say)
      throws InterruptedException, java.io.IOException {
    DemoCommand.installCrds(client, say);
    for (io.fabric8.kubernetes.api.model.HasMetadata o :
        DemoCommand.load(client, "examples/companion/ec2nodeclasses.yaml")) {
      client.resource(o).forceConflicts().serverSideApply();
    }
    client
        .resource(
            client
                .resources(NodePool.class)
                .load(new ByteArrayInputStream(nodePoolYaml.getBytes(StandardCharsets.UTF_8)))
                .item())
        .forceConflicts()
        .serverSideApply();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .serverSideApply();
    while (client.serviceAccounts().inNamespace(namespace).withName("default").get() == null) {
      Thread.sleep(100);
    }
  }

  /** Starts an operator on the simulated cloud and returns once it leads. */
  static KarpenterOperator leadingOperator(KubernetesClient client, OperatorConfig config)
      throws InterruptedException, java.io.IOException {
    KarpenterOperator op = KarpenterOperator.simulated(client, config, Clock.systemUTC()).start();
    while (!op.isLeader()) {
      Thread.sleep(100);
    }
    return op;
  }
}
