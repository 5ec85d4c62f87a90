package dev.karpenter.cloudprovider.aws.catalog;

import java.util.List;

/**
 * The facts about one EC2 instance type that labels, capacity and overhead are derived from: the
 * compact form of a DescribeInstanceTypes {@code InstanceTypeInfo} stored in the embedded catalog.
 * Optional facts are {@code null} when EC2 does not report them.
 *
 * @param arch Kubernetes architecture, {@code amd64} or {@code arm64}
 * @param cpuManufacturer lower-kebab {@code ProcessorInfo.Manufacturer} ({@code aws, intel, amd})
 * @param clockSpeedMhz {@code round(SustainedClockSpeedInGhz * 1000)}
 * @param hypervisor {@code nitro} or {@code xen}; null for bare metal
 * @param ebsBandwidthMbps {@code EbsOptimizedInfo.MaximumBandwidthInMbps} when EBS-optimized by
 *     default
 * @param networkBandwidthMbps sum of the network cards' baseline bandwidth in Mbps
 * @param localNvmeGb instance-store size when it is NVMe
 * @param instanceStoreGb instance-store size of any kind (RAID0 ephemeral storage)
 * @param maxEnis {@code MaximumNetworkInterfaces} of the default network card (the VPC CNI only
 *     uses that card)
 * @param efaInterfaces {@code EfaInfo.MaximumEfaInterfaces}, 0 without EFA
 * @param usageClasses {@code SupportedUsageClasses}, e.g. {@code [on-demand, spot]}
 */
public record InstanceShape(
    String name,
    String arch,
    int vcpus,
    long memoryMib,
    String cpuManufacturer,
    Integer clockSpeedMhz,
    String hypervisor,
    boolean bareMetal,
    Integer ebsBandwidthMbps,
    Integer networkBandwidthMbps,
    Long localNvmeGb,
    Long instanceStoreGb,
    boolean encryptionInTransit,
    boolean nitroEnclaves,
    int maxEnis,
    int ipv4PerEni,
    int efaInterfaces,
    List<Gpu> gpus,
    List<NeuronDevice> neuronDevices,
    List<Accelerator> accelerators,
    List<String> usageClasses) {

  public InstanceShape {
    gpus = List.copyOf(gpus);
    neuronDevices = List.copyOf(neuronDevices);
    accelerators = List.copyOf(accelerators);
    usageClasses = List.copyOf(usageClasses);
  }

  /** One {@code GpuInfo.Gpus[]} entry; {@code memoryMib} is per GPU. */
  public record Gpu(String name, String manufacturer, int count, long memoryMib) {}

  /** One {@code NeuronInfo.NeuronDevices[]} entry. */
  public record NeuronDevice(String name, int count, int coresPerDevice, long memoryMib) {}

  /** One {@code InferenceAcceleratorInfo.Accelerators[]} entry. */
  public record Accelerator(String name, String manufacturer, int count, long memoryMib) {}
}
