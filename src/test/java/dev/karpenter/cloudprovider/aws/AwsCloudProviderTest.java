package dev.karpenter.cloudprovider.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimSpec;
import dev.karpenter.api.v1.NodeClassReference;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;

/** The launch logic against an in-JVM EC2 (FakeEc2): fleet shape, capacity type, ICE fallback. */
class AwsCloudProviderTest {
  static final Catalog CATALOG = Catalog.load("us-east-1");
  FakeEc2 ec2;
  AwsCloudProvider cloud;
  EC2NodeClass nc;

  @BeforeEach
  void setUp() {
    ec2 = new FakeEc2();
    AwsClients clients = new AwsClients(Region.US_EAST_1, ec2, null, null, null, null);
    nc = nodeClass();
    cloud =
        new AwsCloudProvider(
            null, clients, AwsSettings.of("my-cluster", "us-east-1"), Clock.systemUTC(), n -> nc);
    cloud.catalog().use(CATALOG);
  }

  static EC2NodeClass nodeClass() {
    EC2NodeClass nc =
        Serialization.unmarshal(
            """
            apiVersion: karpenter.k8s.aws/v1
            kind: EC2NodeClass
            metadata: {name: gpu-optimized}
            spec:
              amiSelectorTerms: [{alias: al2023@latest}]
              role: KarpenterNodeRole-my-cluster
              subnetSelectorTerms: [{tags: {karpenter.sh/discovery: my-cluster}}]
              securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: my-cluster}}]
              tags: {Environment: production}
              userData: |
                #!/bin/bash
                echo hi
            """,
            EC2NodeClass.class);
    EC2NodeClassStatus st = new EC2NodeClassStatus();
    st.setSubnets(
        List.of(
            new EC2NodeClassStatus.Subnet("subnet-a", "us-east-1a", "use1-az6"),
            new EC2NodeClassStatus.Subnet("subnet-b", "us-east-1b", "use1-az1")));
    st.setSecurityGroups(List.of(new EC2NodeClassStatus.SecurityGroup("sg-1", "nodes")));
    st.setAmis(
        List.of(
            new EC2NodeClassStatus.Ami(
                "ami-nvidia", "nvidia", null, NodeClassResolver.requirements("x86_64", "nvidia")),
            new EC2NodeClassStatus.Ami(
                "ami-neuron", "neuron", null, NodeClassResolver.requirements("x86_64", "neuron")),
            new EC2NodeClassStatus.Ami(
                "ami-std",
                "standard",
                null,
                NodeClassResolver.requirements("x86_64", "standard"))));
    st.setInstanceProfile("my-cluster_profile");
    st.setConditions(
        List.of(new Condition("Ready", "True", 1L, "2026-01-01T00:00:00Z", "Ready", "")));
    nc.setStatus(st);
    return nc;
  }

  static NodeClaim claim(String name, List<NodeSelectorRequirementWithMinValues> reqs) {
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(name);
    c.getMetadata().setLabels(Map.of("karpenter.sh/nodepool", "gpu-inference"));
    c.setSpec(
        new NodeClaimSpec(
            null,
            null,
            reqs,
            null,
            new NodeClassReference("karpenter.k8s.aws", "EC2NodeClass", "gpu-optimized"),
            null,
            null));
    return c;
  }

  static NodeSelectorRequirementWithMinValues in(String key, String... values) {
    return Serialization.unmarshal(
        "{\"key\":\""
            + key
            + "\",\"operator\":\"In\",\"values\":"
            + Serialization.asJson(List.of(values))
            + "}",
        NodeSelectorRequirementWithMinValues.class);
  }

