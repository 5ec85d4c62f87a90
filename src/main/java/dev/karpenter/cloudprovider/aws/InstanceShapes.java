package dev.karpenter.cloudprovider.aws;

import dev.karpenter.cloudprovider.aws.catalog.InstanceShape;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.NetworkCardInfo;

/**
 * DescribeInstanceTypes answers as catalog {@link InstanceShape}s, with the rules the catalog
 * generator applies to the same data offline (hvm, x86_64/arm64, default network card).
 */
final class InstanceShapes {
  private InstanceShapes() {}

  /** Null for types Karpenter does not consider. */
  static InstanceShape of(InstanceTypeInfo info) {
    if (!info.supportedVirtualizationTypesAsStrings().isEmpty()
        && !info.supportedVirtualizationTypesAsStrings().contains("hvm")) {
      return null;
    }
    String arch = null;
    if (info.processorInfo() != null) {
      for (String a : info.processorInfo().supportedArchitecturesAsStrings()) {
        arch = "x86_64".equals(a) ? "amd64" : "arm64".equals(a) ? "arm64" : null;
        if (arch != null) {
          break;
        }
      }
    }
    if (arch == null || info.vCpuInfo() == null || info.memoryInfo() == null) {
      return null;
    }
    var net = info.networkInfo();
    int cardIndex =
        net == null || net.defaultNetworkCardIndex() == null ? 0 : net.defaultNetworkCardIndex();
    int maxEnis =
        net == null || net.maximumNetworkInterfaces() == null ? 0 : net.maximumNetworkInterfaces();
    BigDecimal bandwidth = null;
    if (net != null) {
      for (NetworkCardInfo card : net.networkCards()) {
        if (card.networkCardIndex() != null
            && card.networkCardIndex() == cardIndex
            && card.maximumNetworkInterfaces() != null) {
          maxEnis = card.maximumNetworkInterfaces();
        }
        if (card.baselineBandwidthInGbps() != null) {
          BigDecimal b = BigDecimal.valueOf(card.baselineBandwidthInGbps());
          bandwidth = bandwidth == null ? b : bandwidth.add(b);
        }
      }
    }
    Long nvme = null;
    Long store = null;
    if (info.instanceStorageInfo() != null && info.instanceStorageInfo().totalSizeInGB() != null) {
      store = info.instanceStorageInfo().totalSizeInGB();
      if (!"unsupported".equals(info.instanceStorageInfo().nvmeSupportAsString())) {
        nvme = store;
      }
    }
    Integer ebs = null;
    if (info.ebsInfo() != null
        && "default".equals(info.ebsInfo().ebsOptimizedSupportAsString())
        && info.ebsInfo().ebsOptimizedInfo() != null) {
      ebs = info.ebsInfo().ebsOptimizedInfo().maximumBandwidthInMbps();
    }
    List<InstanceShape.Gpu> gpus = new ArrayList<>();
    if (info.gpuInfo() != null) {
      info.gpuInfo()
          .gpus()
          .forEach(
              g ->
                  gpus.add(
                      new InstanceShape.Gpu(
                          g.name(),
                          g.manufacturer(),
                          g.count() == null ? 0 : g.count(),
                          g.memoryInfo() == null ? 0 : g.memoryInfo().sizeInMiB())));
    }
    List<InstanceShape.NeuronDevice> neuron = new ArrayList<>();
    if (info.neuronInfo() != null) {
      info.neuronInfo()
          .neuronDevices()
          .forEach(
              d ->
                  neuron.add(
                      new InstanceShape.NeuronDevice(
                          d.name(),
                          d.count() == null ? 0 : d.count(),
                          d.coreInfo() == null || d.coreInfo().count() == null
                              ? 0
                              : d.coreInfo().count(),
                          d.memoryInfo() == null ? 0 : d.memoryInfo().sizeInMiB())));
    }
    List<InstanceShape.Accelerator> accelerators = new ArrayList<>();
    if (info.inferenceAcceleratorInfo() != null) {
      info.inferenceAcceleratorInfo()
          .accelerators()
          .forEach(
              a ->
                  accelerators.add(
                      new InstanceShape.Accelerator(
                          a.name(),
                          a.manufacturer() == null ? "" : a.manufacturer(),
                          a.count() == null ? 0 : a.count(),
                          a.memoryInfo() == null ? 0 : a.memoryInfo().sizeInMiB())));
    }
    var p = info.processorInfo();
    return new InstanceShape(
        info.instanceTypeAsString(),
        arch,
        info.vCpuInfo().defaultVCpus(),
        info.memoryInfo().sizeInMiB(),
        p.manufacturer() == null ? null : lowerKebab(p.manufacturer()),
        p.sustainedClockSpeedInGhz() == null
            ? null
            : BigDecimal.valueOf(p.sustainedClockSpeedInGhz())
                .multiply(BigDecimal.valueOf(1000))
                .setScale(0, RoundingMode.HALF_UP)
                .intValue(),
        info.hypervisorAsString(),
        Boolean.TRUE.equals(info.bareMetal()),
        ebs,
        bandwidth == null
            ? null
            : bandwidth
                .multiply(BigDecimal.valueOf(1000))
                .setScale(0, RoundingMode.HALF_UP)
                .intValue(),
        nvme,
        store,
        net != null && Boolean.TRUE.equals(net.encryptionInTransitSupported()),
        "supported".equals(info.nitroEnclavesSupportAsString()),
        maxEnis,
        net == null || net.ipv4AddressesPerInterface() == null
            ? 0
            : net.ipv4AddressesPerInterface(),
        net == null || net.efaInfo() == null || net.efaInfo().maximumEfaInterfaces() == null
            ? 0
            : net.efaInfo().maximumEfaInterfaces(),
        gpus,
        neuron,
        accelerators,
        info.supportedUsageClassesAsStrings());
  }

  private static String lowerKebab(String s) {
    return s.trim().toLowerCase(Locale.ROOT).replace(' ', '-');
  }
}
