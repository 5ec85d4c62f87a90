package dev.karpenter.operator;

import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.disruption.DisruptionController;
import java.time.Duration;

/**
 * Operator settings.
 *
 * @param metricsPort port of /metrics, /healthz and /readyz; 0 picks a free port, -1 disables
 * @param batchIdle provisioning batch closes after this long without new pending pods
 * @param batchMax provisioning batch closes at the latest after this long
 * @param leaseNamespace namespace of the leader-election Lease
 * @param leaseName name of the leader-election Lease
 * @param identity this replica's identity in the Lease
 * @param registrationTtl a launched NodeClaim whose node has not registered by then is deleted
 * @param launchTtl a NodeClaim the cloud has not launched by then (after creation) is deleted
 * @param region catalog region of the simulated cloud
 * @param simulated simulated-cloud timings
 * @param disruption the disruption loop: poll interval, validation delay, replacement timeout and
 *     the spot-to-spot feature gate
 */
public record OperatorConfig(
    int metricsPort,
    Duration batchIdle,
    Duration batchMax,
    String leaseNamespace,
    String leaseName,
    String identity,
    Duration registrationTtl,
    Duration launchTtl,
    String region,
    SimulatedCloudProvider.Settings simulated,
    DisruptionController.Settings disruption) {

  public static OperatorConfig defaults() {
    return new OperatorConfig(
        8080,
        Duration.ofSeconds(1),
        Duration.ofSeconds(10),
        "kube-system",
        "karpenter-leader-election",
        defaultIdentity(),
        Duration.ofMinutes(15),
        Duration.ofMinutes(5),
        "us-east-1",
        SimulatedCloudProvider.Settings.defaults(),
        DisruptionController.Settings.defaults());
  }

  static String defaultIdentity() {
    String host = System.getenv("HOSTNAME");
    return (host == null ? "karpenter" : host) + "-" + ProcessHandle.current().pid();
  }

  public OperatorConfig withMetricsPort(int p) {
    return new OperatorConfig(
        p,
        batchIdle,
        batchMax,
        leaseNamespace,
        leaseName,
        identity,
        registrationTtl,
        launchTtl,
        region,
        simulated,
        disruption);
  }

  public OperatorConfig withBatch(Duration idle, Duration max) {
    return new OperatorConfig(
        metricsPort,
        idle,
        max,
        leaseNamespace,
        leaseName,
        identity,
        registrationTtl,
        launchTtl,
        region,
        simulated,
        disruption);
  }

  public OperatorConfig withIdentity(String id) {
    return new OperatorConfig(
        metricsPort,
        batchIdle,
        batchMax,
        leaseNamespace,
        leaseName,
        id,
        registrationTtl,
        launchTtl,
        region,
        simulated,
        disruption);
  }

  public OperatorConfig withSimulated(SimulatedCloudProvider.Settings s) {
    return new OperatorConfig(
        metricsPort,
        batchIdle,
        batchMax,
        leaseNamespace,
        leaseName,
        identity,
        registrationTtl,
        launchTtl,
        region,
        s,
        disruption);
  }

  public OperatorConfig withLease(String namespace, String name) {
    return new OperatorConfig(
        metricsPort,
        batchIdle,
        batchMax,
        namespace,
        name,
        identity,
        registrationTtl,
        launchTtl,
        region,
        simulated,
        disruption);
  }

  public OperatorConfig withTimeouts(Duration registration, Duration launch) {
    return new OperatorConfig(
        metricsPort,
        batchIdle,
        batchMax,
        leaseNamespace,
        leaseName,
        identity,
        registration,
        launch,
        region,
        simulated,
        disruption);
  }

  public OperatorConfig withDisruption(DisruptionController.Settings d) {
    return new OperatorConfig(
        metricsPort,
        batchIdle,
        batchMax,
        leaseNamespace,
        leaseName,
        identity,
        registrationTtl,
        launchTtl,
        region,
        simulated,
        d);
  }
}
