package dev.karpenter.provisioning.scheduling;

import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Map;

/**
 * A NodeClaim the scheduler would create.
 *
 * @param instanceType the option that would launch (cheapest available offering)
 * @param instanceTypeOptions price-ordered, at most 60
 * @param requests pod requests plus DaemonSet overhead of the launched type
 */
public record NodeClaimPlan(
    String nodePool,
    String instanceType,
    String capacityType,
    String zone,
    double pricePerHour,
    List<String> instanceTypeOptions,
    Map<String, String> labels,
    List<Taint> taints,
    Requirements requirements,
    Resources requests,
    List<String> pods) {
  public NodeClaimPlan {
    instanceTypeOptions = List.copyOf(instanceTypeOptions);
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
    pods = List.copyOf(pods);
  }
}
