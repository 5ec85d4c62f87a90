package dev.karpenter.cloudprovider.aws.catalog;

import static dev.karpenter.api.v1.Labels.*;

import dev.karpenter.api.v1.ResourceNames;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.Overhead;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings.AmiFamily;
import dev.karpenter.scheduling.Quantities;
import dev.karpenter.scheduling.Resources;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Derives labels, capacity and kubelet overhead from an {@link InstanceShape} the way the Karpenter
 * AWS provider does (karpenter-behaviour.md §2.1, §2.2, §3.10).
 */
final class InstanceTypeResolver {
  static final String CPU = "cpu";
  static final String MEMORY = "memory";
  static final String PODS = "pods";
  static final String EPHEMERAL_STORAGE = "ephemeral-storage";
  static final String NVIDIA_GPU = ResourceNames.NVIDIA_GPU;
  static final String AMD_GPU = ResourceNames.AMD_GPU;
  static final String HABANA_GAUDI = ResourceNames.HABANA_GAUDI;
  static final String NEURON = ResourceNames.NEURON;
  static final String NEURON_CORE = ResourceNames.NEURON_CORE;
  static final String EFA = ResourceNames.EFA;

  static final double VM_MEMORY_OVERHEAD_PERCENT = 0.075;
  private static final long MI = 1L << 20;
  private static final long GI = 1L << 30;

  private InstanceTypeResolver() {}

  /** Null when the type cannot run with this AMI family (Windows on arm64). */
  static InstanceType resolve(
      InstanceShape s, String region, List<Offering> offerings, NodeClassSettings settings) {
    AmiFamily family = settings.family();
    if (family.windows() && !s.arch().equals("amd64")) {
      return null;
    }
    Resources capacity = capacity(s, family, settings);
    return new InstanceType(
        s.name(),
        labels(s, region, family),
        capacity,
        overhead(s, family, settings, capacity),
        offerings);
  }

  static Map<String, String> labels(InstanceShape s, String region, AmiFamily family) {
    LabelMap.Builder l = new LabelMap.Builder();
    l.put(INSTANCE_TYPE, s.name());
    l.put(ARCH, s.arch());
    l.put(OS, family.windows() ? "windows" : "linux");
    if (family.windows()) {
      l.put(WINDOWS_BUILD, family.windowsBuild);
    }
    l.put(REGION, region);
    l.put(INSTANCE_CPU, Integer.toString(s.vcpus()));
    l.put(INSTANCE_MEMORY, Long.toString(s.memoryMib()));
    // Only default-tenancy offerings are modelled; dedicated hosts are not priced here.
    l.put(INSTANCE_TENANCY, "default");
    l.put(INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED, Boolean.toString(s.encryptionInTransit()));
    l.put(NITRO_SANDBOX, Boolean.toString(s.nitroEnclaves()));
    putIfPresent(l, INSTANCE_HYPERVISOR, s.hypervisor());
    String[] categoryGeneration = categoryAndGeneration(s.name());
    if (categoryGeneration != null) {
      l.put(INSTANCE_CATEGORY, categoryGeneration[0]);
      l.put(INSTANCE_GENERATION, categoryGeneration[1]);
    }
    String[] parts = s.name().split("\\.");
    if (parts.length == 2) {
      l.put(INSTANCE_FAMILY, parts[0]);
      l.put(INSTANCE_SIZE, parts[1]);
    }
    l.put(INSTANCE_CAPABILITY_FLEX, Boolean.toString(parts[0].contains("-flex")));
    putIfPresent(l, INSTANCE_LOCAL_NVME, s.localNvmeGb());
    putIfPresent(l, INSTANCE_NETWORK_BANDWIDTH, s.networkBandwidthMbps());
    putIfPresent(l, INSTANCE_EBS_BANDWIDTH, s.ebsBandwidthMbps());
    putIfPresent(l, INSTANCE_CPU_MANUFACTURER, s.cpuManufacturer());
    putIfPresent(l, INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ, s.clockSpeedMhz());
    // GPU labels only describe a single GPU model; mixed GPU types leave them DoesNotExist.
    if (s.gpus().size() == 1) {
      InstanceShape.Gpu g = s.gpus().get(0);
      l.put(INSTANCE_GPU_NAME, lowerKebab(g.name()));
      l.put(INSTANCE_GPU_MANUFACTURER, lowerKebab(g.manufacturer()));
      l.put(INSTANCE_GPU_COUNT, Integer.toString(g.count()));
      l.put(INSTANCE_GPU_MEMORY, Long.toString(g.memoryMib()));
    }
    if (s.accelerators().size() == 1 && s.neuronDevices().isEmpty()) {
      InstanceShape.Accelerator a = s.accelerators().get(0);
      l.put(INSTANCE_ACCELERATOR_NAME, lowerKebab(a.name()));
      l.put(INSTANCE_ACCELERATOR_MANUFACTURER, lowerKebab(a.manufacturer()));
      l.put(INSTANCE_ACCELERATOR_COUNT, Integer.toString(a.count()));
    }
    if (s.neuronDevices().size() == 1) {
      InstanceShape.NeuronDevice d = s.neuronDevices().get(0);
      l.put(INSTANCE_ACCELERATOR_NAME, lowerKebab(d.name()));
      l.put(INSTANCE_ACCELERATOR_MANUFACTURER, "aws");
      l.put(INSTANCE_ACCELERATOR_COUNT, Integer.toString(d.count()));
    }
    return l.build();
  }

