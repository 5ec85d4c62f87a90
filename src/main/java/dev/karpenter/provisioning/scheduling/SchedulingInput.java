package dev.karpenter.provisioning.scheduling;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.util.List;
import java.util.Set;

/**
 * An immutable snapshot to schedule: pending pods, existing nodes, in-flight NodeClaims,
 * DaemonSets, NodePools, offerings known to be unavailable ({@code "spot:g5.xlarge:us-east-1a"},
 * Karpenter's ICE cache key) and the cluster's volume objects.
 */
public record SchedulingInput(
    List<Pod> pendingPods,
    List<ExistingNode> nodes,
    List<ExistingNode> inFlight,
    List<DaemonSet> daemonSets,
    List<SchedulingNodePool> nodePools,
    Set<String> unavailableOfferings,
    Volumes volumes) {
  /**
   * PersistentVolumeClaims, PersistentVolumes and StorageClasses for volume topology. {@link
   * #UNKNOWN} (the caller does not watch them) skips volume topology; {@link #of} with empty lists
   * means none exist, so a pod naming a claim is not planned.
   */
  public record Volumes(
      boolean known,
      List<PersistentVolumeClaim> claims,
      List<PersistentVolume> volumes,
      List<StorageClass> storageClasses) {
    public static final Volumes UNKNOWN = new Volumes(false, List.of(), List.of(), List.of());

    public Volumes {
      claims = List.copyOf(claims);
      volumes = List.copyOf(volumes);
      storageClasses = List.copyOf(storageClasses);
    }

    public static Volumes of(
        List<PersistentVolumeClaim> claims,
        List<PersistentVolume> volumes,
        List<StorageClass> storageClasses) {
      return new Volumes(true, claims, volumes, storageClasses);
    }
  }

  public SchedulingInput {
    pendingPods = List.copyOf(pendingPods);
    nodes = List.copyOf(nodes);
    inFlight = List.copyOf(inFlight);
    daemonSets = List.copyOf(daemonSets);
    nodePools = List.copyOf(nodePools);
    unavailableOfferings = Set.copyOf(unavailableOfferings);
    volumes = volumes == null ? Volumes.UNKNOWN : volumes;
  }

  /** A snapshot without volume objects ({@link Volumes#UNKNOWN}). */
  public SchedulingInput(
      List<Pod> pendingPods,
      List<ExistingNode> nodes,
      List<ExistingNode> inFlight,
      List<DaemonSet> daemonSets,
      List<SchedulingNodePool> nodePools,
      Set<String> unavailableOfferings) {
    this(
        pendingPods, nodes, inFlight, daemonSets, nodePools, unavailableOfferings, Volumes.UNKNOWN);
  }

  public static SchedulingInput of(List<Pod> pods, List<SchedulingNodePool> pools) {
    return new SchedulingInput(pods, List.of(), List.of(), List.of(), pools, Set.of());
  }

  public SchedulingInput withNodes(List<ExistingNode> n) {
    return new SchedulingInput(
        pendingPods, n, inFlight, daemonSets, nodePools, unavailableOfferings, volumes);
  }

  public SchedulingInput withInFlight(List<ExistingNode> n) {
    return new SchedulingInput(
        pendingPods, nodes, n, daemonSets, nodePools, unavailableOfferings, volumes);
  }

  public SchedulingInput withDaemonSets(List<DaemonSet> d) {
    return new SchedulingInput(
        pendingPods, nodes, inFlight, d, nodePools, unavailableOfferings, volumes);
  }

  public SchedulingInput withUnavailableOfferings(Set<String> u) {
    return new SchedulingInput(pendingPods, nodes, inFlight, daemonSets, nodePools, u, volumes);
  }

  public SchedulingInput withPendingPods(List<Pod> p) {
    return new SchedulingInput(
        p, nodes, inFlight, daemonSets, nodePools, unavailableOfferings, volumes);
  }

  public SchedulingInput withVolumes(Volumes v) {
    return new SchedulingInput(
        pendingPods, nodes, inFlight, daemonSets, nodePools, unavailableOfferings, v);
  }
}
