package dev.karpenter.api.aws.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/** How EC2 instances of a node class are launched: AMI, network, IAM, storage, kubelet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "(has(self.role) && !has(self.instanceProfile)) || (!has(self.role) &&"
            + " has(self.instanceProfile))",
    message = "must specify exactly one of ['role', 'instanceProfile']")
@ValidationRule(
    value =
        "!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) &&"
            + " x.alias.find('^[^@]+') == 'al2') ? (self.amiFamily == 'Custom' || self.amiFamily =="
            + " 'AL2') : true)",
    message = "if set, amiFamily must be 'AL2' or 'Custom' when using an AL2 alias")
@ValidationRule(
    value =
        "!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) &&"
            + " x.alias.find('^[^@]+') == 'al2023') ? (self.amiFamily == 'Custom' ||"
            + " self.amiFamily == 'AL2023') : true)",
    message = "if set, amiFamily must be 'AL2023' or 'Custom' when using an AL2023 alias")
@ValidationRule(
    value =
        "!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) &&"
            + " x.alias.find('^[^@]+') == 'bottlerocket') ? (self.amiFamily == 'Custom' ||"
            + " self.amiFamily == 'Bottlerocket') : true)",
    message =
        "if set, amiFamily must be 'Bottlerocket' or 'Custom' when using a Bottlerocket alias")
@ValidationRule(
    value =
        "!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) &&"
            + " x.alias.find('^[^@]+') == 'windows2019') ? (self.amiFamily == 'Custom' ||"
            + " self.amiFamily == 'Windows2019') : true)",
    message = "if set, amiFamily must be 'Windows2019' or 'Custom' when using a Windows2019 alias")
@ValidationRule(
    value =
        "!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) &&"
            + " x.alias.find('^[^@]+') == 'windows2022') ? (self.amiFamily == 'Custom' ||"
            + " self.amiFamily == 'Windows2022') : true)",
    message = "if set, amiFamily must be 'Windows2022' or 'Custom' when using a Windows2022 alias")
@ValidationRule(
    value =
        "!has(self.amiFamily) || (self.amiSelectorTerms.exists(x, has(x.alias) &&"
            + " x.alias.find('^[^@]+') == 'windows2025') ? (self.amiFamily == 'Custom' ||"
            + " self.amiFamily == 'Windows2025') : true)",
    message = "if set, amiFamily must be 'Windows2025' or 'Custom' when using a Windows2025 alias")
@ValidationRule(
    value = "self.amiSelectorTerms.exists(x, has(x.alias)) ? true : has(self.amiFamily)",
    message = "must specify amiFamily if amiSelectorTerms does not contain an alias")
public record EC2NodeClassSpec(
    @Required
        @Size(min = 1, max = 30)
        @ValidationRule(value = "self.size() != 0", message = "subnetSelectorTerms cannot be empty")
        @ValidationRule(
            value = "self.all(x, has(x.tags) || has(x.id))",
            message = "expected at least one, got none, ['tags', 'id']")
        @ValidationRule(
            value = "!self.exists(x, has(x.id) && has(x.tags))",
            message =
                "'id' is mutually exclusive, cannot be set with a combination of other fields in"
                    + " a subnet selector term")
        @JsonPropertyDescription(
            "Which subnets nodes are launched into: terms are ORed; each term selects by tags"
                + " (\"*\" matches any value) or by id.")
        List<SubnetSelectorTerm> subnetSelectorTerms,
    @Required
        @Size(min = 1, max = 30)
        @ValidationRule(
            value = "self.size() != 0",
            message = "securityGroupSelectorTerms cannot be empty")
        @ValidationRule(
            value = "self.all(x, has(x.tags) || has(x.id) || has(x.name))",
            message = "expected at least one, got none, ['tags', 'id', 'name']")
        @ValidationRule(
            value = "!self.exists(x, has(x.id) && (has(x.tags) || has(x.name)))",
            message =
                "'id' is mutually exclusive, cannot be set with a combination of other fields in"
                    + " a security group selector term")
        @ValidationRule(
            value = "!self.exists(x, has(x.name) && (has(x.tags) || has(x.id)))",
            message =
                "'name' is mutually exclusive, cannot be set with a combination of other fields"
                    + " in a security group selector term")
        @JsonPropertyDescription(
            "Which security groups nodes get: terms are ORed; each selects by tags, id or name.")
        List<SecurityGroupSelectorTerm> securityGroupSelectorTerms,
    @Size(max = 30)
        @ValidationRule(
            value = "self.all(x, has(x.tags) || has(x.id) || has(x.instanceMatchCriteria))",
            message = "expected at least one, got none, ['tags', 'id', 'instanceMatchCriteria']")
        @ValidationRule(
            value =
                "!self.exists(x, has(x.id) && (has(x.tags) || has(x.ownerID) ||"
                    + " has(x.instanceMatchCriteria)))",
            message =
                "'id' is mutually exclusive, cannot be set along with tags, ownerID or"
                    + " instanceMatchCriteria in a capacity reservation selector term")
        @JsonPropertyDescription(
            "On-Demand Capacity Reservations and capacity blocks usable as capacity type"
                + " reserved.")
        List<CapacityReservationSelectorTerm> capacityReservationSelectorTerms,
    @ValidationRule(
            value = "has(self.name) || has(self.id)",
            message = "expected at least one, got none, ['name', 'id']")
        @ValidationRule(
            value = "!(has(self.name) && has(self.id))",
            message = "'name' and 'id' are mutually exclusive")
        @JsonPropertyDescription("The placement group instances are launched into, by name or id.")
        PlacementGroupSelector placementGroupSelector,
    @JsonPropertyDescription("Whether instances get a public IPv4 address; default: the subnet's.")
        Boolean associatePublicIPAddress,
    @Min(0) @JsonPropertyDescription("Number of IPv4 prefixes assigned to the primary interface.")
        Integer ipPrefixCount,
    @Required
        @Size(min = 1, max = 30)
        @ValidationRule(
            value =
                "self.all(x, has(x.tags) || has(x.id) || has(x.name) || has(x.alias) ||"
                    + " has(x.ssmParameter))",
            message =
                "expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']")
        @ValidationRule(
            value =
                "!self.exists(x, has(x.id) && (has(x.alias) || has(x.tags) || has(x.name) ||"
                    + " has(x.owner)))",
            message =
                "'id' is mutually exclusive, cannot be set with a combination of other fields in"
                    + " amiSelectorTerms")
        @ValidationRule(
            value =
                "!self.exists(x, has(x.alias) && (has(x.id) || has(x.tags) || has(x.name) ||"
                    + " has(x.owner)))",
            message =
                "'alias' is mutually exclusive, cannot be set with a combination of other fields"
                    + " in amiSelectorTerms")
        @ValidationRule(
            value = "!(self.exists(x, has(x.alias)) && self.size() != 1)",
            message =
                "'alias' is mutually exclusive, cannot be set with a combination of other"
                    + " amiSelectorTerms")
        @JsonPropertyDescription(
            "Which AMIs nodes boot: an alias such as al2023@latest (alone), or terms selecting by"
                + " tags, id, name/owner or SSM parameter.")
        List<AmiSelectorTerm> amiSelectorTerms,
    @JsonPropertyDescription(
            "The AMI family: AL2, AL2023, Bottlerocket, Custom, Windows2019, Windows2022 or"
                + " Windows2025. Inferred from an alias; required without one.")
        AmiFamily amiFamily,
    @JsonPropertyDescription(
            "User data merged with the bootstrap Karpenter generates (MIME multipart for AL2023).")
        String userData,
    @ValidationRule(value = "self != ''", message = "role cannot be empty")
        @JsonPropertyDescription(
            "IAM role of the nodes; an instance profile is created for it. Exclusive with"
                + " instanceProfile.")
        String role,
    @ValidationRule(value = "self != ''", message = "instanceProfile cannot be empty")
        @JsonPropertyDescription("An existing IAM instance profile. Exclusive with role.")
        String instanceProfile,
    @ValidationRule(value = "self.all(k, k != '')", message = "empty tag keys aren't supported")
        @ValidationRule(
            value = "self.all(k, k != 'eks:eks-cluster-name')",
            message = "tag contains a restricted tag matching eks:eks-cluster-name")
        @ValidationRule(
            value = "self.all(k, !k.startsWith('kubernetes.io/cluster'))",
            message = "tag contains a restricted tag matching kubernetes.io/cluster/")
        @ValidationRule(
            value = "self.all(k, k != 'karpenter.sh/nodepool')",
            message = "tag contains a restricted tag matching karpenter.sh/nodepool")
        @ValidationRule(
            value = "self.all(k, k != 'karpenter.sh/nodeclaim')",
            message = "tag contains a restricted tag matching karpenter.sh/nodeclaim")
        @ValidationRule(
            value = "self.all(k, k != 'karpenter.k8s.aws/ec2nodeclass')",
            message = "tag contains a restricted tag matching karpenter.k8s.aws/ec2nodeclass")
        @JsonPropertyDescription("Tags applied to instances, volumes and launch templates.")
        Map<String, String> tags,
    @JsonPropertyDescription("Kubelet settings that also change allocatable capacity.")
        KubeletConfiguration kubelet,
    @Size(max = 50)
        @ValidationRule(
            value = "self.filter(x, has(x.rootVolume) ? x.rootVolume == true : false).size() <= 1",
            message = "must have only one blockDeviceMappings with rootVolume")
        @JsonPropertyDescription(
            "EBS volumes of the instance; the root volume size sets ephemeral-storage capacity.")
        List<BlockDeviceMapping> blockDeviceMappings,
    @JsonPropertyDescription(
            "RAID0: combine all local NVMe instance-store disks for kubelet and containerd;"
                + " ephemeral-storage becomes their total size.")
        InstanceStorePolicy instanceStorePolicy,
    @Size(max = 150)
        @ValidationRule(
            value =
                "self.size() == 0 || self.exists(x, x.deviceIndex == 0 && x.networkCardIndex == 0"
                    + " && x.interfaceType == 'interface')",
            message =
                "networkInterfaces must include a primary interface with interfaceType='interface'")
        @ValidationRule(
            value =
                "self.all(x, self.filter(y, x.networkCardIndex == y.networkCardIndex &&"
                    + " x.deviceIndex == y.deviceIndex).size() == 1 && (x.interfaceType !="
                    + " 'efa-only' || self.filter(y, x.networkCardIndex == y.networkCardIndex &&"
                    + " y.interfaceType == 'efa-only').size() == 1))",
            message =
                "networkInterfaces must not have duplicate networkCardIndex and deviceIndex pairs,"
                    + " and can have at most one efa device per network card")
        @JsonPropertyDescription("Explicit network interfaces, e.g. EFA-only devices.")
        List<NetworkInterface> networkInterfaces,
    @JsonPropertyDescription("Whether CloudWatch detailed monitoring is enabled.")
        Boolean detailedMonitoring,
    @Default(
            "{\"httpEndpoint\":\"enabled\",\"httpProtocolIPv6\":\"disabled\","
                + "\"httpPutResponseHopLimit\":1,\"httpTokens\":\"required\"}")
        @JsonPropertyDescription(
            "Instance metadata service options. Default: IMDSv2 required, hop limit 1.")
        MetadataOptions metadataOptions,
    @ValidationRule(
            value =
                "has(self.tcpEstablishedTimeout) || has(self.udpStreamTimeout) ||"
                    + " has(self.udpTimeout)",
            message =
                "at least one of tcpEstablishedTimeout, udpStreamTimeout, or udpTimeout must be"
                    + " set")
        @JsonPropertyDescription("Connection tracking timeouts of the primary interface.")
        ConnectionTracking connectionTracking,
    @JsonPropertyDescription("Reserved: the CreateFleet context.") String context,
    @JsonPropertyDescription("CPU options, e.g. nested virtualization.") CpuOptions cpuOptions) {

  /** AMI families. */
  public enum AmiFamily {
    AL2,
    AL2023,
    Bottlerocket,
    Custom,
    Windows2019,
    Windows2022,
    Windows2025
  }

  /** Instance-store policies. */
  public enum InstanceStorePolicy {
    RAID0
  }

  /** Selects subnets. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SubnetSelectorTerm(
      @Size(max = 20)
          @ValidationRule(
              value = "self.all(k, k != '' && self[k] != '')",
              message = "empty tag keys or values aren't supported")
          @JsonPropertyDescription("Tags the subnet must have; \"*\" matches any value.")
          Map<String, String> tags,
      @Pattern("^subnet-[0-9a-z]+$") @JsonPropertyDescription("The subnet id, subnet-...")
          String id) {}

  /** Selects security groups. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SecurityGroupSelectorTerm(
      @Size(max = 20)
          @ValidationRule(
              value = "self.all(k, k != '' && self[k] != '')",
              message = "empty tag keys or values aren't supported")
          @JsonPropertyDescription("Tags the security group must have.")
          Map<String, String> tags,
      @Pattern("^sg-[0-9a-z]+$") @JsonPropertyDescription("The security group id, sg-...")
          String id,
      @JsonPropertyDescription("The security group name.") String name) {}

  /** Selects capacity reservations. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CapacityReservationSelectorTerm(
      @Size(max = 20)
          @ValidationRule(
              value = "self.all(k, k != '' && self[k] != '')",
              message = "empty tag keys or values aren't supported")
          @JsonPropertyDescription("Tags the reservation must have.")
          Map<String, String> tags,
      @Pattern("^cr-[0-9a-z]+$") @JsonPropertyDescription("The reservation id, cr-...") String id,
      @Pattern("^[0-9]{12}$") @JsonPropertyDescription("The owning AWS account id.") String ownerID,
      @JsonPropertyDescription("open or targeted reservations.")
          InstanceMatchCriteria instanceMatchCriteria) {}

  /** Capacity reservation match criteria. */
  public enum InstanceMatchCriteria {
    open,
    targeted
  }

  /** Selects a placement group. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PlacementGroupSelector(
      @Size(min = 1) @JsonPropertyDescription("Placement group name.") String name,
      @Pattern("^pg-[0-9a-z]+$") @JsonPropertyDescription("Placement group id, pg-...")
          String id) {}

  /** Selects AMIs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AmiSelectorTerm(
      @Size(max = 30)
          @ValidationRule(
              value = "self.matches('^[a-zA-Z0-9]+@.+$')",
              message = "'alias' is improperly formatted, must match the format 'family@version'")
          @ValidationRule(
              value =
                  "self.split('@')[0] in"
                      + " ['al2','al2023','bottlerocket','windows2019','windows2022','windows2025']",
              message =
                  "family is not supported, must be one of the following: 'al2', 'al2023',"
                      + " 'bottlerocket', 'windows2019', 'windows2022', 'windows2025'")
          @ValidationRule(
              value =
                  "self.split('@')[0] in ['windows2019','windows2022','windows2025'] ?"
                      + " self.split('@')[1] == 'latest' : true",
              message = "windows families may only specify version 'latest'")
          @JsonPropertyDescription(
              "family@version, e.g. al2023@latest or al2023@v20240625; must be the only term.")
          String alias,
      @Size(max = 20)
          @ValidationRule(
              value = "self.all(k, k != '' && self[k] != '')",
              message = "empty tag keys or values aren't supported")
          @JsonPropertyDescription("Tags the AMI must have.")
          Map<String, String> tags,
      @Pattern("^ami-[0-9a-z]+$") @JsonPropertyDescription("The AMI id, ami-...") String id,
      @JsonPropertyDescription("The AMI name; wildcards allowed.") String name,
      @JsonPropertyDescription("The AMI owner: an account id, self or amazon.") String owner,
      @JsonPropertyDescription("An SSM parameter whose value is the AMI id.")
          String ssmParameter) {}

  /** Kubelet settings (the typed v1.14 shape). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value =
          "has(self.imageGCHighThresholdPercent) && has(self.imageGCLowThresholdPercent) ?"
              + " self.imageGCHighThresholdPercent > self.imageGCLowThresholdPercent : true",
      message = "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent")
  @ValidationRule(
      value =
          "has(self.evictionSoft) ? self.evictionSoft.all(e, has(self.evictionSoftGracePeriod) &&"
              + " (e in self.evictionSoftGracePeriod)) : true",
      message = "evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod")
  @ValidationRule(
      value =
          "has(self.evictionSoftGracePeriod) ? self.evictionSoftGracePeriod.all(e,"
              + " has(self.evictionSoft) && (e in self.evictionSoft)) : true",
      message = "evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft")
  public record KubeletConfiguration(
      @JsonPropertyDescription("Cluster DNS server IPs.") List<String> clusterDNS,
      @Min(0) @JsonPropertyDescription("Most pods per node; overrides the ENI-based limit.")
          Integer maxPods,
      @Min(0) @JsonPropertyDescription("Most pods per vCPU.") Integer podsPerCore,
      @ValidationRule(
              value = "self.all(x, x=='cpu' || x=='memory' || x=='ephemeral-storage' || x=='pid')",
              message =
                  "valid keys for systemReserved are ['cpu','memory','ephemeral-storage','pid']")
          @ValidationRule(
              value = "self.all(x, !self[x].startsWith('-'))",
              message = "systemReserved value cannot be a negative resource quantity")
          @JsonPropertyDescription("Resources reserved for the OS (cpu, memory, ...).")
          @Size(max = 4)
          Map<String, String> systemReserved,
      @ValidationRule(
              value = "self.all(x, x=='cpu' || x=='memory' || x=='ephemeral-storage' || x=='pid')",
              message =
                  "valid keys for kubeReserved are ['cpu','memory','ephemeral-storage','pid']")
          @ValidationRule(
              value = "self.all(x, !self[x].startsWith('-'))",
              message = "kubeReserved value cannot be a negative resource quantity")
          @JsonPropertyDescription("Resources reserved for Kubernetes daemons; overrides defaults.")
          @Size(max = 4)
          Map<String, String> kubeReserved,
      @ValidationRule(
              value = EVICTION_KEYS_RULE,
              message = "valid keys for evictionHard are " + EVICTION_KEYS)
          @JsonPropertyDescription("Hard eviction thresholds, e.g. memory.available: 5%.")
          @Size(max = 6)
          Map<String, String> evictionHard,
      @ValidationRule(
              value = EVICTION_KEYS_RULE,
              message = "valid keys for evictionSoft are " + EVICTION_KEYS)
          @JsonPropertyDescription("Soft eviction thresholds; need a grace period each.")
          @Size(max = 6)
          Map<String, String> evictionSoft,
      @ValidationRule(
              value = EVICTION_KEYS_RULE,
              message = "valid keys for evictionSoftGracePeriod are " + EVICTION_KEYS)
          @JsonPropertyDescription("Grace periods of the soft eviction thresholds.")
          @Size(max = 6)
          Map<String, String> evictionSoftGracePeriod,
      @JsonPropertyDescription("Longest pod grace period on soft eviction, seconds.")
          Integer evictionMaxPodGracePeriod,
      @Min(0) @Max(100) @JsonPropertyDescription("Disk usage that always triggers image GC.")
          Integer imageGCHighThresholdPercent,
      @Min(0) @Max(100) @JsonPropertyDescription("Disk usage image GC frees down to.")
          Integer imageGCLowThresholdPercent,
      @JsonPropertyDescription("Whether CPU CFS quota is enforced for containers with limits.")
          Boolean cpuCFSQuota) {}

  static final String EVICTION_KEYS =
      "['memory.available','nodefs.available','nodefs.inodesFree','imagefs.available','imagefs.inodesFree','pid.available']";
  static final String EVICTION_KEYS_RULE = "self.all(x, x in " + EVICTION_KEYS + ")";

  /** An EBS volume of the instance. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BlockDeviceMapping(
      @JsonPropertyDescription("Device name, e.g. /dev/xvda.") String deviceName,
      @JsonPropertyDescription("The EBS volume.") BlockDevice ebs,
      @JsonPropertyDescription("Whether this is the root volume (ephemeral-storage).")
          Boolean rootVolume) {}

  /** EBS volume settings. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.snapshotID) || has(self.volumeSize)",
      message = "snapshotID or volumeSize must be defined")
  @ValidationRule(
      value =
          "!has(self.volumeInitializationRate) || (has(self.snapshotID) && self.snapshotID !="
              + " '')",
      message = "snapshotID must be set when volumeInitializationRate is set")
  public record BlockDevice(
      @JsonPropertyDescription("Delete the volume when the instance terminates.")
          Boolean deleteOnTermination,
      @JsonPropertyDescription("Encrypt the volume.") Boolean encrypted,
      @JsonPropertyDescription("Provisioned IOPS (io1, io2, gp3).") Long iops,
      @JsonPropertyDescription("KMS key for encryption.") @JsonProperty("kmsKeyID") String kmsKeyID,
      @JsonPropertyDescription("Snapshot the volume is created from.") @JsonProperty("snapshotID")
          String snapshotID,
      @JsonPropertyDescription("Throughput in MiB/s (gp3).") Long throughput,
      @Min(100) @Max(300) @JsonPropertyDescription("Initialization rate from a snapshot, MiB/s.")
          Integer volumeInitializationRate,
      @Pattern(
              "^((?:[1-9][0-9]{0,3}|[1-4][0-9]{4}|[5][0-8][0-9]{3}|59000)Gi|(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|[6][0-3][0-9]{3}|64000)G|([1-9]||[1-5][0-7]|58)Ti|([1-9]||[1-5][0-9]|6[0-3]|64)T)$")
          @JsonPropertyDescription("Volume size, e.g. 200Gi (up to 64T).")
          String volumeSize,
      @JsonPropertyDescription("standard, io1, io2, gp2, sc1, st1 or gp3.")
          VolumeType volumeType) {}

  /** EBS volume types. */
  public enum VolumeType {
    standard,
    io1,
    io2,
    gp2,
    sc1,
    st1,
    gp3
  }

  /** An explicit network interface. */
  public record NetworkInterface(
      @Required @Min(0) @JsonPropertyDescription("Network card index.") Integer networkCardIndex,
      @Required @Min(0) @JsonPropertyDescription("Device index on the card.") Integer deviceIndex,
      @Required @JsonPropertyDescription("interface or efa-only.") InterfaceType interfaceType) {}

  /** Network interface types. */
  public enum InterfaceType {
    @JsonProperty("interface")
    INTERFACE,
    @JsonProperty("efa-only")
    EFA_ONLY
  }

  /** Instance metadata service options. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record MetadataOptions(
      @Default("enabled") @JsonPropertyDescription("enabled or disabled.") Toggle httpEndpoint,
      @Default("disabled")
          @JsonPropertyDescription("IPv6 endpoint: enabled or disabled.")
          @JsonProperty("httpProtocolIPv6")
          Toggle httpProtocolIPv6,
      @Default("1") @Min(1) @Max(64) @JsonPropertyDescription("Hop limit of PUT responses, 1..64.")
          Long httpPutResponseHopLimit,
      @Default("required") @JsonPropertyDescription("required (IMDSv2) or optional.")
          HttpTokens httpTokens) {}

  /** enabled/disabled. */
  public enum Toggle {
    enabled,
    disabled
  }

  /** IMDS token modes. */
  public enum HttpTokens {
    required,
    optional
  }

  /** Connection tracking timeouts. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ConnectionTracking(
      @Min(60) @Max(432000) @JsonPropertyDescription("TCP established timeout, seconds.")
          Integer tcpEstablishedTimeout,
      @Min(60) @Max(180) @JsonPropertyDescription("UDP stream timeout, seconds.")
          Integer udpStreamTimeout,
      @Min(30) @Max(60) @JsonPropertyDescription("UDP timeout, seconds.") Integer udpTimeout) {}

  /** CPU options. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CpuOptions(
      @JsonPropertyDescription("enabled or disabled.") Toggle nestedVirtualization) {}
}
