package dev.karpenter.cloudprovider;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import java.util.List;
import java.util.Map;

/**
 * One EC2 instance type as the scheduler sees it.
 *
 * @param labels every well-known label that has a value for this type (Karpenter's §2.1 set, e.g.
 *     {@code karpenter.k8s.aws/instance-gpu-name=a10g}); a well-known key that is absent means
 *     {@code DoesNotExist} for this type. Zone and capacity type are not here: they are per
 *     offering.
 * @param capacity what the node reports as capacity (cpu, memory after VM overhead, pods,
 *     ephemeral-storage, extended resources)
 * @param overhead kubelet reservations
 * @param offerings zone x capacity type, with price and availability
 */
public record InstanceType(
    String name,
    Map<String, String> labels,
    Resources capacity,
    Overhead overhead,
    List<Offering> offerings) {
  public InstanceType {
    // Derived catalog types carry an ImmutableLabels map; copying it would cost a hash table per
    // type.
    labels = labels instanceof ImmutableLabels ? labels : Map.copyOf(labels);
    offerings = List.copyOf(offerings);
  }

  public Resources allocatable() {
    return capacity.minus(overhead.total());
  }

  /**
   * Whether launching {@code offering} of this type satisfies {@code reqs}: zone and capacity type
   * from the offering, the type's name and well-known labels from the type; other keys (the
   * NodePool's, custom labels) are the claim's to set and do not constrain the launch.
   */
  public boolean admits(Requirements reqs, Offering offering) {
    for (Requirement r : reqs.all()) {
      String key = r.key();
      String value;
      if (key.equals(Labels.ZONE)) {
        value = offering.zone();
      } else if (key.equals(Labels.CAPACITY_TYPE)) {
        value = offering.capacityType();
      } else if (key.equals(Labels.INSTANCE_TYPE)) {
        value = name;
      } else if (Labels.ALL.contains(key) && !key.equals(Labels.NODEPOOL)) {
        value = labels.get(key);
      } else {
        continue;
      }
      if (!r.matches(value)) {
        return false;
      }
    }
    return true;
  }
}
