package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.GpuDeviceInfo;

/**
 * The Docker variant of {@link MotoIT}: LocalStack's EC2 (moto inside). Pinned to a tag from before
 * LocalStack required an auth token. Skipped when no Docker engine is reachable.
 */
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class LocalStackIT {
  @Container
  static final LocalStackContainer LOCALSTACK =
      new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4.0"))
          .withServices("ec2");

  @Test
  void describeInstanceTypesReportsTheA10gGpuOfG5Xlarge() {
    try (Ec2Client ec2 =
        Ec2Client.builder()
            .region(Region.of(LOCALSTACK.getRegion()))
            .endpointOverride(LOCALSTACK.getEndpoint())
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        LOCALSTACK.getAccessKey(), LOCALSTACK.getSecretKey())))
            .httpClient(UrlConnectionHttpClient.create())
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
            .build()) {
      GpuDeviceInfo gpu =
          ec2.describeInstanceTypes(r -> r.instanceTypesWithStrings("g5.xlarge"))
              .instanceTypes()
              .getFirst()
              .gpuInfo()
              .gpus()
              .getFirst();

      assertEquals("A10G", gpu.name());
      assertEquals(1, gpu.count());
    }
  }
}
