package dev.karpenter.testing;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimSpec;
import dev.karpenter.api.v1.NodeClassReference;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.api.v1.Taint;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** NodeClaims and Nodes as the API server would hand them to a controller, for unit tests. */
public final class ClusterObjects {
  private ClusterObjects() {}

  /**
   * A NodeClaim of {@code pool} created at {@code created}, for one of {@code instanceTypes}
   * on-demand, requesting {@code requests} (e.g. {@code "cpu", "1", "nvidia.com/gpu", "1"}).
   */
  public static NodeClaim nodeClaim(
      String name, String pool, Instant created, List<String> instanceTypes, String... requests) {
    return nodeClaim(name, pool, created, instanceTypes, List.of(), requests);
  }

  public static NodeClaim nodeClaim(
      String name,
      String pool,
      Instant created,
      List<String> instanceTypes,
      List<Taint> startupTaints,
      String... requests) {
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(name);
    c.getMetadata().setUid(UUID.nameUUIDFromBytes(name.getBytes()).toString());
    c.getMetadata().setGeneration(1L);
    c.getMetadata().setCreationTimestamp(created.toString());
    c.getMetadata().setLabels(new LinkedHashMap<>(Map.of(Labels.NODEPOOL, pool)));
    Map<String, Quantity> req = new LinkedHashMap<>();
    for (int i = 0; i + 1 < requests.length; i += 2) {
      req.put(requests[i], new Quantity(requests[i + 1]));
    }
    c.setSpec(
        new NodeClaimSpec(
            List.of(),
            startupTaints,
            List.of(
                new NodeSelectorRequirementWithMinValues(
                    Labels.INSTANCE_TYPE,
                    NodeSelectorRequirementWithMinValues.Operator.In,
                    instanceTypes,
                    null),
                new NodeSelectorRequirementWithMinValues(
                    Labels.CAPACITY_TYPE,
                    NodeSelectorRequirementWithMinValues.Operator.In,
                    List.of(Labels.ON_DEMAND),
                    null)),
            new NodeClaimSpec.ResourceRequirements(req),
            new NodeClassReference("karpenter.k8s.aws", "EC2NodeClass", "default"),
            null,
            null));
    return c;
  }

  /**
   * A Node as a kubelet registers it: {@code providerId}, Ready or not, the given taints, and
   * allocatable {@code allocatable} (pairs of name and quantity).
   */
  public static Node node(
      String name,
      String providerId,
      boolean ready,
      List<io.fabric8.kubernetes.api.model.Taint> taints,
      String... allocatable) {
    Map<String, Quantity> alloc = new LinkedHashMap<>();
    for (int i = 0; i + 1 < allocatable.length; i += 2) {
      alloc.put(allocatable[i], new Quantity(allocatable[i + 1]));
    }
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(new LinkedHashMap<>(Map.of(Labels.HOSTNAME, name)))
        .endMetadata()
        .withNewSpec()
        .withProviderID(providerId)
        .withTaints(taints)
        .endSpec()
        .withNewStatus()
        .withAllocatable(alloc)
        .withCapacity(alloc)
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }

  public static io.fabric8.kubernetes.api.model.Taint taint(String key, String effect) {
    return new io.fabric8.kubernetes.api.model.Taint(effect, key, null, null);
  }
}
