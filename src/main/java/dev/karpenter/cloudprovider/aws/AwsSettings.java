package dev.karpenter.cloudprovider.aws;

import java.time.Duration;

/**
 * Settings of the AWS provider.
 *
 * @param clusterName EKS cluster name: tags, userData, instance-profile names
 * @param region AWS region; null takes it from the SDK's chain (AWS_REGION, profile, IMDS)
 * @param interruptionQueue SQS queue name for interruption events; null disables the poller
 * @param clusterEndpoint API server URL nodes join (nodeadm {@code apiServerEndpoint})
 * @param clusterCaBundle base64 PEM of the cluster CA (nodeadm {@code certificateAuthority})
 * @param clusterCidr service CIDR (nodeadm {@code cidr})
 * @param kubernetesVersion {@code 1.33}-style version for the AMI SSM parameters; null asks the API
 *     server
 * @param ssmParameterRoot where the public AMI parameters live, {@code /aws/service}; emulators
 *     that reserve {@code /aws} (moto) hold them under another root
 * @param catalogRefresh how often instance types and prices are refreshed (12 h upstream)
 * @param garbageCollectionGrace how long an instance tagged for this cluster may exist without a
 *     NodeClaim before it is terminated
 */
public record AwsSettings(
    String clusterName,
    String region,
    String interruptionQueue,
    String clusterEndpoint,
    String clusterCaBundle,
    String clusterCidr,
    String kubernetesVersion,
    String ssmParameterRoot,
    Duration catalogRefresh,
    Duration garbageCollectionGrace) {
  public static final String DEFAULT_SSM_ROOT = "/aws/service";

  public AwsSettings {
    if (clusterName == null || clusterName.isBlank()) {
      throw new IllegalArgumentException("--cluster-name is required with --cloud aws");
    }
    ssmParameterRoot = ssmParameterRoot == null ? DEFAULT_SSM_ROOT : ssmParameterRoot;
    catalogRefresh = catalogRefresh == null ? Duration.ofHours(12) : catalogRefresh;
    garbageCollectionGrace =
        garbageCollectionGrace == null ? Duration.ofMinutes(2) : garbageCollectionGrace;
  }

  public static AwsSettings of(String clusterName, String region) {
    return new AwsSettings(clusterName, region, null, null, null, null, null, null, null, null);
  }

  public AwsSettings withInterruptionQueue(String queue) {
    return new AwsSettings(
        clusterName,
        region,
        queue,
        clusterEndpoint,
        clusterCaBundle,
        clusterCidr,
        kubernetesVersion,
        ssmParameterRoot,
        catalogRefresh,
        garbageCollectionGrace);
  }

  public AwsSettings withCluster(String endpoint, String caBundle, String cidr, String version) {
    return new AwsSettings(
        clusterName,
        region,
        interruptionQueue,
        endpoint,
        caBundle,
        cidr,
        version,
        ssmParameterRoot,
        catalogRefresh,
        garbageCollectionGrace);
  }

  public AwsSettings withSsmParameterRoot(String root) {
    return new AwsSettings(
        clusterName,
        region,
        interruptionQueue,
        clusterEndpoint,
        clusterCaBundle,
        clusterCidr,
        kubernetesVersion,
        root,
        catalogRefresh,
        garbageCollectionGrace);
  }

  public AwsSettings withGarbageCollectionGrace(Duration grace) {
    return new AwsSettings(
        clusterName,
        region,
        interruptionQueue,
        clusterEndpoint,
        clusterCaBundle,
        clusterCidr,
        kubernetesVersion,
        ssmParameterRoot,
        catalogRefresh,
        grace);
  }
}
