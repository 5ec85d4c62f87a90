package dev.karpenter.simulate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.state.ClusterSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** simulate reads the typed EC2NodeClass and reports bad input through api.validation. */
class ManifestReaderTest {
  static final Catalog CATALOG = Catalog.load("us-east-1");

  static final String POOL =
      """
      apiVersion: karpenter.sh/v1
      kind: NodePool
      metadata: {name: p}
      spec:
        template:
          spec:
            requirements:
              - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.xlarge]}
            nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: c}
      """;

  static String nodeClass(String kubelet) {
    return """
        apiVersion: karpenter.k8s.aws/v1
        kind: EC2NodeClass
        metadata: {name: c}
        spec:
          amiSelectorTerms: [{alias: al2023@latest}]
          role: r
          subnetSelectorTerms: [{tags: {a: b}}]
          securityGroupSelectorTerms: [{tags: {a: b}}]
          kubelet:
        %s
        """
        .formatted(kubelet);
  }

  @Test
  void theNodeClassKubeletReachesAllocatable(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("m.yaml");
    Files.writeString(f, POOL + "---\n" + nodeClass("    maxPods: 17"));
    ClusterSnapshot s = new ManifestReader(CATALOG).snapshot(List.of(f));
    InstanceType m5 =
        s.nodePools().getFirst().instanceTypes().stream()
            .filter(t -> t.name().equals("m5.xlarge"))
            .findFirst()
            .orElseThrow();
    assertEquals(17_000, m5.allocatable().get("pods"));
  }

  @Test
  void aBadKubeletKeyIsReportedByFileLineAndField(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("m.yaml");
    Files.writeString(f, nodeClass("    kubeReserved: {gpu: '1'}"));
    var e =
        assertThrows(
            ManifestReader.InvalidManifestException.class,
            () -> new ManifestReader(CATALOG).snapshot(List.of(f)));
    assertTrue(
        e.getMessage().startsWith(f + ":10: EC2NodeClass c: spec.kubelet.kubeReserved: "),
        e.getMessage());
    assertTrue(e.getMessage().contains("valid keys for kubeReserved"), e.getMessage());
  }
}
