package dev.karpenter.nodeclaim.disruption;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.Conditions;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.state.Writes;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each NodeClaim's {@code Consolidatable} and {@code Drifted} conditions (upstream's
 * nodeclaim.disruption controller). Runs on every change of the claim (its status included: pod
 * events, initialization) and of its NodePool, requeues at the exact instant Consolidatable turns
 * True, and re-checks drift every {@link #DRIFT_RECHECK}. Writes only its two conditions, by
 * server-side apply under its own field manager, so the lifecycle controller's conditions stay.
 */
public final class NodeClaimDisruptionReconciler implements Reconciler<NodeClaim> {
  public static final String NAME = "nodeclaim.disruption";
  private static final Logger LOG = LoggerFactory.getLogger(NodeClaimDisruptionReconciler.class);

  /** Upstream's drift requeue (its provider cache TTL). */
  public static final Duration DRIFT_RECHECK = Duration.ofMinutes(5);

  private final ClusterState state;
  private final CloudProvider cloud;
  private final Clock clock;
  private final Map<String, ProviderDrift> providerDrift = new ConcurrentHashMap<>();

  /** The provider's last answer for a claim, keyed by what it depends on. */
  private record ProviderDrift(String nodeClassVersion, Instant at, String reason) {}

  public NodeClaimDisruptionReconciler(ClusterState state, CloudProvider cloud, Clock clock) {
    this.state = state;
    this.cloud = cloud;
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, NodeClaim>> prepareEventSources(EventSourceContext<NodeClaim> ctx) {
    var pools =
        InformerEventSourceConfiguration.from(NodePool.class, NodeClaim.class)
            .withSecondaryToPrimaryMapper(
                (NodePool p) ->
                    state.nodeClaims().stream()
                        .filter(c -> p.getMetadata().getName().equals(NodeClaims.nodePool(c)))
                        .map(c -> new ResourceID(c.getMetadata().getName()))
                        .collect(Collectors.toSet()))
            .build();
    return List.of(new InformerEventSource<>(pools, ctx));
  }

  @Override
  public UpdateControl<NodeClaim> reconcile(NodeClaim claim, Context<NodeClaim> ctx) {
    String name = claim.getMetadata().getName();
    String poolName = NodeClaims.nodePool(claim);
    if (claim.getMetadata().getDeletionTimestamp() != null || poolName == null) {
      providerDrift.remove(name);
      return UpdateControl.noUpdate();
    }
    Optional<NodePool> pool = state.nodePool(poolName);
    if (pool.isEmpty()) {
      return UpdateControl.<NodeClaim>noUpdate().rescheduleAfter(DRIFT_RECHECK);
    }
    Instant now = clock.instant();
    ClaimConditions.Decision d =
        ClaimConditions.decide(
            claim, pool.get(), types(pool.get()), () -> providerDrift(claim, now), now);
    List<Condition> current =
        Conditions.copy(claim.getStatus() == null ? null : claim.getStatus().getConditions());
    boolean changed = false;
    for (ClaimConditions.Verdict v : d.conditions()) {
      changed |=
          Conditions.set(
              current,
              v.type(),
              v.status(),
              v.reason(),
              v.message(),
              claim.getMetadata().getGeneration(),
              clock);
    }
    if (changed) {
      List<Condition> mine = new ArrayList<>();
      for (Condition c : current) {
        if (d.conditions().stream().anyMatch(v -> v.type().equals(c.type()))) {
          mine.add(c);
        }
      }
      NodeClaim statusOnly = new NodeClaim();
      statusOnly.getMetadata().setName(name);
      NodeClaimStatus s = new NodeClaimStatus();
      s.setCapacity(null);
      s.setAllocatable(null);
      s.setConditions(mine);
      statusOnly.setStatus(s);
      Writes.patchStatus(ctx, claim, statusOnly);
      for (ClaimConditions.Verdict v : d.conditions()) {
        if (!Objects.equals(statusOf(claim, v.type()), v.status())) {
          LOG.info(
              "NodeClaim {} (NodePool {}): {}={} {} {}",
              name,
              poolName,
              v.type(),
              v.status(),
              v.reason(),
              v.message());
        }
      }
    }
    Duration next = DRIFT_RECHECK;
    if (d.consolidatableAt().isPresent()) {
      Duration until = Duration.between(now, d.consolidatableAt().get());
      if (until.compareTo(next) < 0) {
        next = until.isNegative() ? Duration.ZERO : until;
      }
    }
    return UpdateControl.<NodeClaim>noUpdate().rescheduleAfter(next);
  }

  private static String statusOf(NodeClaim claim, String type) {
    return NodeClaims.condition(claim, type).map(Condition::status).orElse(null);
  }

  private List<InstanceType> types(NodePool pool) {
    try {
      return cloud.instanceTypes(pool);
    } catch (RuntimeException e) {
      // Unknown types: InstanceTypeNotFound is not judged.
      LOG.debug("NodePool {}: instance types: {}", pool.getMetadata().getName(), e.toString());
      return List.of();
    }
  }

  /** The provider's drift reason, asked at most every {@link #DRIFT_RECHECK} per node class. */
  private String providerDrift(NodeClaim claim, Instant now) {
    String name = claim.getMetadata().getName();
    String classVersion =
        claim.getSpec() == null || claim.getSpec().nodeClassRef() == null
            ? ""
            : state
                .nodeClass(claim.getSpec().nodeClassRef().name())
                .map(nc -> nc.getMetadata().getResourceVersion())
                .orElse("");
    ProviderDrift cached = providerDrift.get(name);
    if (cached != null
        && cached.nodeClassVersion().equals(classVersion)
        && cached.at().plus(DRIFT_RECHECK).isAfter(now)) {
      return cached.reason();
    }
    String reason;
    try {
      reason = cloud.isDrifted(claim).orElse(null);
    } catch (RuntimeException e) {
      LOG.debug("NodeClaim {}: drift check failed: {}", name, e.toString());
      return cached == null ? null : cached.reason();
    }
    providerDrift.put(name, new ProviderDrift(classVersion, now, reason));
    return reason;
  }
}
