package dev.karpenter.cloudprovider.aws.catalog;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec;
import dev.karpenter.scheduling.Quantities;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The EC2NodeClass settings that change an instance type's capacity and allocatable: AMI family,
 * kubelet {@code maxPods}, {@code podsPerCore}, {@code kubeReserved}, {@code systemReserved},
 * {@code evictionHard}, the root volume size and {@code instanceStorePolicy: RAID0}.
 *
 * @param amiFamily {@code AL2023}, {@code AL2}, {@code Bottlerocket}, {@code Custom}, {@code
 *     Windows2019}, {@code Windows2022} or {@code Windows2025}
 * @param maxPods kubelet {@code maxPods}; null for the AMI family default
 * @param podsPerCore kubelet {@code podsPerCore}; null or 0 for none
 * @param kubeReserved keys {@code cpu, memory, ephemeral-storage, pid}; each replaces Karpenter's
 *     computed default for that key
 * @param systemReserved keys {@code cpu, memory, ephemeral-storage, pid}
 * @param evictionHard signals such as {@code memory.available: 5%} or {@code nodefs.available:
 *     10Gi}; only {@code memory.available} and {@code nodefs.available} affect allocatable
 * @param rootVolumeSize root volume {@code volumeSize}, e.g. {@code 200Gi}; null for the family
 *     default
 * @param instanceStoreRaid0 {@code instanceStorePolicy: RAID0}
 * @throws IllegalArgumentException naming the field when a value is invalid
 */
