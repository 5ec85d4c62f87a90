package dev.karpenter.api.v1;

/**
 * CEL expressions shared by several fields of the v1 API. Kept as constants so every field that
 * carries a label key applies the same domain restrictions, as Karpenter's AWS build does.
 */
public final class Rules {
  private Rules() {}

  /** Keys of the {@code karpenter.k8s.aws} domain that users may set or require. */
  public static final String AWS_ALLOWED_KEYS =
      "['karpenter.k8s.aws/instance-tenancy', 'karpenter.k8s.aws/capacity-reservation-type',"
          + " 'karpenter.k8s.aws/capacity-reservation-id',"
          + " 'karpenter.k8s.aws/capacity-reservation-interruptible',"
          + " 'karpenter.k8s.aws/ec2nodeclass',"
          + " 'karpenter.k8s.aws/instance-encryption-in-transit-supported',"
          + " 'karpenter.k8s.aws/nitro-sandbox', 'karpenter.k8s.aws/instance-category',"
          + " 'karpenter.k8s.aws/instance-hypervisor', 'karpenter.k8s.aws/instance-family',"
          + " 'karpenter.k8s.aws/instance-generation', 'karpenter.k8s.aws/instance-local-nvme',"
          + " 'karpenter.k8s.aws/instance-size', 'karpenter.k8s.aws/instance-cpu',"
          + " 'karpenter.k8s.aws/instance-cpu-manufacturer',"
          + " 'karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz',"
          + " 'karpenter.k8s.aws/instance-memory', 'karpenter.k8s.aws/instance-ebs-bandwidth',"
          + " 'karpenter.k8s.aws/instance-network-bandwidth', 'karpenter.k8s.aws/instance-gpu-name',"
          + " 'karpenter.k8s.aws/instance-gpu-manufacturer', 'karpenter.k8s.aws/instance-gpu-count',"
          + " 'karpenter.k8s.aws/instance-gpu-memory', 'karpenter.k8s.aws/instance-accelerator-name',"
          + " 'karpenter.k8s.aws/instance-accelerator-manufacturer',"
          + " 'karpenter.k8s.aws/instance-accelerator-count',"
          + " 'karpenter.k8s.aws/instance-capability-flex', 'karpenter.k8s.aws/placement-group-id',"
          + " 'karpenter.k8s.aws/placement-group-partition']";

  public static final String KARPENTER_DOMAIN_MSG = "label domain \"karpenter.sh\" is restricted";
  public static final String NODEPOOL_LABEL_MSG = "label \"karpenter.sh/nodepool\" is restricted";
  public static final String HOSTNAME_MSG = "label \"kubernetes.io/hostname\" is restricted";
  public static final String AWS_DOMAIN_MSG = "label domain \"karpenter.k8s.aws\" is restricted";

  // Rules on a single key (requirement key).
  public static final String KEY_KARPENTER_DOMAIN =
      "self in ['karpenter.sh/capacity-type', 'karpenter.sh/nodepool'] ||"
          + " !self.find('^([^/]+)').endsWith('karpenter.sh')";
  public static final String KEY_NODEPOOL = "self != 'karpenter.sh/nodepool'";
  public static final String KEY_HOSTNAME = "self != 'kubernetes.io/hostname'";
  public static final String KEY_AWS_DOMAIN =
      "self in " + AWS_ALLOWED_KEYS + " || !self.find('^([^/]+)').endsWith('karpenter.k8s.aws')";

  // Rules on a map of labels.
  public static final String MAP_KARPENTER_DOMAIN =
      "self.all(x, x in ['karpenter.sh/capacity-type', 'karpenter.sh/nodepool'] ||"
          + " !x.find('^([^/]+)').endsWith('karpenter.sh'))";
  public static final String MAP_NODEPOOL = "self.all(x, x != 'karpenter.sh/nodepool')";
  public static final String MAP_HOSTNAME = "self.all(x, x != 'kubernetes.io/hostname')";
  public static final String MAP_AWS_DOMAIN =
      "self.all(x, x in "
          + AWS_ALLOWED_KEYS
          + " || !x.find('^([^/]+)').endsWith('karpenter.k8s.aws'))";

  /** A Kubernetes qualified name, optionally prefixed by a DNS subdomain. */
  public static final String QUALIFIED_NAME =
      "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$";

  /** A label value. */
  public static final String LABEL_VALUE = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

  public static final String DURATION_OR_NEVER = "^(([0-9]+(s|m|h))+|Never)$";
  public static final String DURATION = "^([0-9]+(s|m|h))+$";

  // Rules on a list of requirements (NodePool template and NodeClaim).
  public static final String REQ_IN_HAS_VALUES =
      "self.all(x, x.operator == 'In' ? has(x.values) && x.values.size() != 0 : true)";
  public static final String REQ_IN_HAS_VALUES_MSG =
      "requirements with operator 'In' must have a value defined";
  public static final String REQ_NUMERIC_SINGLE =
      "self.all(x, (x.operator == 'Gt' || x.operator == 'Lt' || x.operator == 'Gte' ||"
          + " x.operator == 'Lte') ? (has(x.values) && x.values.size() == 1 &&"
          + " x.values[0].matches('^[0-9]+$')) : true)";
  public static final String REQ_NUMERIC_SINGLE_MSG =
      "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value";
  public static final String REQ_MIN_VALUES =
      "self.all(x, (x.operator == 'In' && has(x.minValues)) ? (has(x.values) &&"
          + " x.values.size() >= x.minValues) : true)";
  public static final String REQ_MIN_VALUES_MSG =
      "requirements with 'minValues' must have at least that many values specified in the"
          + " 'values' field";
}
