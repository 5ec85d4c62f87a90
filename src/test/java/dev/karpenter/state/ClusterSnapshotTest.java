package dev.karpenter.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimSpec;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues.Operator;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one NodePool usage: what counts against limits, from the moment a NodeClaim exists. */
class ClusterSnapshotTest {
  static final Catalog CATALOG = Catalog.load("us-east-1");
  static final List<InstanceType> M5 =
      CATALOG.instanceTypes().stream()
          .filter(t -> List.of("m5.large", "m5.xlarge", "m5.2xlarge").contains(t.name()))
          .toList();
  static final List<InstanceType> G5 =
      CATALOG.instanceTypes().stream()
          .filter(t -> List.of("g5.xlarge", "g5.12xlarge", "g5.48xlarge").contains(t.name()))
          .toList();

  static NodeClaim claim(String name, String pool, String... options) {
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(name);
    c.getMetadata().setLabels(Map.of(Labels.NODEPOOL, pool));
    c.setSpec(
        new NodeClaimSpec(
            null,
            null,
            List.of(
                new NodeSelectorRequirementWithMinValues(
                    Labels.INSTANCE_TYPE, Operator.In, List.of(options), null)),
            null,
            null,
            null,
            null));
    return c;
  }

  static NodeClaim launched(NodeClaim c, String type, String providerId) {
    InstanceType t = CATALOG.get(type).orElseThrow();
    NodeClaimStatus s = new NodeClaimStatus();
    s.setProviderID(providerId);
    s.setCapacity(ApiConversions.quantities(t.capacity()));
    s.setAllocatable(ApiConversions.quantities(t.allocatable()));
    c.setStatus(s);
    return c;
  }

  static Node node(String name, String pool, String providerId, String cpu) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(Map.of(Labels.NODEPOOL, pool))
        .endMetadata()
        .withNewSpec()
        .withProviderID(providerId)
        .endSpec()
        .withNewStatus()
        .withCapacity(Map.of("cpu", new Quantity(cpu)))
        .endStatus()
        .build();
  }

  @Test
  void aClaimNotYetLaunchedCountsAtTheLargestOfItsOptions() {
    var usage =
        ClusterSnapshot.usage(
            List.of(claim("a", "p", "m5.large", "m5.2xlarge")), List.of(), Map.of("p", M5));
    assertEquals(8_000, usage.get("p").resources().get("cpu"), "m5.2xlarge, not m5.large");
    assertEquals(1, usage.get("p").nodes());
    assertEquals(1_000, usage.get("p").resources().get("nodes"));
  }

  @Test
  void gpusOfAnUnlaunchedClaimCountAtTheLargestOption() {
    var usage =
        ClusterSnapshot.usage(
            List.of(claim("a", "gpu", "g5.xlarge", "g5.48xlarge")), List.of(), Map.of("gpu", G5));
    assertEquals(8_000, usage.get("gpu").resources().get("nvidia.com/gpu"));
  }

  @Test
  void aLaunchedClaimCountsAtItsActualCapacity() {
    NodeClaim c = launched(claim("a", "p", "m5.large", "m5.2xlarge"), "m5.large", "sim:///a");
    var usage = ClusterSnapshot.usage(List.of(c), List.of(), Map.of("p", M5));
    assertEquals(2_000, usage.get("p").resources().get("cpu"));
  }

  @Test
  void aDeletingClaimCountsUntilItIsGone() {
    NodeClaim c = launched(claim("a", "p", "m5.xlarge"), "m5.xlarge", "sim:///a");
    c.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    var usage = ClusterSnapshot.usage(List.of(c), List.of(), Map.of("p", M5));
    assertEquals(4_000, usage.get("p").resources().get("cpu"));
  }

  @Test
  void nodesCountOnceWhetherOrNotTheyHaveAClaim() {
    NodeClaim c = launched(claim("a", "p", "m5.xlarge"), "m5.xlarge", "sim:///a");
    var usage =
        ClusterSnapshot.usage(
            List.of(c),
            List.of(node("n-a", "p", "sim:///a", "4"), node("n-orphan", "p", "sim:///b", "16")),
            Map.of("p", M5));
    assertEquals(20_000, usage.get("p").resources().get("cpu"), "claim's 4 + orphan node's 16");
    assertEquals(2, usage.get("p").nodes());
  }

  @Test
  void theSchedulerSeesTheUsageAndTheInFlightClaim() {
    dev.karpenter.api.v1.NodePool pool =
        io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
            """
            apiVersion: karpenter.sh/v1
            kind: NodePool
            metadata: {name: p}
            spec:
              template:
                spec:
                  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              limits: {cpu: '24'}
            """,
            dev.karpenter.api.v1.NodePool.class);
    var nc = new dev.karpenter.api.aws.v1.EC2NodeClass();
    nc.getMetadata().setName("default");
    var snapshot =
        ClusterSnapshot.of(
            new ClusterSnapshot.Objects(
                List.of(),
                List.of(),
                List.of(),
                List.of(claim("p-a", "p", "m5.large", "m5.2xlarge")),
                List.of(pool),
                List.of(nc),
                List.of(),
                null),
            p -> M5,
            java.util.Set.of());
    var input = snapshot.schedulingInput();
    assertEquals(8_000, input.nodePools().getFirst().usage().get("cpu"));
    assertEquals(1, input.inFlight().size());
    assertTrue(
        input.inFlight().getFirst().allocatable().get("cpu")
            <= CATALOG.get("m5.large").orElseThrow().allocatable().get("cpu"),
        "in flight, the claim offers the least of its options");
  }

  @Test
  void aZeroLimitPausesThePoolInsteadOfLiftingTheLimit() {
    var pod =
        new io.fabric8.kubernetes.api.model.PodBuilder()
            .withNewMetadata()
            .withName("web")
            .withNamespace("default")
            .withUid("u-web")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withNewResources()
            .addToRequests("cpu", new Quantity("1"))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    for (String limits : List.of("{cpu: '0'}", "{nodes: '0'}", "{cpu: '8'}")) {
      dev.karpenter.api.v1.NodePool pool =
          io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
              """
              apiVersion: karpenter.sh/v1
              kind: NodePool
              metadata: {name: p}
              spec:
                template:
                  spec:
                    nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
                limits: %s
              """
                  .formatted(limits),
              dev.karpenter.api.v1.NodePool.class);
      var nc = new dev.karpenter.api.aws.v1.EC2NodeClass();
      nc.getMetadata().setName("default");
      var input =
          ClusterSnapshot.of(
                  new ClusterSnapshot.Objects(
                      List.of(),
                      List.of(pod),
                      List.of(),
                      List.of(),
                      List.of(pool),
                      List.of(nc),
                      List.of(),
                      null),
                  p -> M5,
                  java.util.Set.of())
              .schedulingInput();
      var result = new dev.karpenter.provisioning.scheduling.Scheduler().solve(input);
      assertEquals(
          limits.contains("'0'") ? 0 : 1,
          result.scheduledCount(),
          "limits " + limits + ": " + result);
    }
  }
}
