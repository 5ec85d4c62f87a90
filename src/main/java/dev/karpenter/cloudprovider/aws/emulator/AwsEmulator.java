package dev.karpenter.cloudprovider.aws.emulator;

import dev.karpenter.cloudprovider.aws.AwsClients;
import dev.karpenter.cloudprovider.aws.AwsSettings;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.pricing.PricingClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The AWS provider's clients pointed at moto (EC2 through the {@link EmulatorShim}) and at the
 * {@link PricingEmulator}, and the AWS side of the GPU guide seeded into moto: a VPC with subnets
 * and a security group tagged {@code karpenter.sh/discovery: my-cluster}, the node role, EKS-style
 * AMIs and their public SSM parameters under {@link #SSM_ROOT} (moto reserves {@code /aws}). What
 * {@code karpenter demo} and the moto ITs run the provider on.
 */
public final class AwsEmulator implements AutoCloseable {
  public static final Region REGION = Region.US_EAST_1;
  public static final String SSM_ROOT = "/karpenter-emulator/aws/service";
  public static final String CLUSTER = "my-cluster";
  public static final String ROLE = "KarpenterNodeRole-my-cluster";
  public static final String K8S = "1.33";

  private final URI endpoint;
  private final EmulatorShim shim;
  private final PricingEmulator pricing;
  private final Ec2Client plainEc2;
  private final AwsClients clients;
  private final Map<String, String> subnets = new LinkedHashMap<>();
  private final Map<String, String> amis = new LinkedHashMap<>();
  private String securityGroup;

  /** Clients for the moto server at {@code endpoint}; {@link #seed()} fills it. */
  public AwsEmulator(URI endpoint) {
    this.endpoint = endpoint;
    Catalog catalog = Catalog.load(REGION.id());
    this.shim = new EmulatorShim(catalog);
    this.pricing = PricingEmulator.fromDataOrCatalog(catalog);
    var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    plainEc2 =
        Ec2Client.builder()
            .region(REGION)
            .endpointOverride(endpoint)
            .credentialsProvider(creds)
            .httpClient(UrlConnectionHttpClient.create())
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
            .build();
    shim.offeringsFrom(plainEc2);
    clients =
        new AwsClients(
            REGION,
            Ec2Client.builder()
                .region(REGION)
                .endpointOverride(endpoint)
                .credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(
                    o ->
                        o.retryStrategy(AwsRetryStrategy.doNotRetry())
                            .addExecutionInterceptor(shim))
                .build(),
            SsmClient.builder()
                .region(REGION)
                .endpointOverride(endpoint)
                .credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build(),
            IamClient.builder()
                .region(Region.AWS_GLOBAL)
                .endpointOverride(endpoint)
                .credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build(),
            PricingClient.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(pricing.endpoint())
                .credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build(),
            SqsClient.builder()
                .region(REGION)
                .endpointOverride(endpoint)
                .credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build());
  }

  /** The provider's settings for the seeded cluster, nodes joining {@code clusterEndpoint}. */
  public AwsSettings settings(String clusterEndpoint, String caBundle) {
    return AwsSettings.of(CLUSTER, REGION.id())
        .withSsmParameterRoot(SSM_ROOT)
        .withCluster(clusterEndpoint, caBundle, "10.100.0.0/16", null);
  }

  public AwsSettings settings() {
    return settings("https://my-cluster.example:443", "Y2EtYnVuZGxl");
  }

  public URI endpoint() {
    return endpoint;
  }

  /** CreateFleet realism and ICE injection. */
  public EmulatorShim shim() {
    return shim;
  }

  public PricingEmulator pricing() {
    return pricing;
  }

  /** An EC2 client straight to moto, without the shim: what an observer sees. */
  public Ec2Client plainEc2() {
    return plainEc2;
  }

  /** The provider's clients (EC2 through the shim, Pricing on the emulator). */
  public AwsClients clients() {
    return clients;
  }

  /** Subnet id per zone. */
  public Map<String, String> subnets() {
    return Map.copyOf(subnets);
  }

  /** AMI id per {@code arch/variant} ({@code x86_64/nvidia}, ...). */
  public Map<String, String> amis() {
    return Map.copyOf(amis);
  }

  public String securityGroup() {
    return securityGroup;
  }

  /** The guide's AWS resources; once per moto reset. */
  public AwsEmulator seed() {
    var ec2 = plainEc2;
    String vpc = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId();
    String[][] layout = {
      {"us-east-1a", "10.0.1.0/24", "private"},
      {"us-east-1b", "10.0.2.0/24", "private"},
      {"us-east-1c", "10.0.3.0/24", "public"}
    };
    for (String[] s : layout) {
      String id =
          ec2.createSubnet(
                  r ->
                      r.vpcId(vpc)
                          .cidrBlock(s[1])
                          .availabilityZone(s[0])
                          .tagSpecifications(
                              tags(
                                  ResourceType.SUBNET,
                                  Map.of("karpenter.sh/discovery", CLUSTER, "network-type", s[2]))))
              .subnet()
              .subnetId();
      subnets.put(s[0], id);
    }
    securityGroup =
        ec2.createSecurityGroup(
                r ->
                    r.vpcId(vpc)
                        .groupName("karpenter-nodes")
                        .description("nodes")
                        .tagSpecifications(
                            tags(
                                ResourceType.SECURITY_GROUP,
                                Map.of("karpenter.sh/discovery", CLUSTER))))
            .groupId();
    try {
      clients
          .iam()
          .createRole(
              r ->
                  r.roleName(ROLE)
                      .assumeRolePolicyDocument(
                          "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                              + "\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"));
    } catch (software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException e) {
      // kept across moto resets of EC2 only
    }
    for (String[] av :
        List.of(
            new String[] {"x86_64", "standard"},
            new String[] {"arm64", "standard"},
            new String[] {"x86_64", "nvidia"},
            new String[] {"arm64", "nvidia"},
            new String[] {"x86_64", "neuron"})) {
      String name = "amazon-eks-node-al2023-" + av[0] + "-" + av[1] + "-" + K8S + "-v20261120";
      String ami = ec2.registerImage(r -> r.name(name).description(name)).imageId();
      amis.put(av[0] + "/" + av[1], ami);
      String param =
          SSM_ROOT
              + "/eks/optimized-ami/"
              + K8S
              + "/amazon-linux-2023/"
              + av[0]
              + "/"
              + av[1]
              + "/recommended/image_id";
      clients
          .ssm()
          .putParameter(r -> r.name(param).value(ami).type(ParameterType.STRING).overwrite(true));
    }
    return this;
  }

  /**
   * A launch template as DescribeLaunchTemplateVersions ({@code $Latest}) reports it.
   *
   * @param blockDevices {@code /dev/xvda gp3 200GiB iops=6000 throughput=250 encrypted=true}
   * @param metadataOptions {@code httpTokens=required httpPutResponseHopLimit=2 ...}
   * @param tags the tags of the instances and volumes it launches
   * @param userData decoded
   */
  public record LaunchTemplateView(
      String name,
      String imageId,
      List<String> securityGroups,
      String instanceProfile,
      List<String> blockDevices,
      String metadataOptions,
      Map<String, String> tags,
      String userData) {}

  /** An instance as DescribeInstances reports it. */
  public record InstanceView(
      String id,
      String type,
      String zone,
      String lifecycle,
      String state,
      String imageId,
      Map<String, String> tags) {}

  /** The launch templates Karpenter created ({@code karpenter.k8s.aws/<hash>}). */
  public List<LaunchTemplateView> launchTemplates() {
    List<LaunchTemplateView> out = new java.util.ArrayList<>();
    for (var lt :
        plainEc2.describeLaunchTemplatesPaginator(r -> r.maxResults(100)).launchTemplates()) {
      if (!lt.launchTemplateName().startsWith("karpenter.k8s.aws/")) {
        continue;
      }
      var data =
          plainEc2
              .describeLaunchTemplateVersions(
                  r -> r.launchTemplateId(lt.launchTemplateId()).versions("$Latest"))
              .launchTemplateVersions()
              .get(0)
              .launchTemplateData();
      List<String> devices = new java.util.ArrayList<>();
      for (var b : data.blockDeviceMappings()) {
        var e = b.ebs();
        devices.add(
            e == null
                ? b.deviceName()
                : String.format(
                    "%s %s %sGiB iops=%s throughput=%s encrypted=%s deleteOnTermination=%s",
                    b.deviceName(),
                    e.volumeTypeAsString(),
                    e.volumeSize(),
                    e.iops(),
                    e.throughput(),
                    e.encrypted(),
                    e.deleteOnTermination()));
      }
      var m = data.metadataOptions();
      String metadata =
          m == null
              ? ""
              : "httpEndpoint="
                  + m.httpEndpointAsString()
                  + " httpTokens="
                  + m.httpTokensAsString()
                  + " httpPutResponseHopLimit="
                  + m.httpPutResponseHopLimit()
                  + " httpProtocolIpv6="
                  + m.httpProtocolIpv6AsString()
                  + " instanceMetadataTags="
                  + m.instanceMetadataTagsAsString();
      Map<String, String> tags = new java.util.TreeMap<>();
      data.tagSpecifications().stream()
          .filter(t -> "instance".equals(t.resourceTypeAsString()))
          .forEach(t -> t.tags().forEach(x -> tags.put(x.key(), x.value())));
      out.add(
          new LaunchTemplateView(
              lt.launchTemplateName(),
              data.imageId(),
              data.securityGroupIds(),
              data.iamInstanceProfile() == null ? null : data.iamInstanceProfile().name(),
              devices,
              metadata,
              tags,
              data.userData() == null
                  ? ""
                  : new String(
                      java.util.Base64.getDecoder().decode(data.userData()),
                      java.nio.charset.StandardCharsets.UTF_8)));
    }
    return out;
  }

  /** The instances tagged for the cluster, any state. */
  public List<InstanceView> instances() {
    List<InstanceView> out = new java.util.ArrayList<>();
    plainEc2
        .describeInstancesPaginator(
            r -> r.filters(f -> f.name("tag:kubernetes.io/cluster/" + CLUSTER).values("owned")))
        .reservations()
        .forEach(
            res ->
                res.instances()
                    .forEach(
                        i -> {
                          Map<String, String> tags = new java.util.TreeMap<>();
                          i.tags().forEach(t -> tags.put(t.key(), t.value()));
                          out.add(
                              new InstanceView(
                                  i.instanceId(),
                                  i.instanceTypeAsString(),
                                  i.placement().availabilityZone(),
                                  i.instanceLifecycleAsString() == null
                                      ? "on-demand"
                                      : i.instanceLifecycleAsString(),
                                  i.state().nameAsString(),
                                  i.imageId(),
                                  tags));
                        }));
    return out;
  }

  private static TagSpecification tags(ResourceType type, Map<String, String> tags) {
    return TagSpecification.builder()
        .resourceType(type)
        .tags(
            tags.entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                .toList())
        .build();
  }

  @Override
  public void close() {
    pricing.close();
    plainEc2.close();
    clients.close();
  }
}
