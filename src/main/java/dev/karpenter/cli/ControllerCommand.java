package dev.karpenter.cli;

import dev.karpenter.cloudprovider.aws.AwsSettings;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.operator.OperatorConfig;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter controller}: runs the operator against a cluster until interrupted. */
@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    description =
        "Run the operator against the cluster of the kubeconfig (or in-cluster config) with the"
            + " chosen cloud.")
public final class ControllerCommand implements Callable<Integer> {
  @Option(
      names = "--kubeconfig",
      description = "kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
  Path kubeconfig;

  @Option(
      names = "--cloud",
      defaultValue = "simulated",
      description = "cloud provider: simulated or aws (default ${DEFAULT-VALUE})")
  String cloud;

  @Option(names = "--cluster-name", description = "EKS cluster name (required with --cloud aws)")
  String clusterName;

  @Option(
      names = "--interruption-queue",
      description = "SQS queue of EventBridge interruption events (--cloud aws; default: none)")
  String interruptionQueue;

  @Option(
      names = "--cluster-endpoint",
      description = "API server URL nodes join (--cloud aws; userData)")
  String clusterEndpoint;

  @Option(
      names = "--ssm-parameter-root",
      description =
          "root of the public AMI SSM parameters (--cloud aws; default /aws/service; an emulator"
              + " may hold them elsewhere)")
  String ssmParameterRoot;

  @Option(
      names = "--metrics-port",
      defaultValue = "8080",
      description = "port of /metrics, /healthz, /readyz (default ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(
      names = "--batch-idle-duration",
      defaultValue = "1s",
      description = "provisioning batch idle window (default ${DEFAULT-VALUE})")
  String batchIdle;

  @Option(
      names = "--batch-max-duration",
      defaultValue = "10s",
      description = "provisioning batch maximum window (default ${DEFAULT-VALUE})")
  String batchMax;

  @Option(
      names = "--region",
      description =
          "region: of the simulated cloud's catalog (default us-east-1), or of AWS (default: the"
              + " SDK's chain, AWS_REGION)")
  String region;

  @Option(
      names = "--boot-delay",
      defaultValue = "3s",
      description = "simulated instance boot time (default ${DEFAULT-VALUE})")
  String bootDelay;

  @Option(
      names = "--device-plugin-delay",
      defaultValue = "2s",
      description = "simulated delay until accelerators are advertised (default ${DEFAULT-VALUE})")
  String devicePluginDelay;

  @Option(
      names = "--leader-election-namespace",
      defaultValue = "kube-system",
      description = "namespace of the leader Lease (default ${DEFAULT-VALUE})")
  String leaseNamespace;

  @Override
  public Integer call() throws Exception {
    if (!"simulated".equals(cloud) && !"aws".equals(cloud)) {
      throw new CliErrors.UserException("--cloud: '" + cloud + "' is not one of simulated, aws");
    }
    boolean aws = "aws".equals(cloud);
    AwsSettings awsSettings = null;
    if (aws) {
      if (clusterName == null || clusterName.isBlank()) {
        throw new CliErrors.UserException("--cluster-name is required with --cloud aws");
      }
      awsSettings =
          AwsSettings.of(clusterName, region)
              .withInterruptionQueue(interruptionQueue)
              .withCluster(clusterEndpoint, null, null, null)
              .withSsmParameterRoot(ssmParameterRoot);
    }
    OperatorConfig config =
        config(
                metricsPort,
                batchIdle,
                batchMax,
                bootDelay,
                devicePluginDelay,
                aws || region == null ? "us-east-1" : region)
            .withLease(leaseNamespace, "karpenter-leader-election");
    KubernetesClient client = client(kubeconfig);
    try (client;
        KarpenterOperator op =
            aws
                ? KarpenterOperator.aws(client, config, awsSettings, Clock.systemUTC())
                : KarpenterOperator.simulated(client, config, Clock.systemUTC())) {
      op.start();
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      stop.await();
    }
    return 0;
  }

  static OperatorConfig config(
      int metricsPort, String idle, String max, String boot, String device, String region) {
    if (!dev.karpenter.cloudprovider.aws.catalog.Catalog.regions().contains(region)) {
      throw new CliErrors.UserException(
          "--region: unknown region '"
              + region
              + "'; the catalog has "
              + dev.karpenter.cloudprovider.aws.catalog.Catalog.regions());
    }
    OperatorConfig base = OperatorConfig.defaults();
    return new OperatorConfig(
        metricsPort,
        duration("--batch-idle-duration", idle),
        duration("--batch-max-duration", max),
        base.leaseNamespace(),
        base.leaseName(),
        base.identity(),
        base.registrationTtl(),
        base.launchTtl(),
        region,
        new SimulatedCloudProvider.Settings(
            duration("--boot-delay", boot),
            duration("--device-plugin-delay", device),
            Duration.ofSeconds(10),
            base.simulated().startupTaintDelay()));
  }

  /** Parses durations such as {@code 500ms}, {@code 1s}, {@code 2m}. */
  static Duration duration(String option, String text) {
    var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
    if (!m.matches()) {
      throw new CliErrors.UserException(
          option + ": '" + text + "' is not a duration like 500ms, 10s, 5m or 1h");
    }
    long v = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(v);
      case "s" -> Duration.ofSeconds(v);
      case "m" -> Duration.ofMinutes(v);
      default -> Duration.ofHours(v);
    };
  }

  static KubernetesClient client(Path kubeconfig) {
    try {
      Config cfg;
      if (kubeconfig != null) {
        if (!Files.isReadable(kubeconfig)) {
          throw new CliErrors.UserException("--kubeconfig: cannot read " + kubeconfig);
        }
        cfg = Config.fromKubeconfig(Files.readString(kubeconfig));
      } else {
        cfg = Config.autoConfigure(null);
      }
      KubernetesClient client = new KubernetesClientBuilder().withConfig(cfg).build();
      client.getKubernetesVersion();
      return client;
    } catch (KubernetesClientException e) {
      throw new CliErrors.UserException(
          "cannot reach the Kubernetes API server"
              + (kubeconfig == null ? "" : " of " + kubeconfig)
              + ": "
              + e.getMessage());
    } catch (java.io.IOException e) {
      throw new CliErrors.UserException(
          "--kubeconfig: cannot read " + kubeconfig + ": " + e.getMessage());
    }
  }
}
