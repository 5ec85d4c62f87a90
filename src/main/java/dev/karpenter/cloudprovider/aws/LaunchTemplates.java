package dev.karpenter.cloudprovider.aws;

import dev.karpenter.api.aws.v1.EC2NodeClassSpec;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec.BlockDevice;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec.BlockDeviceMapping;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec.MetadataOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateBlockDeviceMappingRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceMetadataOptionsRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateTagSpecificationRequest;
import software.amazon.awssdk.services.ec2.model.RequestLaunchTemplateData;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * One launch template per distinct launch configuration (AMI, security groups, instance profile,
 * block devices, metadata options, userData, tags, network interfaces), named {@code
 * karpenter.k8s.aws/<hash>} so equal configurations share it; cached by name, recreated when EC2
 * says it is gone, deleted with their EC2NodeClass.
 */
final class LaunchTemplates {
  private static final Logger LOG = LoggerFactory.getLogger(LaunchTemplates.class);
  static final String NAME_PREFIX = "karpenter.k8s.aws/";

  /** Everything that goes into one template. */
  record Config(
      String nodeClass,
      String amiId,
      List<String> securityGroupIds,
      String instanceProfile,
      List<BlockDeviceMapping> blockDevices,
      MetadataOptions metadataOptions,
      String userData,
      Map<String, String> tags,
      List<EC2NodeClassSpec.NetworkInterface> networkInterfaces,
      Boolean detailedMonitoring,
      Boolean associatePublicIp) {
    String name() {
      return NAME_PREFIX + InstanceProfiles.hash(toString());
    }
  }

  private final Ec2Client ec2;
  private final String clusterName;
  private final Map<String, String> ids = new ConcurrentHashMap<>();

  LaunchTemplates(Ec2Client ec2, String clusterName) {
    this.ec2 = ec2;
    this.clusterName = clusterName;
  }

  /** The template's name, created if this process has not seen it. */
  String ensure(Config c) {
    String name = c.name();
    if (ids.containsKey(name)) {
      return name;
    }
    List<LaunchTemplate> existing =
        ec2.describeLaunchTemplates(
                r ->
                    r.filters(NodeClassResolver.filter("launch-template-name", name)).maxResults(5))
            .launchTemplates();
    if (!existing.isEmpty()) {
      ids.put(name, existing.get(0).launchTemplateId());
      return name;
    }
    try {
      var created =
          ec2.createLaunchTemplate(
              r ->
                  r.launchTemplateName(name)
                      .launchTemplateData(data(c))
                      .tagSpecifications(
                          TagSpecification.builder()
                              .resourceType(ResourceType.LAUNCH_TEMPLATE)
                              .tags(tags(c))
                              .build()));
      ids.put(name, created.launchTemplate().launchTemplateId());
      LOG.info(
          "created launch template {} for EC2NodeClass {} (AMI {})",
          name,
          c.nodeClass(),
          c.amiId());
    } catch (AwsServiceException e) {
      if (!"InvalidLaunchTemplateName.AlreadyExistsException".equals(AwsErrors.code(e))) {
        throw e;
      }
      ids.put(name, "");
    }
    return name;
  }

  /** Forget a template EC2 no longer has, so the next {@link #ensure} recreates it. */
  void invalidate(String name) {
    ids.remove(name);
  }

  /** Deletes every template made for the class; returns how many. */
  int deleteFor(String nodeClass) {
    int n = 0;
    String token = null;
    List<String> names = new ArrayList<>();
    do {
      String t = token;
      var page =
          ec2.describeLaunchTemplates(
              r ->
                  r.filters(
                          NodeClassResolver.filter("tag:karpenter.k8s.aws/ec2nodeclass", nodeClass),
                          NodeClassResolver.filter(
                              "tag:kubernetes.io/cluster/" + clusterName, "owned"))
                      .maxResults(100)
                      .nextToken(t));
      page.launchTemplates().forEach(lt -> names.add(lt.launchTemplateName()));
      token = page.nextToken();
    } while (token != null && !token.isEmpty());
    for (String name : names) {
      try {
        ec2.deleteLaunchTemplate(r -> r.launchTemplateName(name));
        n++;
      } catch (AwsServiceException e) {
        LOG.debug("deleting launch template {}: {}", name, AwsErrors.describe(e));
      }
      ids.remove(name);
    }
    if (n > 0) {
      LOG.info("deleted {} launch templates of EC2NodeClass {}", n, nodeClass);
    }
    return n;
  }

  private List<Tag> tags(Config c) {
    Map<String, String> t = new TreeMap<>(c.tags());
    return t.entrySet().stream()
        .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
        .toList();
  }

