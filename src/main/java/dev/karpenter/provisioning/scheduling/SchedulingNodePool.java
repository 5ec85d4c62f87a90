package dev.karpenter.provisioning.scheduling;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Map;

/**
 * A NodePool as the scheduler sees it.
 *
 * @param requirements spec.template.spec.requirements (template labels are added by {@link
 *     #effectiveRequirements()})
 * @param limits spec.limits; {@link Resources#NONE} means unlimited
 * @param usage capacity of the pool's current nodes, counted against limits
 * @param instanceTypes the types its EC2NodeClass resolves to
 */
public record SchedulingNodePool(
    String name,
    int weight,
    Requirements requirements,
    Map<String, String> labels,
    List<Taint> taints,
    List<Taint> startupTaints,
    Resources limits,
    Resources usage,
    List<InstanceType> instanceTypes) {
  public SchedulingNodePool {
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
    startupTaints = List.copyOf(startupTaints);
    instanceTypes = List.copyOf(instanceTypes);
  }

  /** A pool with no labels, taints, limits or usage. */
  public static SchedulingNodePool of(
      String name, int weight, Requirements requirements, List<InstanceType> types) {
    return new SchedulingNodePool(
        name,
        weight,
        requirements,
        Map.of(),
        List.of(),
        List.of(),
        Resources.NONE,
        Resources.NONE,
        types);
  }

  public SchedulingNodePool withLabels(Map<String, String> l) {
    return new SchedulingNodePool(
        name, weight, requirements, l, taints, startupTaints, limits, usage, instanceTypes);
  }

  public SchedulingNodePool withTaints(List<Taint> t) {
    return new SchedulingNodePool(
        name, weight, requirements, labels, t, startupTaints, limits, usage, instanceTypes);
  }

  public SchedulingNodePool withLimits(Resources l) {
    return new SchedulingNodePool(
        name, weight, requirements, labels, taints, startupTaints, l, usage, instanceTypes);
  }

  public SchedulingNodePool withUsage(Resources u) {
    return new SchedulingNodePool(
        name, weight, requirements, labels, taints, startupTaints, limits, u, instanceTypes);
  }

  public SchedulingNodePool withInstanceTypes(List<InstanceType> t) {
    return new SchedulingNodePool(
        name, weight, requirements, labels, taints, startupTaints, limits, usage, t);
  }

  /** Requirements plus template labels (each label pins its key) plus the nodepool label. */
  public Requirements effectiveRequirements() {
    return requirements
        .and(Requirements.fromLabels(labels))
        .and(Requirements.fromLabels(Map.of(dev.karpenter.api.v1.Labels.NODEPOOL, name)));
  }
}