  static Resources capacity(InstanceShape s, AmiFamily family, NodeClassSettings settings) {
    // Sorted and without zeros, which is what Resources keeps, so its copy is a linear build.
    TreeMap<String, Long> c = new TreeMap<>();
    putNonZero(c, CPU, s.vcpus() * 1000L);
    putNonZero(c, MEMORY, memoryBytes(s) * 1000L);
    putNonZero(c, EPHEMERAL_STORAGE, ephemeralStorageMilli(s, family, settings));
    putNonZero(c, PODS, pods(s, family, settings) * 1000L);
    putNonZero(c, NVIDIA_GPU, gpuCount(s, "NVIDIA") * 1000L);
    putNonZero(c, AMD_GPU, gpuCount(s, "AMD") * 1000L);
    putNonZero(c, HABANA_GAUDI, gpuCount(s, "Habana") * 1000L);
    long neuron = 0;
    for (InstanceShape.NeuronDevice d : s.neuronDevices()) {
      neuron += d.count();
    }
    putNonZero(c, NEURON, neuron * 1000L);
    if (!s.neuronDevices().isEmpty()) {
      InstanceShape.NeuronDevice first = s.neuronDevices().get(0);
      putNonZero(c, NEURON_CORE, (long) first.count() * first.coresPerDevice() * 1000L);
    }
    putNonZero(c, EFA, s.efaInterfaces() * 1000L);
    return new Resources(c);
  }

  private static void putNonZero(Map<String, Long> m, String key, long milli) {
    if (milli != 0) {
      m.put(key, milli);
    }
  }

  static Overhead overhead(
      InstanceShape s, AmiFamily family, NodeClassSettings settings, Resources capacity) {
    long podsForMemory =
        family.eniLimitedMemoryOverhead ? eniLimitedPods(s) : pods(s, family, settings);
    Map<String, Long> kube = new TreeMap<>();
    kube.put(CPU, kubeReservedCpuMilli(s.vcpus() * 1000L));
    kube.put(MEMORY, (11 * podsForMemory + 255) * MI * 1000L);
    kube.put(EPHEMERAL_STORAGE, GI * 1000L);
    for (Map.Entry<String, String> e : settings.kubeReserved().entrySet()) {
      putReserved(kube, e.getKey(), e.getValue());
    }
    Resources system = Resources.NONE;
    if (!settings.systemReserved().isEmpty()) {
      Map<String, Long> m = new TreeMap<>();
      for (Map.Entry<String, String> e : settings.systemReserved().entrySet()) {
        putReserved(m, e.getKey(), e.getValue());
      }
      system = new Resources(m);
    }

    long memory = capacity.get(MEMORY) / 1000;
    long storage = capacity.get(EPHEMERAL_STORAGE) / 1000;
    Map<String, Long> eviction = new TreeMap<>();
    eviction.put(MEMORY, 100 * MI * 1000L);
    eviction.put(EPHEMERAL_STORAGE, (long) Math.ceil((double) storage / 100 * 10) * 1000L);
    String mem = settings.evictionHard().get("memory.available");
    if (mem != null) {
      eviction.put(MEMORY, evictionSignalMilli("memory.available", memory, mem));
    }
    String fs = settings.evictionHard().get("nodefs.available");
    if (fs != null) {
      eviction.put(EPHEMERAL_STORAGE, evictionSignalMilli("nodefs.available", storage, fs));
    }
    return new Overhead(new Resources(kube), system, new Resources(eviction));
  }

  // pid is a kubelet reservation, not a schedulable resource, so it never reaches allocatable.
  private static void putReserved(Map<String, Long> m, String key, String value) {
    if (!key.equals("pid")) {
      m.put(key, Quantities.parseMilli(value));
    }
  }