  RequestLaunchTemplateData data(Config c) {
    RequestLaunchTemplateData.Builder d =
        RequestLaunchTemplateData.builder()
            .imageId(c.amiId())
            .iamInstanceProfile(p -> p.name(c.instanceProfile()))
            .blockDeviceMappings(blockDevices(c.blockDevices()))
            .metadataOptions(metadata(c.metadataOptions()))
            .monitoring(m -> m.enabled(Boolean.TRUE.equals(c.detailedMonitoring())))
            .userData(
                c.userData() == null || c.userData().isEmpty()
                    ? null
                    : Base64.getEncoder()
                        .encodeToString(c.userData().getBytes(StandardCharsets.UTF_8)))
            .tagSpecifications(
                LaunchTemplateTagSpecificationRequest.builder()
                    .resourceType(ResourceType.INSTANCE)
                    .tags(tags(c))
                    .build(),
                LaunchTemplateTagSpecificationRequest.builder()
                    .resourceType(ResourceType.VOLUME)
                    .tags(tags(c))
                    .build());
    if (c.networkInterfaces() != null && !c.networkInterfaces().isEmpty()) {
      // Explicit interfaces (EFA): security groups go on each interface, not the template.
      List<LaunchTemplateInstanceNetworkInterfaceSpecificationRequest> nis = new ArrayList<>();
      for (EC2NodeClassSpec.NetworkInterface ni : c.networkInterfaces()) {
        boolean efa = ni.interfaceType() == EC2NodeClassSpec.InterfaceType.EFA_ONLY;
        nis.add(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest.builder()
                .networkCardIndex(ni.networkCardIndex())
                .deviceIndex(ni.deviceIndex())
                .interfaceType(efa ? "efa-only" : "interface")
                .groups(c.securityGroupIds())
                .associatePublicIpAddress(
                    ni.networkCardIndex() == 0 && ni.deviceIndex() == 0
                        ? c.associatePublicIp()
                        : null)
                .deleteOnTermination(true)
                .build());
      }
      d.networkInterfaces(nis);
    } else if (c.associatePublicIp() != null) {
      d.networkInterfaces(
          LaunchTemplateInstanceNetworkInterfaceSpecificationRequest.builder()
              .deviceIndex(0)
              .associatePublicIpAddress(c.associatePublicIp())
              .groups(c.securityGroupIds())
              .build());
    } else {
      d.securityGroupIds(c.securityGroupIds());
    }
    return d.build();
  }

  static List<BlockDeviceMapping> defaultBlockDevices(String family) {
    return switch (family) {
      case "Bottlerocket" ->
          List.of(
              new BlockDeviceMapping("/dev/xvda", gp3("4Gi"), null),
              new BlockDeviceMapping("/dev/xvdb", gp3("20Gi"), true));
      case "Windows2019", "Windows2022", "Windows2025" ->
          List.of(new BlockDeviceMapping("/dev/sda1", gp3("50Gi"), true));
      default -> List.of(new BlockDeviceMapping("/dev/xvda", gp3("20Gi"), true));
    };
  }

  private static BlockDevice gp3(String size) {
    return new BlockDevice(
        true, true, null, null, null, null, null, size, EC2NodeClassSpec.VolumeType.gp3);
  }

  private static List<LaunchTemplateBlockDeviceMappingRequest> blockDevices(
      List<BlockDeviceMapping> bdms) {
    List<LaunchTemplateBlockDeviceMappingRequest> out = new ArrayList<>();
    for (BlockDeviceMapping m : bdms) {
      BlockDevice e = m.ebs();
      out.add(
          LaunchTemplateBlockDeviceMappingRequest.builder()
              .deviceName(m.deviceName())
              .ebs(
                  e == null
                      ? null
                      : software.amazon.awssdk.services.ec2.model
                          .LaunchTemplateEbsBlockDeviceRequest.builder()
                          .deleteOnTermination(e.deleteOnTermination())
                          .encrypted(e.encrypted())
                          .iops(e.iops() == null ? null : e.iops().intValue())
                          .kmsKeyId(e.kmsKeyID())
                          .snapshotId(e.snapshotID())
                          .throughput(e.throughput() == null ? null : e.throughput().intValue())
                          .volumeInitializationRate(e.volumeInitializationRate())
                          .volumeSize(e.volumeSize() == null ? null : gib(e.volumeSize()))
                          .volumeType(e.volumeType() == null ? null : e.volumeType().name())
                          .build())
              .build());
    }
    return out;
  }

  /** EBS sizes are whole GiB: {@code 200Gi} is 200, {@code 1Ti} 1024, {@code 100G} rounds up. */
  static int gib(String q) {
    long bytes = dev.karpenter.scheduling.Quantities.parseMilli(q) / 1000;
    long gi = 1L << 30;
    return (int) ((bytes + gi - 1) / gi);
  }

  private static LaunchTemplateInstanceMetadataOptionsRequest metadata(MetadataOptions m) {
    return LaunchTemplateInstanceMetadataOptionsRequest.builder()
        .httpEndpoint(m == null || m.httpEndpoint() == null ? "enabled" : m.httpEndpoint().name())
        .httpProtocolIpv6(
            m == null || m.httpProtocolIPv6() == null ? "disabled" : m.httpProtocolIPv6().name())
        .httpPutResponseHopLimit(
            m == null || m.httpPutResponseHopLimit() == null
                ? 1
                : m.httpPutResponseHopLimit().intValue())
        .httpTokens(m == null || m.httpTokens() == null ? "required" : m.httpTokens().name())
        .instanceMetadataTags("disabled")
        .build();
  }
}