  @Test
  void spotFleetHasOneOverridePerTypeAndZonePricedAsPriorityAndTheClusterTags() {
    NodeClaim launched =
        cloud.create(
            claim(
                "c1",
                List.of(
                    in("karpenter.k8s.aws/instance-family", "g5", "g6"),
                    in("karpenter.sh/capacity-type", "spot", "on-demand"))));
    var req = ec2.fleets.getFirst();
    assertEquals("instant", req.typeAsString());
    assertEquals(1, req.targetCapacitySpecification().totalTargetCapacity());
    assertEquals("spot", req.targetCapacitySpecification().defaultTargetCapacityTypeAsString());
    assertEquals("price-capacity-optimized", req.spotOptions().allocationStrategyAsString());
    List<FleetLaunchTemplateOverridesRequest> overrides =
        req.launchTemplateConfigs().stream().flatMap(c -> c.overrides().stream()).toList();
    long types =
        overrides.stream()
            .map(FleetLaunchTemplateOverridesRequest::instanceTypeAsString)
            .distinct()
            .count();
    assertTrue(types > 1 && types <= 60, "types: " + types);
    for (var o : overrides) {
      String subnet = o.availabilityZone().equals("us-east-1a") ? "subnet-a" : "subnet-b";
      assertEquals(subnet, o.subnetId(), o.toString());
      InstanceType t = CATALOG.get(o.instanceTypeAsString()).orElseThrow();
      double price =
          t.offerings().stream()
              .filter(x -> x.zone().equals(o.availabilityZone()) && x.capacityType().equals("spot"))
              .mapToDouble(Offering::price)
              .findFirst()
              .orElseThrow();
      assertEquals(price, o.priority(), 1e-9, o.toString());
      assertEquals("ami-nvidia", o.imageId(), "GPU types get the NVIDIA AMI: " + o);
    }
    Map<String, String> tags =
        Map.copyOf(
            req.tagSpecifications().stream()
                .filter(t -> t.resourceTypeAsString().equals("instance"))
                .findFirst()
                .orElseThrow()
                .tags()
                .stream()
                .collect(java.util.stream.Collectors.toMap(t -> t.key(), t -> t.value())));
    assertEquals("owned", tags.get("kubernetes.io/cluster/my-cluster"));
    assertEquals("gpu-inference", tags.get("karpenter.sh/nodepool"));
    assertEquals("c1", tags.get("karpenter.sh/nodeclaim"));
    assertEquals("gpu-optimized", tags.get("karpenter.k8s.aws/ec2nodeclass"));
    assertEquals("my-cluster", tags.get("eks:eks-cluster-name"));
    assertEquals("production", tags.get("Environment"));
    assertTrue(
        req.tagSpecifications().stream().anyMatch(t -> t.resourceTypeAsString().equals("volume")));
    assertTrue(
        req.tagSpecifications().stream().anyMatch(t -> t.resourceTypeAsString().equals("fleet")));
    assertTrue(launched.getStatus().getProviderID().startsWith("aws:///us-east-1"));
    assertEquals("spot", launched.getMetadata().getLabels().get("karpenter.sh/capacity-type"));
    assertEquals("ami-nvidia", launched.getStatus().getImageID());
  }

  @Test
  void onDemandOnlyClaimsUseLowestPrice() {
    cloud.create(
        claim(
            "c1",
            List.of(
                in("node.kubernetes.io/instance-type", "g5.xlarge"),
                in("karpenter.sh/capacity-type", "on-demand"))));
    var req = ec2.fleets.getFirst();
    assertEquals(
        "on-demand", req.targetCapacitySpecification().defaultTargetCapacityTypeAsString());
    assertEquals("lowest-price", req.onDemandOptions().allocationStrategyAsString());
  }

  @Test
  void atMostSixtyInstanceTypesPerFleet() {
    cloud.create(claim("c1", List.of(in("karpenter.sh/capacity-type", "on-demand"))));
    long types =
        ec2.fleets.getFirst().launchTemplateConfigs().stream()
            .flatMap(c -> c.overrides().stream())
            .map(FleetLaunchTemplateOverridesRequest::instanceTypeAsString)
            .distinct()
            .count();
    assertEquals(60, types);
  }

  @Test
  void iceOnTheCheapestOfferingIsCachedAndTheLaunchFallsBackThenAllIceIsInsufficientCapacity() {
    List<NodeSelectorRequirementWithMinValues> reqs =
        List.of(
            in("node.kubernetes.io/instance-type", "g5.xlarge"),
            in("karpenter.sh/capacity-type", "spot"));
    var offerings =
        CATALOG.get("g5.xlarge").orElseThrow().offerings().stream()
            .filter(
                o ->
                    o.capacityType().equals("spot")
                        && List.of("us-east-1a", "us-east-1b").contains(o.zone()))
            .sorted(java.util.Comparator.comparingDouble(Offering::price))
            .toList();
    String cheapest = offerings.get(0).zone();
    String next = offerings.get(1).zone();
    ec2.ice.add("spot:g5.xlarge:" + cheapest);
    NodeClaim launched = cloud.create(claim("c1", reqs));
    assertEquals(next, launched.getMetadata().getLabels().get("topology.kubernetes.io/zone"));
    assertTrue(cloud.unavailable().isUnavailable("g5.xlarge", cheapest, "spot"));
    assertFalse(
        cloud.instanceTypes(nc).stream()
            .filter(t -> t.name().equals("g5.xlarge"))
            .flatMap(t -> t.offerings().stream())
            .filter(o -> o.zone().equals(cheapest) && o.capacityType().equals("spot"))
            .findFirst()
            .orElseThrow()
            .available(),
        "the next scheduling round sees the offering as unavailable");

    ec2.ice.add("spot:g5.xlarge:" + next);
    var e =
        assertThrows(
            CloudProviderException.InsufficientCapacity.class,
            () -> cloud.create(claim("c2", reqs)));
    assertEquals(List.of("spot:g5.xlarge:" + next), e.unavailableOfferings());
  }

