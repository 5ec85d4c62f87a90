package dev.karpenter.api.v1;

import java.util.Map;
import java.util.Set;

/**
 * The one home of the label keys Karpenter treats as well known (core and AWS provider). Every
 * instance type defines every instance-type key: either a value in its labels or, when absent,
 * {@code DoesNotExist}.
 */
public final class Labels {
  private Labels() {}

  public static final String HOSTNAME = "kubernetes.io/hostname";

  public static final String SPOT = "spot";
  public static final String ON_DEMAND = "on-demand";
  public static final String RESERVED = "reserved";

  public static final String ZONE = "topology.kubernetes.io/zone";
  public static final String REGION = "topology.kubernetes.io/region";
  public static final String INSTANCE_TYPE = "node.kubernetes.io/instance-type";
  public static final String ARCH = "kubernetes.io/arch";
  public static final String OS = "kubernetes.io/os";
  public static final String WINDOWS_BUILD = "node.kubernetes.io/windows-build";
  public static final String CAPACITY_TYPE = "karpenter.sh/capacity-type";
  public static final String NODEPOOL = "karpenter.sh/nodepool";

  /** Node labels and taints the NodeClaim lifecycle and termination set. */
  public static final String NODE_REGISTERED = "karpenter.sh/registered";

  public static final String NODE_INITIALIZED = "karpenter.sh/initialized";
  public static final String UNREGISTERED_TAINT_KEY = "karpenter.sh/unregistered";
  public static final String DISRUPTED_TAINT_KEY = "karpenter.sh/disrupted";
  public static final String EXCLUDE_FROM_EXTERNAL_LOAD_BALANCERS =
      "node.kubernetes.io/exclude-from-external-load-balancers";

  /** Pod (and Node) annotation that blocks voluntary disruption. */
  public static final String DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";

  private static final String AWS = "karpenter.k8s.aws/";
  public static final String INSTANCE_CATEGORY = AWS + "instance-category";
  public static final String INSTANCE_GENERATION = AWS + "instance-generation";
  public static final String INSTANCE_FAMILY = AWS + "instance-family";
  public static final String INSTANCE_SIZE = AWS + "instance-size";
  public static final String INSTANCE_CPU = AWS + "instance-cpu";
  public static final String INSTANCE_CPU_MANUFACTURER = AWS + "instance-cpu-manufacturer";
  public static final String INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ =
      AWS + "instance-cpu-sustained-clock-speed-mhz";
  public static final String INSTANCE_MEMORY = AWS + "instance-memory";
  public static final String INSTANCE_EBS_BANDWIDTH = AWS + "instance-ebs-bandwidth";
  public static final String INSTANCE_NETWORK_BANDWIDTH = AWS + "instance-network-bandwidth";
  public static final String INSTANCE_LOCAL_NVME = AWS + "instance-local-nvme";
  public static final String INSTANCE_HYPERVISOR = AWS + "instance-hypervisor";
  public static final String INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED =
      AWS + "instance-encryption-in-transit-supported";
  public static final String NITRO_SANDBOX = AWS + "nitro-sandbox";
  public static final String INSTANCE_CAPABILITY_FLEX = AWS + "instance-capability-flex";
  public static final String INSTANCE_TENANCY = AWS + "instance-tenancy";
  public static final String INSTANCE_GPU_NAME = AWS + "instance-gpu-name";
  public static final String INSTANCE_GPU_MANUFACTURER = AWS + "instance-gpu-manufacturer";
  public static final String INSTANCE_GPU_COUNT = AWS + "instance-gpu-count";
  public static final String INSTANCE_GPU_MEMORY = AWS + "instance-gpu-memory";
  public static final String INSTANCE_ACCELERATOR_NAME = AWS + "instance-accelerator-name";
  public static final String INSTANCE_ACCELERATOR_MANUFACTURER =
      AWS + "instance-accelerator-manufacturer";
  public static final String INSTANCE_ACCELERATOR_COUNT = AWS + "instance-accelerator-count";
  public static final String CAPACITY_RESERVATION_ID = AWS + "capacity-reservation-id";
  public static final String CAPACITY_RESERVATION_TYPE = AWS + "capacity-reservation-type";
  public static final String CAPACITY_RESERVATION_INTERRUPTIBLE =
      AWS + "capacity-reservation-interruptible";
  public static final String PLACEMENT_GROUP_ID = AWS + "placement-group-id";
  public static final String PLACEMENT_GROUP_PARTITION = AWS + "placement-group-partition";
  public static final String EC2NODECLASS = AWS + "ec2nodeclass";
  public static final String ZONE_ID = "topology.k8s.aws/zone-id";

