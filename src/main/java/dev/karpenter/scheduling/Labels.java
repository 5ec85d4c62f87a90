package dev.karpenter.scheduling;

import java.util.Map;
import java.util.Set;

/** Label keys the scheduler understands (Karpenter's well-known labels, core and AWS). */
public final class Labels {
  public static final String ZONE = "topology.kubernetes.io/zone";
  public static final String REGION = "topology.kubernetes.io/region";
  public static final String CAPACITY_TYPE = "karpenter.sh/capacity-type";
  public static final String NODEPOOL = "karpenter.sh/nodepool";
  public static final String INSTANCE_TYPE = "node.kubernetes.io/instance-type";
  public static final String ARCH = "kubernetes.io/arch";
  public static final String OS = "kubernetes.io/os";
  public static final String HOSTNAME = "kubernetes.io/hostname";
  public static final String WINDOWS_BUILD = "node.kubernetes.io/windows-build";

  public static final String SPOT = "spot";
  public static final String ON_DEMAND = "on-demand";
  public static final String RESERVED = "reserved";

  private static final String AWS = "karpenter.k8s.aws/";

  /** Keys that every instance type defines (a missing value means DoesNotExist). */
  public static final Set<String> INSTANCE_TYPE_KEYS =
      Set.of(
          INSTANCE_TYPE,
          ARCH,
          OS,
          WINDOWS_BUILD,
          AWS + "instance-category",
          AWS + "instance-generation",
          AWS + "instance-family",
          AWS + "instance-size",
          AWS + "instance-cpu",
          AWS + "instance-cpu-manufacturer",
          AWS + "instance-cpu-sustained-clock-speed-mhz",
          AWS + "instance-memory",
          AWS + "instance-ebs-bandwidth",
          AWS + "instance-network-bandwidth",
          AWS + "instance-local-nvme",
          AWS + "instance-hypervisor",
          AWS + "instance-encryption-in-transit-supported",
          AWS + "nitro-sandbox",
          AWS + "instance-capability-flex",
          AWS + "instance-tenancy",
          AWS + "instance-gpu-name",
          AWS + "instance-gpu-manufacturer",
          AWS + "instance-gpu-count",
          AWS + "instance-gpu-memory",
          AWS + "instance-accelerator-name",
          AWS + "instance-accelerator-manufacturer",
          AWS + "instance-accelerator-count");

  /** Keys set on every Karpenter node whose values come from the offering or the NodePool. */
  public static final Set<String> NODE_KEYS =
      Set.of(ZONE, REGION, CAPACITY_TYPE, NODEPOOL, HOSTNAME, "topology.k8s.aws/zone-id");

  /** Deprecated aliases Kubernetes still accepts, normalized to their current key. */
  public static final Map<String, String> ALIASES =
      Map.of(
          "failure-domain.beta.kubernetes.io/zone", ZONE,
          "failure-domain.beta.kubernetes.io/region", REGION,
          "beta.kubernetes.io/arch", ARCH,
          "beta.kubernetes.io/os", OS,
          "beta.kubernetes.io/instance-type", INSTANCE_TYPE);

  private Labels() {}

  public static String normalize(String key) {
    return ALIASES.getOrDefault(key, key);
  }

  public static boolean isWellKnown(String key) {
    return INSTANCE_TYPE_KEYS.contains(key) || NODE_KEYS.contains(key);
  }
}
