package dev.karpenter.state;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimTemplateSpec;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One immutable picture of the cluster for every decision, built the same way from the cluster's
 * objects (informers) and from manifest files ({@code simulate}): existing nodes with their pods,
 * in-flight NodeClaims at their estimated allocatable from the moment they exist, DaemonSets, the
 * NodePools that can launch with the instance types their EC2NodeClass resolves to, per-NodePool
 * usage, and the offerings known to be unavailable.
 *
 * @param usage by NodePool name, every pool that has claims or nodes (also pools that cannot launch
 *     right now)
 */
public record ClusterSnapshot(
    List<Pod> pendingPods,
    List<ExistingNode> nodes,
    List<ExistingNode> inFlight,
    List<DaemonSet> daemonSets,
    List<Pool> nodePools,
    Map<String, PoolUsage> usage,
    Set<String> unavailableOfferings,
    SchedulingInput.Volumes volumes) {

  public ClusterSnapshot {
    pendingPods = List.copyOf(pendingPods);
    nodes = List.copyOf(nodes);
    inFlight = List.copyOf(inFlight);
    daemonSets = List.copyOf(daemonSets);
    nodePools = List.copyOf(nodePools);
    usage = Map.copyOf(usage);
    unavailableOfferings = Set.copyOf(unavailableOfferings);
    volumes = volumes == null ? SchedulingInput.Volumes.UNKNOWN : volumes;
  }

  /** A NodePool that may launch nodes, with the instance types its EC2NodeClass resolves to. */
  public record Pool(NodePool nodePool, List<InstanceType> instanceTypes) {
    public Pool {
      instanceTypes = List.copyOf(instanceTypes);
    }

    public String name() {
      return nodePool.getMetadata().getName();
    }
  }

  /**
   * What a NodePool occupies, counted against its limits: the capacity of every NodeClaim
   * (launched: its reported capacity; not yet launched: the most any of its instance-type options
   * may bring, Karpenter's limit semantics) and of every node of the pool without a NodeClaim.
   *
   * @param resources cpu, memory, every extended resource and {@code nodes}
   * @param nodes NodeClaims and claim-less nodes, in flight or not
   */
  public record PoolUsage(Resources resources, long nodes) {
    public static final PoolUsage NONE = new PoolUsage(Resources.NONE, 0);

    PoolUsage plus(Resources r) {
      return new PoolUsage(resources.plus(r).plus(Resources.of("nodes", 1000)), nodes + 1);
    }
  }

  /**
   * The objects a snapshot is made of, as the API server holds them.
   *
   * @param pods every pod (bound pods are placed on their node)
   * @param pending the pods to provision for: provisionable pods in a cluster, unbound pods in
   *     files
   */
  public record Objects(
      List<Pod> pods,
      List<Pod> pending,
      List<Node> nodes,
      List<NodeClaim> nodeClaims,
      List<NodePool> nodePools,
      List<EC2NodeClass> nodeClasses,
      List<DaemonSet> daemonSets,
      SchedulingInput.Volumes volumes) {
    public Objects {
      volumes = volumes == null ? SchedulingInput.Volumes.UNKNOWN : volumes;
      pods = List.copyOf(pods);
      pending = List.copyOf(pending);
      nodes = List.copyOf(nodes);
      nodeClaims = List.copyOf(nodeClaims);
      nodePools = List.copyOf(nodePools);
      nodeClasses = List.copyOf(nodeClasses);
      daemonSets = List.copyOf(daemonSets);
    }

    /**
     * The informers' objects, plus {@code extraClaims} (NodeClaims being created or created but not
     * yet delivered by the informer; an informer copy of the same name wins).
     */
    public static Objects of(ClusterState state, List<NodeClaim> extraClaims) {
      List<NodeClaim> claims = new ArrayList<>(state.nodeClaims());
      Set<String> names = new HashSet<>();
      claims.forEach(c -> names.add(c.getMetadata().getName()));
      for (NodeClaim c : extraClaims) {
        if (names.add(c.getMetadata().getName())) {
          claims.add(c);
        }
      }
      return new Objects(
          state.pods(),
          state.provisionablePods(),
          state.nodes(),
          claims,
          state.nodePools(),
          state.nodeClasses(),
          state.daemonSets(),
          SchedulingInput.Volumes.of(
              state.persistentVolumeClaims(), state.persistentVolumes(), state.storageClasses()));
    }
  }

  /**
   * Builds the snapshot.
   *
   * @param instanceTypes the instance types of a NodePool with its EC2NodeClass applied (the cloud
   *     provider's {@code instanceTypes(pool)} in a cluster, the catalog in {@code simulate})
   * @param unavailableOfferings offerings known to be short ({@code capacityType:type:zone})
   */
  public static ClusterSnapshot of(
      Objects objects,
      Function<NodePool, List<InstanceType>> instanceTypes,
      Set<String> unavailableOfferings) {
    Set<String> classes = new HashSet<>();
    // As upstream, a NodePool whose class is missing or says it is not Ready is not provisioned
    // from; a class without status (manifests in `simulate`) is taken as it is.
    objects.nodeClasses().stream()
        .filter(nc -> !notReady(nc))
        .forEach(nc -> classes.add(nc.getMetadata().getName()));
    List<Pool> pools = new ArrayList<>();
    Map<String, List<InstanceType>> typesByPool = new HashMap<>();
    for (NodePool pool : objects.nodePools()) {
      if (pool.getSpec() == null || pool.getSpec().template() == null) {
        continue;
      }
      NodeClaimTemplateSpec t = pool.getSpec().template().spec();
      String nodeClass = t == null || t.nodeClassRef() == null ? null : t.nodeClassRef().name();
      if (nodeClass == null || !classes.contains(nodeClass)) {
        continue;
      }
      List<InstanceType> types = instanceTypes.apply(pool);
      typesByPool.put(pool.getMetadata().getName(), types);
      if (pool.getMetadata().getDeletionTimestamp() == null
          && pool.getSpec().replicas() == null
          && ApiConversions.limitsValid(pool)) {
        pools.add(new Pool(pool, types));
      }
    }
    Map<String, List<Pod>> podsByNode = new HashMap<>();
    for (Pod p : objects.pods()) {
      String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
      if (node != null && !node.isEmpty() && !terminal(p)) {
        podsByNode.computeIfAbsent(node, k -> new ArrayList<>()).add(p);
      }
    }
    return new ClusterSnapshot(
        objects.pending(),
        existingNodes(objects, podsByNode),
        inFlight(objects, typesByPool),
        objects.daemonSets(),
        pools,
        usage(objects.nodeClaims(), objects.nodes(), typesByPool),
        unavailableOfferings,
        objects.volumes());
  }

  private static boolean notReady(EC2NodeClass nc) {
    return nc.getStatus() != null
        && nc.getStatus().getConditions() != null
        && nc.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.type()) && "False".equals(c.status()));
  }

  /** The one translation to the scheduler's input. */
  public SchedulingInput schedulingInput() {
    List<SchedulingNodePool> pools = new ArrayList<>();
    for (Pool p : nodePools) {
      NodePool pool = p.nodePool();
      NodeClaimTemplateSpec t = pool.getSpec().template().spec();
      pools.add(
          new SchedulingNodePool(
              p.name(),
              pool.getSpec().weight() == null ? 0 : pool.getSpec().weight(),
              ApiConversions.requirements(t.requirementsOrEmpty()),
              pool.getSpec().template().metadataOrEmpty().labelsOrEmpty(),
              ApiConversions.taints(t.taintsOrEmpty()),
              ApiConversions.taints(t.startupTaintsOrEmpty()),
              ApiConversions.schedulingLimits(pool),
              usage.getOrDefault(p.name(), PoolUsage.NONE).resources(),
              p.instanceTypes()));
    }
    return new SchedulingInput(
        pendingPods, nodes, inFlight, daemonSets, pools, unavailableOfferings, volumes);
  }

  public PoolUsage usage(String nodePool) {
    return usage.getOrDefault(nodePool, PoolUsage.NONE);
  }

  /**
   * Per-NodePool usage from NodeClaims and nodes alike, the one definition behind limits, NodePool
   * status and the usage metrics. A claim counts from the moment it exists until it is gone
   * (deleting included); a node counts on its own only when no claim has its providerID.
   *
   * @param typesByPool each pool's instance types, for claims not launched yet
   */
  public static Map<String, PoolUsage> usage(
      List<NodeClaim> claims, List<Node> nodes, Map<String, List<InstanceType>> typesByPool) {
    Map<String, PoolUsage> out = new HashMap<>();
    Set<String> claimed = new HashSet<>();
    for (NodeClaim c : claims) {
      String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
      if (pid != null) {
        claimed.add(pid);
      }
      String pool = NodeClaims.nodePool(c);
      if (pool != null) {
        Resources cap = capacity(c, typesByPool.getOrDefault(pool, List.of()));
        out.merge(pool, PoolUsage.NONE.plus(cap), ClusterSnapshot::sum);
      }
    }
    for (Node n : nodes) {
      Map<String, String> labels = n.getMetadata().getLabels();
      String pool = labels == null ? null : labels.get(Labels.NODEPOOL);
      String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
      if (pool == null || (pid != null && claimed.contains(pid))) {
        continue;
      }
      Resources cap =
          n.getStatus() == null
              ? Resources.NONE
              : ApiConversions.resources(n.getStatus().getCapacity());
      out.merge(pool, PoolUsage.NONE.plus(cap), ClusterSnapshot::sum);
    }
    return out;
  }

  private static PoolUsage sum(PoolUsage a, PoolUsage b) {
    return new PoolUsage(a.resources().plus(b.resources()), a.nodes() + b.nodes());
  }

  /**
   * The capacity a claim counts with: its reported capacity once launched, else its instance
   * type's, else the per-resource maximum over the pool's instance types its requirements allow.
   */
  public static Resources capacity(NodeClaim claim, List<InstanceType> poolTypes) {
    if (claim.getStatus() != null
        && claim.getStatus().getCapacity() != null
        && !claim.getStatus().getCapacity().isEmpty()) {
      return ApiConversions.resources(claim.getStatus().getCapacity());
    }
    Map<String, String> labels = claim.getMetadata().getLabels();
    String launchedAs = labels == null ? null : labels.get(Labels.INSTANCE_TYPE);
    Requirements reqs =
        claim.getSpec() == null
            ? Requirements.of(List.of())
            : ApiConversions.requirements(claim.getSpec().requirementsOrEmpty());
    Map<String, Long> max = new HashMap<>();
    for (InstanceType t : poolTypes) {
      if (launchedAs != null ? !launchedAs.equals(t.name()) : !allows(reqs, t)) {
        continue;
      }
      t.capacity().milli().forEach((k, v) -> max.merge(k, v, Math::max));
    }
    return max.isEmpty() ? Resources.NONE : new Resources(max);
  }

  private static boolean allows(Requirements reqs, InstanceType t) {
    for (Requirement r : reqs.all()) {
      if (r.key().equals(Labels.INSTANCE_TYPE)) {
        if (!r.matches(t.name())) {
          return false;
        }
      } else if (t.labels().containsKey(r.key()) && !r.matches(t.labels().get(r.key()))) {
        return false;
      }
    }
    return true;
  }

  private static List<ExistingNode> existingNodes(
      Objects objects, Map<String, List<Pod>> podsByNode) {
    Map<String, NodeClaim> claimsByProviderId = new HashMap<>();
    for (NodeClaim c : objects.nodeClaims()) {
      if (c.getStatus() != null && c.getStatus().getProviderID() != null) {
        claimsByProviderId.put(c.getStatus().getProviderID(), c);
      }
    }
    List<ExistingNode> out = new ArrayList<>();
    for (Node n : objects.nodes()) {
      if (n.getMetadata().getDeletionTimestamp() != null
          || (n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable()))) {
        continue;
      }
      String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
      NodeClaim claim = pid == null ? null : claimsByProviderId.get(pid);
      if (claim != null && claim.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Resources alloc = Resources.NONE;
      if (n.getStatus() != null) {
        alloc =
            ApiConversions.resources(
                n.getStatus().getAllocatable() != null
                    ? n.getStatus().getAllocatable()
                    : n.getStatus().getCapacity());
      }
      List<Taint> taints =
          n.getSpec() == null || n.getSpec().getTaints() == null
              ? List.of()
              : n.getSpec().getTaints();
      if (claim != null
          && !NodeClaims.isTrue(claim, NodeClaims.INITIALIZED)
          && claim.getStatus().getAllocatable() != null) {
        // Until initialized, trust the claim's expected shape over what the node reports so far.
        alloc = ApiConversions.resources(claim.getStatus().getAllocatable());
        Set<String> startup = new HashSet<>();
        NodeClaims.startupTaints(claim).forEach(t -> startup.add(t.key()));
        taints =
            taints.stream()
                .filter(t -> !startup.contains(t.getKey()) && !NodeClaims.isEphemeral(t))
                .toList();
      }
      String name = n.getMetadata().getName();
      Map<String, String> labels = new HashMap<>();
      if (n.getMetadata().getLabels() != null) {
        labels.putAll(n.getMetadata().getLabels());
      }
      labels.putIfAbsent(Labels.HOSTNAME, name);
      out.add(
          new ExistingNode(
              name, labels, taints, alloc, podsByNode.getOrDefault(name, List.of()), false));
    }
    return out;
  }

  private static List<ExistingNode> inFlight(
      Objects objects, Map<String, List<InstanceType>> typesByPool) {
    Set<String> nodeProviderIds = new HashSet<>();
    for (Node n : objects.nodes()) {
      if (n.getSpec() != null && n.getSpec().getProviderID() != null) {
        nodeProviderIds.add(n.getSpec().getProviderID());
      }
    }
    List<ExistingNode> out = new ArrayList<>();
    for (NodeClaim c : objects.nodeClaims()) {
      if (c.getMetadata().getDeletionTimestamp() != null || c.getSpec() == null) {
        continue;
      }
      String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
      if (pid != null && nodeProviderIds.contains(pid)) {
        continue;
      }
      Requirements reqs = ApiConversions.requirements(c.getSpec().requirementsOrEmpty());
      Map<String, String> labels = new LinkedHashMap<>();
      for (Requirement r : reqs.all()) {
        if (r.singleValue() != null) {
          labels.put(r.key(), r.singleValue());
        }
      }
      if (c.getMetadata().getLabels() != null) {
        labels.putAll(c.getMetadata().getLabels());
      }
      Resources alloc;
      if (c.getStatus() != null
          && c.getStatus().getAllocatable() != null
          && !c.getStatus().getAllocatable().isEmpty()) {
        alloc = ApiConversions.resources(c.getStatus().getAllocatable());
      } else {
        alloc = smallestOption(reqs, typesByPool.getOrDefault(NodeClaims.nodePool(c), List.of()));
      }
      List<Taint> taints =
          ApiConversions.taints(c.getSpec().taints() == null ? List.of() : c.getSpec().taints());
      out.add(new ExistingNode(c.getMetadata().getName(), labels, taints, alloc, List.of(), true));
    }
    return out;
  }

  /** Karpenter's estimate for a claim not yet launched: the least any of its options offers. */
  private static Resources smallestOption(Requirements reqs, List<InstanceType> types) {
    Map<String, Long> min = null;
    for (InstanceType t : types) {
      if (!allows(reqs, t)) {
        continue;
      }
      Map<String, Long> a = t.allocatable().milli();
      if (min == null) {
        min = new HashMap<>(a);
      } else {
        min.keySet().retainAll(a.keySet());
        for (Map.Entry<String, Long> e : min.entrySet()) {
          e.setValue(Math.min(e.getValue(), a.get(e.getKey())));
        }
      }
    }
    return min == null ? Resources.NONE : new Resources(min);
  }

  private static boolean terminal(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }
}
