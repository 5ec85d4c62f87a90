package dev.karpenter.state;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.disruption.decision.DisruptionInput;
import dev.karpenter.disruption.decision.DisruptionNode;
import dev.karpenter.disruption.decision.DisruptionPool;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The translation of Kubernetes objects into the disruption core's input, shared by the controller
 * and {@code karpenter simulate --disruption}.
 */
public final class DisruptionInputs {
  public static final String DISRUPTED_TAINT = "karpenter.sh/disrupted";

  /** Upstream's CRD default for spec.template.spec.expireAfter. */
  public static final String DEFAULT_EXPIRE_AFTER = "720h";

  private DisruptionInputs() {}

  /**
   * What the cluster knows beyond its objects.
   *
   * @param nominated names of nodes (and NodeClaims) not to disrupt now: pods were nominated to
   *     them, or they are a pending replacement or part of a command in flight
   * @param providerDrift the cloud provider's drift reason for a NodeClaim, or null
   */
  public record Hints(Set<String> nominated, Function<NodeClaim, String> providerDrift) {
    public static final Hints NONE = new Hints(Set.of(), c -> null);

    public Hints {
      nominated = Set.copyOf(nominated);
    }
  }

  /**
   * The one translation of a cluster (or a manifest dump) into the disruption core's input: every
   * Node with its NodeClaim (by providerID, else the claim's status.nodeName) and its bound pods,
   * every NodePool with how the scheduler sees it (from {@code snapshot}: instance types and usage
   * counting in-flight claims), in-flight claims, PodDisruptionBudgets, DaemonSets and the
   * offerings known to be unavailable.
   */
  public static DisruptionInput of(
      ClusterSnapshot.Objects objects,
      ClusterSnapshot snapshot,
      List<PodDisruptionBudget> pdbs,
      Hints hints) {
    Map<String, SchedulingNodePool> scheduling = new HashMap<>();
    snapshot.schedulingInput().nodePools().forEach(p -> scheduling.put(p.name(), p));
    Map<String, List<InstanceType>> typesByPool = new HashMap<>();
    snapshot.nodePools().forEach(p -> typesByPool.put(p.name(), p.instanceTypes()));
    Map<String, NodePool> pools = new HashMap<>();
    List<DisruptionPool> dpools = new ArrayList<>();
    for (NodePool np : objects.nodePools()) {
      String name = np.getMetadata().getName();
      pools.put(name, np);
      dpools.add(new DisruptionPool(np, scheduling.get(name)));
    }
    Map<String, NodeClaim> byProviderId = new HashMap<>();
    Map<String, NodeClaim> byNodeName = new HashMap<>();
    for (NodeClaim c : objects.nodeClaims()) {
      if (c.getStatus() != null && c.getStatus().getProviderID() != null) {
        byProviderId.put(c.getStatus().getProviderID(), c);
      }
      if (c.getStatus() != null && c.getStatus().getNodeName() != null) {
        byNodeName.put(c.getStatus().getNodeName(), c);
      }
    }
    Map<String, List<Pod>> podsByNode = new HashMap<>();
    for (Pod p : objects.pods()) {
      String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if (node != null
          && !node.isEmpty()
          && !"Succeeded".equals(phase)
          && !"Failed".equals(phase)) {
        podsByNode.computeIfAbsent(node, k -> new ArrayList<>()).add(p);
      }
    }
    List<DisruptionNode> nodes = new ArrayList<>();
    for (Node n : objects.nodes()) {
      String name = n.getMetadata().getName();
      String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
      NodeClaim claim = pid == null ? null : byProviderId.get(pid);
      if (claim == null) {
        claim = byNodeName.get(name);
      }
      Map<String, String> labels = n.getMetadata().getLabels();
      String poolName = labels == null ? null : labels.get(Labels.NODEPOOL);
      if (poolName == null && claim != null) {
        poolName = NodeClaims.nodePool(claim);
      }
      boolean nominated =
          hints.nominated().contains(name)
              || (claim != null && hints.nominated().contains(claim.getMetadata().getName()));
      nodes.add(
          node(
              n,
              claim,
              podsByNode.getOrDefault(name, List.of()),
              poolName == null ? null : pools.get(poolName),
              poolName == null ? List.of() : typesByPool.getOrDefault(poolName, List.of()),
              claim == null ? null : hints.providerDrift().apply(claim),
              nominated));
    }
    return new DisruptionInput(
        nodes,
        snapshot.inFlight(),
        pdbs,
        snapshot.daemonSets(),
        dpools,
        snapshot.unavailableOfferings());
  }

