package dev.karpenter.cli;

import dev.karpenter.cloudprovider.aws.AwsSettings;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.disruption.DisruptionController;
import dev.karpenter.operator.HttpEndpoints;
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
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
  private static final Logger LOG = LoggerFactory.getLogger(ControllerCommand.class);

  @Option(
      names = "--kubeconfig",
      description = "kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
  Path kubeconfig;

  @Option(
      names = "--cloud",
      defaultValue = "simulated",
      description = "cloud provider: simulated or aws (default ${DEFAULT-VALUE})")
  String cloud;

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
      names = "--garbage-collection-grace",
      defaultValue = "2m",
      hidden = true,
      description =
          "--cloud aws: how long an instance tagged for the cluster may live without a NodeClaim"
              + " (default ${DEFAULT-VALUE})")
  String garbageCollectionGrace;

  @Option(
      names = "--metrics-port",
      defaultValue = "${env:METRICS_PORT:-8080}",
      description = "port of /metrics, /healthz, /readyz (env METRICS_PORT, default 8080)")
  int metricsPort;

  @Option(
      names = "--health-probe-port",
      defaultValue = "${env:HEALTH_PROBE_PORT:-8081}",
      description =
          "port of /healthz and /readyz alone, for the kubelet's probes; -1 disables (env"
              + " HEALTH_PROBE_PORT, default 8081)")
  int healthProbePort;

  @Option(
      names = "--cluster-name",
      defaultValue = "${env:CLUSTER_NAME:-}",
      description = "name of the cluster the nodes join (env CLUSTER_NAME)")
  String clusterName;

  @Option(
      names = "--interruption-queue",
      defaultValue = "${env:INTERRUPTION_QUEUE:-}",
      description = "SQS queue with interruption events; empty disables (env INTERRUPTION_QUEUE)")
  String interruptionQueue;

  @Option(
      names = "--feature-gates",
      defaultValue = "${env:FEATURE_GATES:-}",
      description =
          "comma-separated Gate=true|false (env FEATURE_GATES); known gates: NodeRepair,"
              + " NodeOverlay, ReservedCapacity, SpotToSpotConsolidation, StaticCapacity,"
              + " CapacityBuffer")
  String featureGates;

  @Option(
      names = "--batch-idle-duration",
      defaultValue = "${env:BATCH_IDLE_DURATION:-1s}",
      description = "provisioning batch idle window (env BATCH_IDLE_DURATION, default 1s)")
  String batchIdle;

  @Option(
      names = "--batch-max-duration",
      defaultValue = "${env:BATCH_MAX_DURATION:-10s}",
      description = "provisioning batch maximum window (env BATCH_MAX_DURATION, default 10s)")
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
      names = "--simulated-instances-file",
      description =
          "keep the simulated cloud's instances in this JSON file, so they outlive the process"
              + " (crash tests; default: in memory)")
  Path simulatedInstancesFile;

  @Option(
      names = "--simulated-gc-grace",
      defaultValue = "30s",
      description =
          "age after which a simulated instance without a NodeClaim is terminated (default"
              + " ${DEFAULT-VALUE})")
  String simulatedGcGrace;

  @Option(
      names = "--disruption-poll-interval",
      defaultValue = "10s",
      hidden = true,
      description =
          "how often the disruption loop plans (tests; default ${DEFAULT-VALUE}, upstream's)")
  String disruptionPollInterval;

  @Option(
      names = "--disruption-validation-delay",
      defaultValue = "15s",
      hidden = true,
      description =
          "how long a consolidation decision waits before it is validated again (tests; default"
              + " ${DEFAULT-VALUE}, upstream's)")
  String disruptionValidationDelay;

  @Option(
      names = "--leader-election-namespace",
      defaultValue = "${env:SYSTEM_NAMESPACE:-kube-system}",
      description =
          "namespace of the leader Lease (env SYSTEM_NAMESPACE, the pod's namespace in the chart;"
              + " default kube-system)")
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
              .withInterruptionQueue(
                  interruptionQueue == null || interruptionQueue.isEmpty()
                      ? null
                      : interruptionQueue)
              .withCluster(clusterEndpoint, null, null, null)
              .withSsmParameterRoot(ssmParameterRoot)
              .withGarbageCollectionGrace(
                  duration("--garbage-collection-grace", garbageCollectionGrace));
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
    Map<String, Boolean> gates = featureGates(featureGates);
    config =
        config.withDisruption(
            disruption(
                config.disruption(),
                disruptionPollInterval,
                disruptionValidationDelay,
                gates.getOrDefault("SpotToSpotConsolidation", false)));
    Duration gcGrace = duration("--simulated-gc-grace", simulatedGcGrace);
    KubernetesClient client = client(kubeconfig);
    AtomicBoolean started = new AtomicBoolean();
    try (client;
        KarpenterOperator op =
            aws
                ? KarpenterOperator.aws(client, config, awsSettings, Clock.systemUTC())
                : KarpenterOperator.simulated(
                    client,
                    config,
                    Clock.systemUTC(),
                    c -> c.persistingTo(simulatedInstancesFile).withGcGrace(gcGrace));
        HttpEndpoints health =
            healthProbePort < 0
                ? null
                : HttpEndpoints.health(
                    healthProbePort, () -> started.get() && op.state().synced())) {
      LOG.info(
          "controller for cluster '{}' ({} cloud, feature gates {}, interruption queue {})",
          clusterName,
          cloud,
          gates,
          interruptionQueue.isEmpty() ? "off" : interruptionQueue);
      op.onLostLeadership(
          () -> {
            LOG.error("exiting: a restarted controller competes for the Lease again");
            System.exit(1);
          });
      op.start();
      started.set(true);
      CountDownLatch stop = new CountDownLatch(1);
      // The JVM halts once its shutdown hooks return, so the hook itself closes the operator
      // (which releases the leader Lease) instead of leaving that to this thread.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    op.close();
                    stop.countDown();
                  },
                  "shutdown"));
      stop.await();
    }
    return 0;
  }

  /**
   * Upstream's gates; the ones without behaviour here are accepted so a chart value never breaks.
   */
  static final java.util.List<String> FEATURE_GATES =
      java.util.List.of(
          "NodeRepair",
          "NodeOverlay",
          "ReservedCapacity",
          "SpotToSpotConsolidation",
          "StaticCapacity",
          "CapacityBuffer");

  /** Parses {@code Gate=true,Other=false}; an unknown gate or value is a user error. */
  static Map<String, Boolean> featureGates(String text) {
    Map<String, Boolean> gates = new java.util.TreeMap<>();
    for (String part : text.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      String[] kv = part.trim().split("=", 2);
      if (!FEATURE_GATES.contains(kv[0])
          || kv.length != 2
          || !(kv[1].equals("true") || kv[1].equals("false"))) {
        throw new CliErrors.UserException(
            "--feature-gates: '"
                + part.trim()
                + "' is not Gate=true|false with a gate of "
                + FEATURE_GATES);
      }
      gates.put(kv[0], Boolean.parseBoolean(kv[1]));
    }
    return gates;
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
            base.simulated().startupTaintDelay()),
        base.disruption());
  }

  static DisruptionController.Settings disruption(
      DisruptionController.Settings base, String poll, String validation, boolean spotToSpot) {
    return base.withTimings(
            duration("--disruption-poll-interval", poll),
            duration("--disruption-validation-delay", validation),
            base.replacementTimeout())
        .withSpotToSpot(spotToSpot);
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
