package dev.karpenter.cloudprovider;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.ResourceNames;
import java.util.ArrayList;
import java.util.List;

/**
 * Karpenter's exotic-instance filter at launch: GPU, accelerator and bare-metal types are only used
 * when a NodeClaim needs them or when nothing else is left. A pod that requests {@code
 * nvidia.com/gpu} only matches GPU types, so its candidate list has no generic types and the exotic
 * ones are kept.
 */
public final class ExoticFilter {
  private static final List<String> EXOTIC_RESOURCES =
      List.of(
          ResourceNames.NVIDIA_GPU,
          ResourceNames.AMD_GPU,
          ResourceNames.HABANA_GAUDI,
          ResourceNames.NEURON,
          ResourceNames.NEURON_CORE);

  private ExoticFilter() {}

  /** A bare-metal size or any GPU / Neuron / Gaudi capacity. */
  public static boolean isExotic(InstanceType t) {
    String size = t.labels().get(Labels.INSTANCE_SIZE);
    if (size != null && size.contains("metal")) {
      return true;
    }
    for (String r : EXOTIC_RESOURCES) {
      if (t.capacity().get(r) > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * The candidates to launch from: the generic (non-exotic) types when there are any, otherwise the
   * exotic ones. With {@code minValues} in play Karpenter skips this filter, so pass {@code
   * minValuesUsed = true} to get the list back unchanged.
   */
  public static List<InstanceType> apply(List<InstanceType> candidates, boolean minValuesUsed) {
    if (minValuesUsed) {
      return candidates;
    }
    List<InstanceType> generic = new ArrayList<>();
    for (InstanceType t : candidates) {
      if (!isExotic(t)) {
        generic.add(t);
      }
    }
    return generic.isEmpty() ? candidates : List.copyOf(generic);
  }
}