public record NodeClassSettings(
    String amiFamily,
    Integer maxPods,
    Integer podsPerCore,
    Map<String, String> kubeReserved,
    Map<String, String> systemReserved,
    Map<String, String> evictionHard,
    String rootVolumeSize,
    boolean instanceStoreRaid0) {

  /** AL2023 with every other setting at its default. */
  public static final NodeClassSettings DEFAULT =
      new NodeClassSettings("AL2023", null, null, Map.of(), Map.of(), Map.of(), null, false);

  private static final Set<String> RESERVED_KEYS =
      Set.of("cpu", "memory", "ephemeral-storage", "pid");
  private static final Set<String> EVICTION_SIGNALS =
      Set.of(
          "memory.available",
          "nodefs.available",
          "nodefs.inodesFree",
          "imagefs.available",
          "imagefs.inodesFree",
          "pid.available");

  public NodeClassSettings {
    amiFamily = AmiFamily.of(amiFamily == null ? "AL2023" : amiFamily).canonicalName();
    if (maxPods != null && maxPods < 0) {
      throw new IllegalArgumentException("kubelet.maxPods: must be >= 0, got " + maxPods);
    }
    if (podsPerCore != null && podsPerCore < 0) {
      throw new IllegalArgumentException("kubelet.podsPerCore: must be >= 0, got " + podsPerCore);
    }
    kubeReserved = checkReserved("kubelet.kubeReserved", kubeReserved);
    systemReserved = checkReserved("kubelet.systemReserved", systemReserved);
    evictionHard = checkEviction(evictionHard);
    if (rootVolumeSize != null) {
      checkQuantity("blockDeviceMappings.rootVolume.ebs.volumeSize", rootVolumeSize);
    }
  }

  /**
   * The settings of a typed EC2NodeClass: {@code amiFamily}, else the family of an {@code alias}
   * term; the kubelet block; the root volume ({@code rootVolume: true}, else the first mapping);
   * {@code instanceStorePolicy}. A null class or spec gives {@link #DEFAULT}. This is the one
   * reading of a node class, used by the operator's cloud provider and by {@code simulate} alike.
   *
   * @throws IllegalArgumentException naming the {@code spec.} field when a value is invalid
   */
  public static NodeClassSettings of(EC2NodeClass nodeClass) {
    EC2NodeClassSpec spec = nodeClass == null ? null : nodeClass.getSpec();
    if (spec == null) {
      return DEFAULT;
    }
    String family = spec.amiFamily() == null ? null : spec.amiFamily().name();
    if (family == null && spec.amiSelectorTerms() != null) {
      for (EC2NodeClassSpec.AmiSelectorTerm term : spec.amiSelectorTerms()) {
        if (term.alias() != null) {
          family = term.alias().split("@")[0];
        }
      }
    }
    String rootVolume = null;
    if (spec.blockDeviceMappings() != null) {
      for (EC2NodeClassSpec.BlockDeviceMapping m : spec.blockDeviceMappings()) {
        if (Boolean.TRUE.equals(m.rootVolume()) || rootVolume == null) {
          rootVolume = m.ebs() == null ? null : m.ebs().volumeSize();
        }
      }
    }
    EC2NodeClassSpec.KubeletConfiguration k = spec.kubelet();
    try {
      NodeClassSettings s =
          new NodeClassSettings(
              family,
              k == null ? null : k.maxPods(),
              k == null ? null : k.podsPerCore(),
              k == null ? null : k.kubeReserved(),
              k == null ? null : k.systemReserved(),
              k == null ? null : k.evictionHard(),
              rootVolume,
              spec.instanceStorePolicy() == EC2NodeClassSpec.InstanceStorePolicy.RAID0);
      // The catalog keeps the defaults by identity.
      return s.equals(DEFAULT) ? DEFAULT : s;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("spec." + e.getMessage(), e);
    }
  }

  /** Returns a copy with {@code maxPods} set. */
  public NodeClassSettings withMaxPods(Integer value) {
    return new NodeClassSettings(
        amiFamily,
        value,
        podsPerCore,
        kubeReserved,
        systemReserved,
        evictionHard,
        rootVolumeSize,
        instanceStoreRaid0);
  }

  AmiFamily family() {
    return AmiFamily.of(amiFamily);
  }

  private static Map<String, String> checkReserved(String field, Map<String, String> m) {
    if (m == null || m.isEmpty()) {
      return Map.of();
    }
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : m.entrySet()) {
      String k = e.getKey();
      if (!RESERVED_KEYS.contains(k)) {
        throw new IllegalArgumentException(
            field + ": unknown key '" + k + "' (allowed: cpu, memory, ephemeral-storage, pid)");
      }
      checkQuantity(field + "." + k, e.getValue());
      out.put(k, e.getValue());
    }
    return Map.copyOf(out);
  }

  private static Map<String, String> checkEviction(Map<String, String> m) {
    if (m == null || m.isEmpty()) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : m.entrySet()) {
      String k = e.getKey();
      String v = e.getValue();
      if (!EVICTION_SIGNALS.contains(k)) {
        throw new IllegalArgumentException(
            "kubelet.evictionHard: unknown signal '" + k + "' (allowed: " + EVICTION_SIGNALS + ")");
      }
      if (v != null && v.endsWith("%")) {
        parsePercent("kubelet.evictionHard." + k, v);
      } else {
        checkQuantity("kubelet.evictionHard." + k, v);
      }
    }
    return Map.copyOf(m);
  }

  static double parsePercent(String field, String v) {
    try {
      double p = Double.parseDouble(v.substring(0, v.length() - 1));
      if (p < 0 || p > 100) {
        throw new IllegalArgumentException(field + ": '" + v + "' is not between 0% and 100%");
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(field + ": '" + v + "' is not a percentage");
    }
  }

  private static void checkQuantity(String field, String v) {
    if (!Quantities.isQuantity(v)) {
      throw new IllegalArgumentException(field + ": '" + v + "' is not a quantity");
    }
  }

  /** What an AMI family changes in the formulas (Karpenter's per-family feature flags). */
  enum AmiFamily {
    AL2("AL2", true, true, true, 20, null),
    AL2023("AL2023", true, true, true, 20, null),
    BOTTLEROCKET("Bottlerocket", false, false, true, 20, null),
    CUSTOM("Custom", true, true, true, 20, null),
    WINDOWS2019("Windows2019", false, true, false, 50, "10.0.17763"),
    WINDOWS2022("Windows2022", false, true, false, 50, "10.0.20348"),
    WINDOWS2025("Windows2025", false, true, false, 50, "10.0.26100");

    private final String canonicalName;
    final boolean eniLimitedMemoryOverhead;
    final boolean podsPerCoreEnabled;
    final boolean eniLimitedPodDensity;
    final int defaultEphemeralGi;
    final String windowsBuild;

    AmiFamily(
        String canonicalName,
        boolean eniLimitedMemoryOverhead,
        boolean podsPerCoreEnabled,
        boolean eniLimitedPodDensity,
        int defaultEphemeralGi,
        String windowsBuild) {
      this.canonicalName = canonicalName;
      this.eniLimitedMemoryOverhead = eniLimitedMemoryOverhead;
      this.podsPerCoreEnabled = podsPerCoreEnabled;
      this.eniLimitedPodDensity = eniLimitedPodDensity;
      this.defaultEphemeralGi = defaultEphemeralGi;
      this.windowsBuild = windowsBuild;
    }

    String canonicalName() {
      return canonicalName;
    }

    boolean windows() {
      return windowsBuild != null;
    }

    static AmiFamily of(String name) {
      for (AmiFamily f : values()) {
        if (f.canonicalName.equalsIgnoreCase(name)) {
          return f;
        }
      }
      throw new IllegalArgumentException(
          "amiFamily: unknown '"
              + name
              + "' (known: AL2, AL2023, Bottlerocket, Custom, Windows2019, Windows2022,"
              + " Windows2025)");
    }

    @Override
    public String toString() {
      return canonicalName.toLowerCase(Locale.ROOT);
    }
  }
}