  /** Memory capacity in bytes: Graviton's 64 MiB CMA removed, then the VM overhead. */
  static long memoryBytes(InstanceShape s) {
    long mib = s.memoryMib();
    if (s.arch().equals("arm64")) {
      mib -= 64;
    }
    long bytes = mib * MI;
    long overheadMib = (long) Math.ceil((double) bytes * VM_MEMORY_OVERHEAD_PERCENT / 1024 / 1024);
    return bytes - overheadMib * MI;
  }

  static long ephemeralStorageMilli(InstanceShape s, AmiFamily family, NodeClassSettings settings) {
    if (settings.instanceStoreRaid0() && s.instanceStoreGb() != null) {
      return s.instanceStoreGb() * 1_000_000_000L * 1000L;
    }
    if (settings.rootVolumeSize() != null) {
      return Quantities.parseMilli(settings.rootVolumeSize());
    }
    return family.defaultEphemeralGi * GI * 1000L;
  }

  static long pods(InstanceShape s, AmiFamily family, NodeClassSettings settings) {
    long count;
    if (settings.maxPods() != null) {
      count = settings.maxPods();
    } else if (family.eniLimitedPodDensity) {
      count = eniLimitedPods(s);
    } else {
      count = 110;
    }
    Integer ppc = settings.podsPerCore();
    if (ppc != null && ppc > 0 && family.podsPerCoreEnabled) {
      count = Math.min((long) ppc * s.vcpus(), count);
    }
    return count;
  }

  /** {@code ENIs * (IPv4 per ENI - 1) + 2} on the default network card. */
  static long eniLimitedPods(InstanceShape s) {
    if (s.maxEnis() <= 0) {
      return 0;
    }
    return (long) s.maxEnis() * (s.ipv4PerEni() - 1) + 2;
  }

  /** 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the rest. */
  static long kubeReservedCpuMilli(long cpuMilli) {
    long total = 0;
    for (int i = 0; i < CPU_TIER_START.length; i++) {
      long start = CPU_TIER_START[i];
      long end = CPU_TIER_END[i];
      if (cpuMilli >= start) {
        double r = cpuMilli < end ? cpuMilli - start : end - start;
        total += (long) (r * CPU_TIER_PERCENT[i]);
      }
    }
    return total;
  }

  private static final long[] CPU_TIER_START = {0, 1000, 2000, 4000};
  private static final long[] CPU_TIER_END = {1000, 2000, 4000, 1L << 31};
  private static final double[] CPU_TIER_PERCENT = {0.06, 0.01, 0.005, 0.0025};

  private static long evictionSignalMilli(String signal, long capacityUnits, String value) {
    if (value.endsWith("%")) {
      double p = NodeClassSettings.parsePercent("kubelet.evictionHard." + signal, value);
      // 100% disables the threshold (kubelet semantics).
      if (p == 100) {
        p = 0;
      }
      return (long) Math.ceil((double) capacityUnits / 100 * p) * 1000L;
    }
    return Quantities.parseMilli(value);
  }

  private static long gpuCount(InstanceShape s, String manufacturer) {
    long n = 0;
    for (InstanceShape.Gpu g : s.gpus()) {
      if (g.manufacturer().equals(manufacturer)) {
        n += g.count();
      }
    }
    return n;
  }

  /**
   * Karpenter's {@code (^[a-z]+)(-[0-9]+tb)?([0-9]+).*\\.} on the type name: category letters, an
   * optional memory size such as {@code -3tb}, then the generation digits; null when it does not
   * match.
   */
  static String[] categoryAndGeneration(String name) {
    int dot = name.indexOf('.');
    if (dot < 0) {
      return null;
    }
    int i = 0;
    while (i < dot && name.charAt(i) >= 'a' && name.charAt(i) <= 'z') {
      i++;
    }
    if (i == 0) {
      return null;
    }
    String category = name.substring(0, i);
    int j = i;
    if (j < dot && name.charAt(j) == '-') {
      int k = j + 1;
      while (k < dot && Character.isDigit(name.charAt(k))) {
        k++;
      }
      if (k > j + 1 && name.startsWith("tb", k) && k + 2 <= dot) {
        j = k + 2;
      }
    }
    int start = j;
    while (j < dot && Character.isDigit(name.charAt(j))) {
      j++;
    }
    return j == start ? null : new String[] {category, name.substring(start, j)};
  }

  private static void putIfPresent(LabelMap.Builder l, String key, Object value) {
    if (value != null) {
      l.put(key, value.toString());
    }
  }

  static String lowerKebab(String s) {
    return s.replace(" ", "-").toLowerCase(Locale.ROOT);
  }
}
