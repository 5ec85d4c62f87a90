package dev.karpenter.nodeclaim.expiration;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.state.Conditions;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.state.Writes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream v1's forceful expiration: at creationTimestamp + spec.expireAfter the NodeClaim is
 * deleted, whatever the budgets, {@code karpenter.sh/do-not-disrupt} or PDBs say; the termination
 * finalizer then drains it, bounded by spec.terminationGracePeriod. Requeues at the expiry instant.
 * Records {@code DisruptionReason=Expired} first, so the termination reports why.
 */
public final class ExpirationReconciler implements Reconciler<NodeClaim> {
  public static final String NAME = "nodeclaim.expiration";
  public static final String EXPIRED = "Expired";
  private static final Logger LOG = LoggerFactory.getLogger(ExpirationReconciler.class);

  private final KubernetesClient client;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  // Claims this replica already deleted, so a reconcile that runs on a cache not yet showing the
  // deletion does not count them twice.
  private final Set<String> expired = ConcurrentHashMap.newKeySet();

  public ExpirationReconciler(
      KubernetesClient client, EventRecorder events, KarpenterMetrics metrics, Clock clock) {
    this.client = client;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public UpdateControl<NodeClaim> reconcile(NodeClaim claim, Context<NodeClaim> ctx) {
    String uid = claim.getMetadata().getUid();
    if (claim.getMetadata().getDeletionTimestamp() != null) {
      expired.remove(uid);
      return UpdateControl.noUpdate();
    }
    if (expired.contains(uid)) {
      return UpdateControl.noUpdate();
    }
    Optional<Instant> at;
    try {
      at = Expiration.at(claim);
    } catch (IllegalArgumentException e) {
      LOG.warn(
          "NodeClaim {}: spec.expireAfter {}; it does not expire",
          claim.getMetadata().getName(),
          e.getMessage());
      return UpdateControl.noUpdate();
    }
    if (at.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    Instant now = clock.instant();
    if (now.isBefore(at.get())) {
      return UpdateControl.<NodeClaim>noUpdate().rescheduleAfter(Duration.between(now, at.get()));
    }
    expire(claim, at.get(), ctx);
    return UpdateControl.noUpdate();
  }

  private void expire(NodeClaim claim, Instant at, Context<NodeClaim> ctx) {
    String name = claim.getMetadata().getName();
    Map<String, String> labels =
        claim.getMetadata().getLabels() == null ? Map.of() : claim.getMetadata().getLabels();
    String pool = labels.getOrDefault(Labels.NODEPOOL, "");
    String message =
        "expired at "
            + at
            + " (created "
            + claim.getMetadata().getCreationTimestamp()
            + ", expireAfter "
            + claim.getSpec().expireAfter()
            + ")";
    List<dev.karpenter.api.v1.Condition> conditions =
        Conditions.copy(claim.getStatus() == null ? null : claim.getStatus().getConditions());
    if (Conditions.set(
        conditions,
        NodeClaims.DISRUPTION_REASON,
        "True",
        EXPIRED,
        message,
        claim.getMetadata().getGeneration(),
        clock)) {
      NodeClaim statusOnly = new NodeClaim();
      statusOnly.getMetadata().setName(name);
      NodeClaimStatus s = new NodeClaimStatus();
      s.setCapacity(null);
      s.setAllocatable(null);
      s.setConditions(
          conditions.stream().filter(c -> NodeClaims.DISRUPTION_REASON.equals(c.type())).toList());
      statusOnly.setStatus(s);
      Writes.patchStatus(ctx, claim, statusOnly);
    }
    if (!Writes.delete(client, claim)) {
      return;
    }
    expired.add(claim.getMetadata().getUid());
    metrics.nodeClaimDisrupted("expired", pool, labels.getOrDefault(Labels.CAPACITY_TYPE, ""));
    events.normal(claim, EXPIRED, "NodeClaim " + message + "; deleting it");
    LOG.info("deleting expired NodeClaim {} (NodePool {}): {}", name, pool, message);
  }
}
