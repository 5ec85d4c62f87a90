package dev.karpenter.api.v1;

/** Extended resource names that accelerators advertise through their device plugins. */
public final class ResourceNames {
  public static final String NVIDIA_GPU = "nvidia.com/gpu";
  public static final String AMD_GPU = "amd.com/gpu";
  public static final String HABANA_GAUDI = "habana.ai/gaudi";
  public static final String NEURON = "aws.amazon.com/neuron";
  public static final String NEURON_CORE = "aws.amazon.com/neuroncore";
  public static final String EFA = "vpc.amazonaws.com/efa";

  private ResourceNames() {}
}