  /** Every well-known key, core and AWS. */
  public static final Set<String> ALL =
      Set.of(
          ZONE,
          REGION,
          INSTANCE_TYPE,
          ARCH,
          OS,
          WINDOWS_BUILD,
          CAPACITY_TYPE,
          NODEPOOL,
          INSTANCE_CATEGORY,
          INSTANCE_GENERATION,
          INSTANCE_FAMILY,
          INSTANCE_SIZE,
          INSTANCE_CPU,
          INSTANCE_CPU_MANUFACTURER,
          INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ,
          INSTANCE_MEMORY,
          INSTANCE_EBS_BANDWIDTH,
          INSTANCE_NETWORK_BANDWIDTH,
          INSTANCE_LOCAL_NVME,
          INSTANCE_HYPERVISOR,
          INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED,
          NITRO_SANDBOX,
          INSTANCE_CAPABILITY_FLEX,
          INSTANCE_TENANCY,
          INSTANCE_GPU_NAME,
          INSTANCE_GPU_MANUFACTURER,
          INSTANCE_GPU_COUNT,
          INSTANCE_GPU_MEMORY,
          INSTANCE_ACCELERATOR_NAME,
          INSTANCE_ACCELERATOR_MANUFACTURER,
          INSTANCE_ACCELERATOR_COUNT,
          CAPACITY_RESERVATION_ID,
          CAPACITY_RESERVATION_TYPE,
          CAPACITY_RESERVATION_INTERRUPTIBLE,
          PLACEMENT_GROUP_ID,
          PLACEMENT_GROUP_PARTITION,
          EC2NODECLASS,
          ZONE_ID);

  /** Keys whose values are integers, so {@code Gt/Lt/Gte/Lte} apply. */
  public static final Set<String> NUMERIC =
      Set.of(
          INSTANCE_GENERATION,
          INSTANCE_CPU,
          INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ,
          INSTANCE_MEMORY,
          INSTANCE_EBS_BANDWIDTH,
          INSTANCE_NETWORK_BANDWIDTH,
          INSTANCE_LOCAL_NVME,
          INSTANCE_GPU_COUNT,
          INSTANCE_GPU_MEMORY,
          INSTANCE_ACCELERATOR_COUNT,
          PLACEMENT_GROUP_PARTITION);

  /** Keys that vary per offering (zone, capacity type) rather than per instance type. */
  public static final Set<String> PER_OFFERING = Set.of(ZONE, CAPACITY_TYPE, ZONE_ID);

  /**
   * Resolves a short form ({@code instance-gpu-name}) to its full key ({@code
   * karpenter.k8s.aws/instance-gpu-name}); full keys are returned as they are.
   */
  public static String resolve(String key) {
    if (key.contains("/")) {
      return key;
    }
    String aws = AWS + key;
    return ALL.contains(aws) ? aws : key;
  }

  /** Keys set on every Karpenter node whose values come from the offering or the NodePool. */
  public static final Set<String> NODE_KEYS =
      Set.of(ZONE, REGION, CAPACITY_TYPE, NODEPOOL, HOSTNAME, ZONE_ID);

  /**
   * Keys that every instance type defines (a missing value means DoesNotExist): the well-known keys
   * less those of the node, the offering, capacity reservations, placement groups and the class.
   */
  public static final Set<String> INSTANCE_TYPE_KEYS =
      ALL.stream()
          .filter(
              k ->
                  !NODE_KEYS.contains(k)
                      && !k.startsWith(AWS + "capacity-reservation-")
                      && !k.startsWith(AWS + "placement-group-")
                      && !k.equals(EC2NODECLASS))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** Deprecated aliases Kubernetes still accepts, normalized to their current key. */
  public static final Map<String, String> ALIASES =
      Map.of(
          "failure-domain.beta.kubernetes.io/zone", ZONE,
          "failure-domain.beta.kubernetes.io/region", REGION,
          "beta.kubernetes.io/arch", ARCH,
          "beta.kubernetes.io/os", OS,
          "beta.kubernetes.io/instance-type", INSTANCE_TYPE,
          // The EBS CSI driver's zone key, as the AWS provider normalizes it.
          "topology.ebs.csi.aws.com/zone", ZONE);

  public static String normalize(String key) {
    return ALIASES.getOrDefault(key, key);
  }

  public static boolean isWellKnown(String key) {
    return INSTANCE_TYPE_KEYS.contains(key) || NODE_KEYS.contains(key);
  }
}