  /**
   * One node.
   *
   * @param claim its NodeClaim, or null (then a node with a {@code karpenter.sh/nodepool} label is
   *     still treated as managed, as in a {@code kubectl get nodes} dump)
   * @param pool its NodePool, or null
   * @param types the pool's instance types, for the price
   */
  public static DisruptionNode node(
      Node n,
      NodeClaim claim,
      List<Pod> pods,
      NodePool pool,
      List<InstanceType> types,
      String providerDrift,
      boolean nominated) {
    Map<String, String> labels =
        n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
    Map<String, String> annotations =
        n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
    List<Taint> taints =
        n.getSpec() == null || n.getSpec().getTaints() == null
            ? List.of()
            : n.getSpec().getTaints();
    String poolName = labels.get(Labels.NODEPOOL);
    if (poolName == null && claim != null) {
      poolName = NodeClaims.nodePool(claim);
    }
    String type = labels.get(Labels.INSTANCE_TYPE);
    String capacityType = labels.getOrDefault(Labels.CAPACITY_TYPE, Labels.ON_DEMAND);
    String zone = labels.get(Labels.ZONE);
    Resources allocatable =
        n.getStatus() == null || n.getStatus().getAllocatable() == null
            ? Resources.NONE
            : ApiConversions.resources(n.getStatus().getAllocatable());
    Resources capacity =
        n.getStatus() == null || n.getStatus().getCapacity() == null
            ? allocatable
            : ApiConversions.resources(n.getStatus().getCapacity());
    Instant created = instant(n.getMetadata().getCreationTimestamp());
    Instant lastPodEvent = created;
    String hash = null;
    String hashVersion = null;
    String expireAfter = null;
    String tgp = null;
    boolean initialized;
    boolean deleting =
        n.getMetadata().getDeletionTimestamp() != null
            || taints.stream().anyMatch(t -> DISRUPTED_TAINT.equals(t.getKey()));
    if (claim != null) {
      created = instant(claim.getMetadata().getCreationTimestamp());
      Map<String, String> ca =
          claim.getMetadata().getAnnotations() == null
              ? Map.of()
              : claim.getMetadata().getAnnotations();
      hash = ca.get(NodePoolHash.ANNOTATION);
      hashVersion = ca.get(NodePoolHash.VERSION_ANNOTATION);
      expireAfter = claim.getSpec() == null ? null : claim.getSpec().expireAfter();
      tgp = claim.getSpec() == null ? null : claim.getSpec().terminationGracePeriod();
      initialized = NodeClaims.isTrue(claim, NodeClaims.INITIALIZED);
      deleting |= claim.getMetadata().getDeletionTimestamp() != null;
      Instant last =
          claim.getStatus() == null ? null : instant(claim.getStatus().getLastPodEventTime());
      lastPodEvent = last != null ? last : created;
    } else {
      initialized = "true".equals(labels.get("karpenter.sh/initialized")) || ready(n);
      if (pool != null && pool.getSpec() != null && pool.getSpec().template() != null) {
        var t = pool.getSpec().template().spec();
        expireAfter = t == null ? null : t.expireAfter();
        tgp = t == null ? null : t.terminationGracePeriod();
      }
      if (expireAfter == null) {
        expireAfter = DEFAULT_EXPIRE_AFTER;
      }
    }
    // A pod still on the node arrived no earlier than it started: a lower bound on the last pod
    // event while the claim's lastPodEventTime (written asynchronously by nodeclaim.podevents)
    // lags.
    for (Pod p : pods) {
      Instant t =
          instant(
              p.getStatus() != null && p.getStatus().getStartTime() != null
                  ? p.getStatus().getStartTime()
                  : p.getMetadata().getCreationTimestamp());
      if (t != null && (lastPodEvent == null || t.isAfter(lastPodEvent))) {
        lastPodEvent = t;
      }
    }
    return new DisruptionNode(
        n.getMetadata().getName(),
        claim != null ? claim.getMetadata().getName() : poolName == null ? null : "",
        poolName,
        labels,
        annotations,
        taints,
        allocatable,
        capacity,
        pods,
        type,
        capacityType,
        zone,
        price(types, type, capacityType, zone),
        created,
        lastPodEvent,
        initialized,
        deleting,
        nominated,
        hash,
        hashVersion,
        expireAfter,
        tgp,
        providerDrift);
  }

  private static boolean ready(Node n) {
    if (n.getStatus() == null || n.getStatus().getConditions() == null) {
      return true;
    }
    for (NodeCondition c : n.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return true;
  }

  /** The offering's price: exact zone and capacity type, else the cheapest of that type. */
  public static double price(
      List<InstanceType> types, String type, String capacityType, String zone) {
    if (type == null || types == null) {
      return 0;
    }
    double fallback = 0;
    for (InstanceType t : types) {
      if (!t.name().equals(type)) {
        continue;
      }
      for (Offering o : t.offerings()) {
        if (o.capacityType().equals(capacityType)) {
          if (o.zone().equals(zone)) {
            return o.price();
          }
          if (fallback == 0 || o.price() < fallback) {
            fallback = o.price();
          }
        }
      }
    }
    return fallback;
  }

  static Instant instant(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