  @Test
  void aClassThatIsNotReadyRefusesToLaunchWithItsMessage() {
    nc.getStatus()
        .setConditions(
            List.of(
                new Condition(
                    "Ready",
                    "False",
                    1L,
                    "2026-01-01T00:00:00Z",
                    "NotReady",
                    "subnetSelectorTerms[0] (tags {a=b}) matched no subnet")));
    var e =
        assertThrows(
            CloudProviderException.NodeClassNotReady.class,
            () -> cloud.create(claim("c1", List.of())));
    assertTrue(e.getMessage().contains("subnetSelectorTerms[0]"), e.getMessage());
    assertTrue(ec2.fleets.isEmpty());
  }

  @Test
  void oneLaunchTemplatePerConfigurationWithTheClassSettings() {
    cloud.create(
        claim(
            "c1",
            List.of(
                in("node.kubernetes.io/instance-type", "g5.xlarge"),
                in("karpenter.sh/capacity-type", "spot"))));
    cloud.create(
        claim(
            "c2",
            List.of(
                in("node.kubernetes.io/instance-type", "g5.xlarge"),
                in("karpenter.sh/capacity-type", "spot"))));
    assertEquals(1, ec2.templates.size(), "same configuration, same template");
    var data = ec2.templates.getFirst().launchTemplateData();
    assertTrue(ec2.templates.getFirst().launchTemplateName().startsWith("karpenter.k8s.aws/"));
    assertEquals("ami-nvidia", data.imageId());
    assertEquals(List.of("sg-1"), data.securityGroupIds());
    assertEquals("my-cluster_profile", data.iamInstanceProfile().name());
    assertEquals(
        20, data.blockDeviceMappings().getFirst().ebs().volumeSize(), "AL2023 default root volume");
    assertEquals("required", data.metadataOptions().httpTokensAsString());
    assertEquals(1, data.metadataOptions().httpPutResponseHopLimit());
  }

  @Test
  void aClaimWhoseInstanceWasLaunchedBeforeTheOperatorDiedAdoptsItInsteadOfLaunchingAgain() {
    ec2.instances.add(
        software.amazon.awssdk.services.ec2.model.Instance.builder()
            .instanceId("i-0000000000000042")
            .instanceType("g5.xlarge")
            .imageId("ami-nvidia")
            .placement(p -> p.availabilityZone("us-east-1b"))
            .instanceLifecycle("spot")
            .state(x -> x.name("running"))
            .tags(
                t -> t.key("kubernetes.io/cluster/my-cluster").value("owned"),
                t -> t.key("karpenter.sh/nodeclaim").value("c1"))
            .build());
    NodeClaim launched =
        cloud.create(claim("c1", List.of(in("karpenter.k8s.aws/instance-family", "g5"))));
    assertTrue(ec2.fleets.isEmpty(), "no second CreateFleet for the claim");
    assertEquals("aws:///us-east-1b/i-0000000000000042", launched.getStatus().getProviderID());
    assertEquals("spot", launched.getMetadata().getLabels().get("karpenter.sh/capacity-type"));
  }

  @Test
  void driftComparesAmiSubnetAndSecurityGroups() {
    var st = nc.getStatus();
    var ok =
        software.amazon.awssdk.services.ec2.model.Instance.builder()
            .imageId("ami-nvidia")
            .subnetId("subnet-a")
            .securityGroups(g -> g.groupId("sg-1"))
            .build();
    assertTrue(AwsCloudProvider.drift(st, ok).isEmpty());
    assertEquals(
        "AMIDrift",
        AwsCloudProvider.drift(st, ok.toBuilder().imageId("ami-old").build()).orElseThrow());
    assertEquals(
        "SubnetDrift",
        AwsCloudProvider.drift(st, ok.toBuilder().subnetId("subnet-z").build()).orElseThrow());
    assertEquals(
        "SecurityGroupDrift",
        AwsCloudProvider.drift(st, ok.toBuilder().securityGroups(g -> g.groupId("sg-2")).build())
            .orElseThrow());
  }
}
