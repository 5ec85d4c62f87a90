package dev.karpenter.cloudprovider.aws;

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
 * The provider's clients pointed at moto (EC2 through the {@link EmulatorShim}) and at the {@link
 * PricingEmulator}, and the AWS side of the GPU guide seeded into moto: a VPC with subnets and a
 * security group tagged {@code karpenter.sh/discovery: my-cluster}, the node role, EKS-style AMIs
 * and their public SSM parameters under {@link #SSM_ROOT} (moto reserves {@code /aws}).
 */
final class MotoAws implements AutoCloseable {
  static final Region REGION = Region.US_EAST_1;
  static final String SSM_ROOT = "/karpenter-emulator/aws/service";
  static final String CLUSTER = "my-cluster";
  static final String ROLE = "KarpenterNodeRole-my-cluster";
  static final String K8S = "1.33";

  final URI endpoint;
  final EmulatorShim shim = new EmulatorShim(Catalog.load(REGION.id()));
  final PricingEmulator pricing = new PricingEmulator(PricingEmulator.DATA);
  final Ec2Client plainEc2;
  final AwsClients clients;
  final Map<String, String> subnets = new LinkedHashMap<>();
  final Map<String, String> amis = new LinkedHashMap<>();
  String securityGroup;

  MotoAws(URI endpoint) {
    this.endpoint = endpoint;
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

  AwsSettings settings() {
    return AwsSettings.of(CLUSTER, REGION.id())
        .withSsmParameterRoot(SSM_ROOT)
        .withCluster("https://my-cluster.example:443", "Y2EtYnVuZGxl", "10.100.0.0/16", null);
  }

  /** The guide's AWS resources; idempotent per moto reset. */
  MotoAws seed() {
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
