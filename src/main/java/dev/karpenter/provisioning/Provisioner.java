package dev.karpenter.provisioning;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimSpec;
import dev.karpenter.api.v1.NodeClaimTemplateSpec;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Karpenter's provisioner: a singleton loop (run only on the leader) that waits for a batch of
 * provisionable pods, snapshots the cluster, asks the pure {@link Scheduler} for a plan and creates
 * the planned NodeClaims. The decision itself lives in {@code provisioning.scheduling}.
 */
public final class Provisioner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Provisioner.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  static final Duration ICE_TTL = Duration.ofMinutes(3);
  static final Duration RECENT_TTL = Duration.ofMinutes(1);

  private final KubernetesClient client;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Batcher batcher;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Map<String, Instant> unavailable = new ConcurrentHashMap<>();
  // NodeClaims this provisioner created that the informer has not delivered yet.
  private final Map<String, Created> recentlyCreated = new ConcurrentHashMap<>();

  private record Created(NodeClaim claim, Instant at) {}

  private final List<BiConsumer<NodeClaim, List<String>>> createdListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<BiConsumer<String, String>> nominationListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Thread loop;
  private volatile boolean running;

  public Provisioner(
      KubernetesClient client,
      ClusterState state,
      CloudProvider cloud,
      EventRecorder events,
      KarpenterMetrics metrics,
      Batcher batcher,
      Scheduler scheduler,
      Clock clock) {
    this.client = client;
    this.state = state;
    this.cloud = cloud;
    this.events = events;
    this.metrics = metrics;
    this.batcher = batcher;
    this.scheduler = scheduler;
    this.clock = clock;
    state.onProvisionablePod(p -> batcher.trigger(p.getMetadata().getUid()));
    state.onNodeClaimEvent(c -> recentlyCreated.remove(c.getMetadata().getName()));
  }

  /** Called with every NodeClaim this provisioner creates (for timelines and benchmarks). */
  public void onCreated(Consumer<NodeClaim> listener) {
    createdListeners.add((claim, pods) -> listener.accept(claim));
  }

  /**
   * Called with each pod ({@code namespace/name}) a provisioning round nominated and its target:
   * {@code nodeclaim/<name>} (new or in flight) or {@code node/<name>}.
   */
  public void onNominated(BiConsumer<String, String> listener) {
    nominationListeners.add(listener);
  }

  /**
   * Called with every NodeClaim this provisioner creates and the pods ({@code namespace/name}) it
   * was created for.
   */
  public void onCreated(BiConsumer<NodeClaim, List<String>> listener) {
    createdListeners.add(listener);
  }

  /** Offerings that failed to launch are skipped for {@link #ICE_TTL}. */
  public void markUnavailable(List<String> offeringKeys) {
    Instant until = clock.instant().plus(ICE_TTL);
    offeringKeys.forEach(k -> unavailable.put(k, until));
    if (!offeringKeys.isEmpty()) {
      batcher.trigger();
    }
  }

  public void trigger() {
    batcher.trigger();
  }

  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    loop = new Thread(this::run, "provisioner");
    loop.setDaemon(true);
    loop.start();
    if (!state.provisionablePods().isEmpty()) {
      batcher.trigger();
    }
    LOG.info("provisioner started");
  }

  public synchronized void stop() {
    running = false;
    if (loop != null) {
      loop.interrupt();
      loop = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void run() {
    while (running) {
      try {
        if (batcher.await(Duration.ofSeconds(1))) {
          provision();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("provisioning round failed: {}", e.toString(), e);
      }
    }
  }

  /** One provisioning round; returns the NodeClaims it created. */
  public List<NodeClaim> provision() {
    List<Pod> pending = state.provisionablePods();
    if (pending.isEmpty()) {
      metrics.unschedulablePods(0);
      return List.of();
    }
    Instant now = clock.instant();
    unavailable.values().removeIf(until -> until.isBefore(now));
    Map<String, NodePool> pools = new HashMap<>();
    Map<String, List<InstanceType>> typesByPool = new HashMap<>();
    List<SchedulingNodePool> schedulingPools = new ArrayList<>();
    Map<String, Resources> usage = usageByPool();
    for (NodePool pool : state.nodePools()) {
      if (pool.getMetadata().getDeletionTimestamp() != null || pool.getSpec().replicas() != null) {
        continue;
      }
      String name = pool.getMetadata().getName();
      if (state.nodeClass(pool.getSpec().template().spec().nodeClassRef().name()).isEmpty()) {
        continue;
      }
      List<InstanceType> types = cloud.instanceTypes(pool);
      pools.put(name, pool);
      typesByPool.put(name, types);
      NodeClaimTemplateSpec t = pool.getSpec().template().spec();
      schedulingPools.add(
          new SchedulingNodePool(
              name,
              pool.getSpec().weight() == null ? 0 : pool.getSpec().weight(),
              ApiConversions.requirements(t.requirementsOrEmpty()),
              pool.getSpec().template().metadataOrEmpty().labelsOrEmpty(),
              ApiConversions.taints(t.taintsOrEmpty()),
              ApiConversions.taints(t.startupTaintsOrEmpty()),
              ApiConversions.limits(pool),
              usage.getOrDefault(name, Resources.NONE),
              types));
    }
    SchedulingInput input =
        new SchedulingInput(
            pending,
            existingNodes(),
            inFlight(typesByPool),
            state.daemonSets(),
            schedulingPools,
            Set.copyOf(unavailable.keySet()),
            SchedulingInput.Volumes.of(
                state.persistentVolumeClaims(), state.persistentVolumes(), state.storageClasses()));
    long start = System.nanoTime();
    SchedulingResult result = scheduler.solve(input);
    metrics.schedulingDuration(Duration.ofNanos(System.nanoTime() - start));
    metrics.unschedulablePods(result.unschedulable().size());

    Map<String, Pod> byKey = new HashMap<>();
    pending.forEach(
        p -> byKey.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p));
    // Like Karpenter, create the batch's NodeClaims in parallel: one API round trip, not N.
    List<java.util.concurrent.Future<NodeClaim>> futures = new ArrayList<>();
    try (var creators = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (NodeClaimPlan plan : result.nodeClaims()) {
        futures.add(creators.submit(() -> create(plan, pools.get(plan.nodePool()), byKey)));
      }
    }
    List<NodeClaim> created = new ArrayList<>();
    for (var f : futures) {
      try {
        NodeClaim c = f.get();
        if (c != null) {
          created.add(c);
        }
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.warn("creating a NodeClaim failed: {}", e.getCause().toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    result
        .existingNodes()
        .forEach(
            (node, keys) -> {
              String target = target(node);
              for (String key : keys) {
                nominationListeners.forEach(l -> l.accept(key, target));
                Pod p = byKey.get(key);
                if (p != null) {
                  events.normal(p, "Nominated", "Pod should schedule on: " + target);
                }
              }
            });
    result
        .unschedulable()
        .forEach(
            (key, reason) -> {
              Pod p = byKey.get(key);
              if (p != null) {
                events.warning(p, "FailedScheduling", "Failed to schedule pod, " + reason);
              }
            });
    return created;
  }

  private NodeClaim create(NodeClaimPlan plan, NodePool pool, Map<String, Pod> byKey) {
    try {
      NodeClaim planned = nodeClaim(plan, pool);
      String name = planned.getMetadata().getName();
      // Registered before the create so the informer's event for it always comes after.
      recentlyCreated.put(name, new Created(planned, clock.instant()));
      NodeClaim claim;
      try {
        claim = client.resource(planned).create();
      } catch (KubernetesClientException e) {
        recentlyCreated.remove(name);
        throw e;
      }
      metrics.nodeClaimsCreated(plan.nodePool(), "provisioned", 1);
      LOG.info(
          "created NodeClaim {} (NodePool {}, {} {} {}, ${}/h) for {} pods",
          claim.getMetadata().getName(),
          plan.nodePool(),
          plan.instanceType(),
          plan.capacityType(),
          plan.zone(),
          String.format("%.4f", plan.pricePerHour()),
          plan.pods().size());
      createdListeners.forEach(l -> l.accept(claim, plan.pods()));
      String target = "nodeclaim/" + claim.getMetadata().getName();
      plan.pods().forEach(k -> nominationListeners.forEach(l -> l.accept(k, target)));
      for (String key : plan.pods()) {
        Pod p = byKey.get(key);
        if (p != null) {
          events.normal(
              p, "Nominated", "Pod should schedule on: nodeclaim/" + claim.getMetadata().getName());
        }
      }
      return claim;
    } catch (KubernetesClientException e) {
      LOG.warn(
          "creating NodeClaim for NodePool {} failed: {}",
          plan.nodePool(),
          e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
      return null;
    }
  }

  /**
   * The cluster's NodeClaims plus those created here that the informer has not delivered yet, so a
   * round right after another does not plan the same pods a second time.
   */
  private List<NodeClaim> nodeClaims() {
    List<NodeClaim> known = state.nodeClaims();
    Set<String> names = new java.util.HashSet<>();
    known.forEach(c -> names.add(c.getMetadata().getName()));
    Instant stale = clock.instant().minus(RECENT_TTL);
    recentlyCreated
        .entrySet()
        .removeIf(e -> names.contains(e.getKey()) || e.getValue().at().isBefore(stale));
    if (recentlyCreated.isEmpty()) {
      return known;
    }
    List<NodeClaim> all = new ArrayList<>(known);
    recentlyCreated.values().forEach(c -> all.add(c.claim()));
    return all;
  }

  private String target(String node) {
    return state.node(node).isPresent() ? "node/" + node : "nodeclaim/" + node;
  }

  private Map<String, Resources> usageByPool() {
    Map<String, Resources> usage = new HashMap<>();
    Map<String, InstanceType> noTypes = Map.of();
    for (NodeClaim c : nodeClaims()) {
      String pool = NodeClaims.nodePool(c);
      if (pool != null) {
        // Each NodeClaim also counts once against limits.nodes.
        Resources cap = ApiConversions.capacity(c, noTypes).plus(Resources.of("nodes", 1000));
        usage.merge(pool, cap, Resources::plus);
      }
    }
    return usage;
  }

  private List<ExistingNode> existingNodes() {
    Map<String, NodeClaim> claimsByNode = new HashMap<>();
    for (NodeClaim c : nodeClaims()) {
      if (c.getStatus() != null && c.getStatus().getProviderID() != null) {
        state
            .nodeByProviderId(c.getStatus().getProviderID())
            .ifPresent(n -> claimsByNode.put(n.getMetadata().getName(), c));
      }
    }
    List<ExistingNode> out = new ArrayList<>();
    for (Node n : state.nodes()) {
      if (n.getMetadata().getDeletionTimestamp() != null
          || Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
        continue;
      }
      NodeClaim claim = claimsByNode.get(n.getMetadata().getName());
      if (claim != null && claim.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Resources alloc = ApiConversions.resources(n.getStatus().getAllocatable());
      List<Taint> taints = n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
      if (claim != null && !NodeClaims.isTrue(claim, NodeClaims.INITIALIZED)) {
        // Until initialized, trust the claim's expected shape over what the node reports so far.
        alloc = ApiConversions.resources(claim.getStatus().getAllocatable());
        Set<String> startup = new java.util.HashSet<>();
        dev.karpenter.state.NodeClaims.startupTaints(claim).forEach(t -> startup.add(t.key()));
        taints =
            taints.stream()
                .filter(t -> !startup.contains(t.getKey()) && !NodeClaims.isEphemeral(t))
                .toList();
      }
      Map<String, String> labels =
          n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
      out.add(
          new ExistingNode(
              n.getMetadata().getName(),
              labels,
              taints,
              alloc,
              state.podsOn(n.getMetadata().getName()),
              false));
    }
    return out;
  }

  private List<ExistingNode> inFlight(Map<String, List<InstanceType>> typesByPool) {
    List<ExistingNode> out = new ArrayList<>();
    for (NodeClaim c : nodeClaims()) {
      if (c.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
      if (pid != null && state.nodeByProviderId(pid).isPresent()) {
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
    Requirement names = reqs.get(Labels.INSTANCE_TYPE);
    Map<String, Long> min = null;
    for (InstanceType t : types) {
      if (names != null && !names.matches(t.name())) {
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

  private NodeClaim nodeClaim(NodeClaimPlan plan, NodePool pool) {
    NodeClaimTemplateSpec t = pool.getSpec().template().spec();
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(pool.getMetadata().getName() + "-" + suffix());
    Map<String, String> labels = new LinkedHashMap<>(plan.labels());
    labels.remove(Labels.ZONE);
    labels.remove(Labels.CAPACITY_TYPE);
    labels.remove(Labels.INSTANCE_TYPE);
    labels.put(Labels.NODEPOOL, pool.getMetadata().getName());
    c.getMetadata().setLabels(labels);
    c.getMetadata()
        .setAnnotations(
            Map.of(
                NodePoolHash.ANNOTATION,
                NodePoolHash.of(pool),
                NodePoolHash.VERSION_ANNOTATION,
                NodePoolHash.VERSION));
    c.getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(pool.getApiVersion())
                    .withKind(pool.getKind())
                    .withName(pool.getMetadata().getName())
                    .withUid(pool.getMetadata().getUid())
                    .withBlockOwnerDeletion(true)
                    .build()));
    Requirements reqs =
        plan.requirements()
            .with(Requirement.of(Labels.INSTANCE_TYPE, "In", plan.instanceTypeOptions()));
    // The NodeClaim CRD rejects these keys in requirements; the labels carry them instead.
    List<NodeSelectorRequirementWithMinValues> apiReqs =
        ApiConversions.toApi(reqs).stream()
            .filter(r -> !r.key().equals(Labels.NODEPOOL) && !r.key().equals(Labels.HOSTNAME))
            .toList();
    c.setSpec(
        new NodeClaimSpec(
            t.taints(),
            t.startupTaints(),
            apiReqs,
            new NodeClaimSpec.ResourceRequirements(ApiConversions.quantities(plan.requests())),
            t.nodeClassRef(),
            t.terminationGracePeriod(),
            t.expireAfter()));
    return c;
  }

  private static String suffix() {
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
