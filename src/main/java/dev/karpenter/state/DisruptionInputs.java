package dev.karpenter.state;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.disruption.decision.DisruptionNode;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

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
