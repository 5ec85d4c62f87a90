package dev.karpenter.provisioning;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.state.ClusterSnapshot;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaimTemplates;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
  static final Duration RECENT_TTL = Duration.ofMinutes(1);

  private final KubernetesClient client;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Batcher batcher;
  private final Scheduler scheduler;
  private final Clock clock;
  // NodeClaims this provisioner created that the informer has not delivered yet.
  private final Map<String, Created> recentlyCreated = new ConcurrentHashMap<>();
  // UIDs of the pods the last round planned for.
  private volatile Set<String> considered = Set.of();
  private volatile Duration lastSolve = Duration.ZERO;

  private record Created(NodeClaim claim, Instant at) {}

  /**
   * One provisioning round the batch loop ran: its batch window, when the round finished, and the
   * NodeClaims it created (for timelines and benchmarks).
   */
  public record Round(
      Batcher.Window window, Instant finished, int pods, Duration solve, int nodeClaims) {}

  private final List<BiConsumer<NodeClaim, List<String>>> createdListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<BiConsumer<String, String>> nominationListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Consumer<Round>> roundListeners =
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
    state.onProvisionablePod(
        p -> {
          String uid = p.getMetadata().getUid();
          if (considered.contains(uid)) {
            // Planned for by the last round and updated since (kube-scheduler rewrites the
            // condition's message as nodes come): worth a round, but no reason to delay new pods.
            batcher.retrigger(uid);
          } else {
            // A new pod's window counts from when it started waiting, not from kube-scheduler's
            // Unschedulable mark, which under load comes seconds later.
            state
                .pendingSince(uid)
                .ifPresentOrElse(since -> batcher.trigger(uid, since), () -> batcher.trigger(uid));
          }
        });
    state.onNodeClaimEvent(
        c -> {
          recentlyCreated.remove(c.getMetadata().getName());
          // A claim going away (failed launch, timeout, deletion) frees the pods nominated to it.
          if (c.getMetadata().getDeletionTimestamp() != null) {
            batcher.trigger();
          }
        });
    state.onConfigurationChange(
        () -> {
          if (!state.provisionablePods().isEmpty()) {
            batcher.trigger();
          }
        });
    // Offerings the cloud just found short: the next round plans around them.
    cloud.unavailableOfferings().onChange(batcher::trigger);
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

  /** Called after every round the batch loop runs. */
  public void onRound(Consumer<Round> listener) {
    roundListeners.add(listener);
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
          List<NodeClaim> created = provision();
          if (!roundListeners.isEmpty()) {
            Round r =
                new Round(
                    batcher.lastClosed(),
                    clock.instant(),
                    considered.size(),
                    lastSolve,
                    created.size());
            roundListeners.forEach(l -> l.accept(r));
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("provisioning round failed: {}", e.toString(), e);
      }
    }
  }

  /**
   * The cluster as this provisioner must see it: the informers' objects plus every NodeClaim it is
   * creating or created and the informer has not delivered yet, so each counts against its NodePool
   * from before its create request until it is gone.
   */
  public ClusterSnapshot snapshot() {
    Instant stale = clock.instant().minus(RECENT_TTL);
    recentlyCreated.values().removeIf(c -> c.at().isBefore(stale));
    // Copied before the informers are read: a claim the informer delivers in between is then in
    // one or both, never in neither.
    List<NodeClaim> pendingCreates = new ArrayList<>();
    recentlyCreated.values().forEach(c -> pendingCreates.add(c.claim()));
    Set<String> unavailable = new java.util.HashSet<>();
    cloud.unavailableOfferings().keys().forEach(k -> unavailable.add(k.toString()));
    return ClusterSnapshot.of(
        ClusterSnapshot.Objects.of(state, pendingCreates), cloud::instanceTypes, unavailable);
  }

  /**
   * One provisioning round; returns the NodeClaims it created. Rounds never overlap: each must see
   * the claims of the one before.
   */
  public synchronized List<NodeClaim> provision() {
    if (state.provisionablePods().isEmpty()) {
      metrics.unschedulablePods(0);
      return List.of();
    }
    ClusterSnapshot snapshot = snapshot();
    List<Pod> pending = snapshot.pendingPods();
    Set<String> uids = new java.util.HashSet<>();
    pending.forEach(p -> uids.add(p.getMetadata().getUid()));
    considered = uids;
    Map<String, NodePool> pools = new HashMap<>();
    snapshot.nodePools().forEach(p -> pools.put(p.name(), p.nodePool()));
    SchedulingInput input = snapshot.schedulingInput();
    long start = System.nanoTime();
    SchedulingResult result = scheduler.solve(input);
    lastSolve = Duration.ofNanos(System.nanoTime() - start);
    metrics.schedulingDuration(lastSolve);
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
        // Only a rejection proves the claim does not exist; after a timeout or a server error it
        // may, so it keeps counting until the informer shows it or RECENT_TTL passes.
        if (e.getCode() >= 400 && e.getCode() < 500) {
          recentlyCreated.remove(name);
        }
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

  private String target(String node) {
    return state.node(node).isPresent() ? "node/" + node : "nodeclaim/" + node;
  }

  private static NodeClaim nodeClaim(NodeClaimPlan plan, NodePool pool) {
    return NodeClaimTemplates.nodeClaim(plan, pool);
  }
}
