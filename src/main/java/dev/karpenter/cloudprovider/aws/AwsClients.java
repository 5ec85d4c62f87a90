package dev.karpenter.cloudprovider.aws;

import java.util.function.Consumer;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.pricing.PricingClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The SDK clients the provider uses. Credentials come from the default chain (IRSA, EKS Pod
 * Identity, environment, profile, IMDS) and endpoints from the SDK's own configuration ({@code
 * AWS_ENDPOINT_URL}, {@code AWS_ENDPOINT_URL_EC2}, ..., or the profile's {@code endpoint_url}),
 * which is how the emulator is reached; retries are the SDK's standard strategy (exponential
 * backoff with full jitter, throttling errors retried with their own token bucket).
 */
public record AwsClients(
    Region region,
    Ec2Client ec2,
    SsmClient ssm,
    IamClient iam,
    PricingClient pricing,
    SqsClient sqs)
    implements AutoCloseable {

  /** Clients for {@code region}, or the region of the SDK's chain when it is null. */
  public static AwsClients create(String region) {
    Region r;
    try {
      r = region == null ? new DefaultAwsRegionProviderChain().getRegion() : Region.of(region);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "no AWS region: pass --region or set AWS_REGION (" + e.getMessage() + ")");
    }
    Consumer<ClientOverrideConfiguration.Builder> retries =
        o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy());
    return new AwsClients(
        r,
        configure(Ec2Client.builder(), r, retries).build(),
        configure(SsmClient.builder(), r, retries).build(),
        configure(IamClient.builder(), Region.AWS_GLOBAL, retries).build(),
        configure(PricingClient.builder(), pricingRegion(r), retries).build(),
        configure(SqsClient.builder(), r, retries).build());
  }

  private static <B extends AwsClientBuilder<B, ?>> B configure(
      B builder, Region region, Consumer<ClientOverrideConfiguration.Builder> retries) {
    builder.region(region).overrideConfiguration(retries);
    if (builder
        instanceof software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder<?, ?> s) {
      s.httpClientBuilder(UrlConnectionHttpClient.builder());
    }
    return builder;
  }

  /** The Pricing API is served from a few regions only (upstream's choice by region prefix). */
  static Region pricingRegion(Region r) {
    String id = r.id();
    if (id.startsWith("ap-") || id.startsWith("me-") || id.startsWith("af-")) {
      return Region.AP_SOUTH_1;
    }
    if (id.startsWith("eu-") || id.startsWith("il-")) {
      return Region.EU_CENTRAL_1;
    }
    if (id.startsWith("cn-")) {
      return Region.CN_NORTHWEST_1;
    }
    return Region.US_EAST_1;
  }

  @Override
  public void close() {
    ec2.close();
    ssm.close();
    iam.close();
    pricing.close();
    sqs.close();
  }
}
