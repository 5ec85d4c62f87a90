package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.state.Writes;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NodeClaim lifecycle controller: runs {@link Launch}, {@link Registration}, {@link
 * Initialization} and {@link Liveness} over one {@link Reconciliation}, then writes what they
 * changed (Node edits, claim labels, the claim's status), publishes their events and counts the
 * transitions. A claim a sub-reconciler gives up on gets its {@code DisruptionReason} condition and
 * is deleted; deletion runs {@link Termination} under the {@code karpenter.sh/termination}
 * finalizer.
 */
public final class NodeClaimLifecycleReconciler
    implements Reconciler<NodeClaim>, Cleaner<NodeClaim> {
  public static final String NAME = "nodeclaim.lifecycle";
  private static final Logger LOG = LoggerFactory.getLogger(NodeClaimLifecycleReconciler.class);
  private static final Duration TERMINATION_POLL = Duration.ofSeconds(1);
  private static final Duration INSTANCE_TERMINATION_POLL = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final ClusterState state;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  private final Launch launch;
  private final Registration registration = new Registration();
  private final Initialization initialization = new Initialization();
  private final Liveness liveness;
  private final Termination termination;

  public NodeClaimLifecycleReconciler(
      KubernetesClient client,
      ClusterState state,
      CloudProvider cloud,
      EventRecorder events,
      KarpenterMetrics metrics,
      Clock clock,
      Duration registrationTtl,
      Duration launchTtl) {
    this.client = client;
    this.state = state;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.launch = new Launch(cloud);
    this.liveness = new Liveness(registrationTtl, launchTtl);
    this.termination =
        new Termination(
            cloud,
            new Termination.Nodes() {
              @Override
              public Optional<Node> byProviderId(String providerId) {
                return state.nodeByProviderId(providerId);
              }

              @Override
              public void delete(Node node) {
                Writes.delete(client, node);
              }
            },
            metrics);
  }

  @Override
  public List<EventSource<?, NodeClaim>> prepareEventSources(EventSourceContext<NodeClaim> ctx) {
    var config =
        InformerEventSourceConfiguration.from(Node.class, NodeClaim.class)
            .withSecondaryToPrimaryMapper(
                (Node n) -> {
                  String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
                  if (pid == null) {
                    return Set.of();
                  }
                  return state
                      .nodeClaimByProviderId(pid)
                      .map(c -> Set.of(new ResourceID(c.getMetadata().getName())))
                      .orElse(Set.of());
                })
            .build();
    return List.of(new InformerEventSource<>(config, ctx));
  }

  @Override
  public UpdateControl<NodeClaim> reconcile(NodeClaim claim, Context<NodeClaim> ctx) {
    if (claim.getSpec() == null) {
      // Only a CRD that does not require spec (an older one than ours) lets such a claim exist;
      // nothing can be launched for it.
      LOG.warn("NodeClaim {} has no spec; deleting it", claim.getMetadata().getName());
      events.warning(claim, "InvalidNodeClaim", "the NodeClaim has no spec; it is deleted");
      Writes.delete(client, claim);
      return UpdateControl.noUpdate();
    }
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    Optional<Node> node = state.nodeByProviderId(pid);
    Reconciliation r = Reconciliation.of(claim, node, clock);
    Result result = Result.DONE;
    for (var step :
        List.<java.util.function.Function<Reconciliation, Result>>of(
            launch::reconcile,
            registration::reconcile,
            initialization::reconcile,
            liveness::reconcile)) {
      result = result.and(step.apply(r));
      if (result.deletion().isPresent()) {
        break;
      }
    }
    write(claim, node, r, result, ctx);
    if (result.deletion().isPresent()) {
      return UpdateControl.noUpdate();
    }
    return result
        .requeueAfter()
        .map(d -> UpdateControl.<NodeClaim>noUpdate().rescheduleAfter(d))
        .orElse(UpdateControl.noUpdate());
  }

  private void write(
      NodeClaim claim,
      Optional<Node> node,
      Reconciliation r,
      Result result,
      Context<NodeClaim> ctx) {
    if (node.isPresent() && !r.nodeEdits().isEmpty()) {
      List<UnaryOperator<Node>> edits = r.nodeEdits();
      Writes.edit(
          client,
          node.get(),
          n -> {
            Node out = n;
            for (UnaryOperator<Node> e : edits) {
              out = e.apply(out);
            }
            return out;
          });
      if (r.becameTrue(NodeClaims.REGISTERED)) {
        CrashPoints.reached(CrashPoints.REGISTRATION);
      }
    }
    if (r.labelsChanged()) {
      Map<String, String> labels = Map.copyOf(r.labels());
      Writes.edit(
          client,
          claim,
          c -> {
            Map<String, String> merged = new LinkedHashMap<>();
            if (c.getMetadata().getLabels() != null) {
              merged.putAll(c.getMetadata().getLabels());
            }
            merged.putAll(labels);
            c.getMetadata().setLabels(merged);
            return c;
          });
    }
    result
        .deletion()
        .ifPresent(
            d -> r.setCondition(NodeClaims.DISRUPTION_REASON, "True", d.reason(), d.message()));
    if (r.statusChanged()) {
      Writes.patchStatus(ctx, claim, statusOnly(r.claim()));
    }
    String pool = pool(r.claim());
    if (r.becameTrue(NodeClaims.LAUNCHED)) {
      metrics.nodeClaimLaunched(pool);
    }
    if (r.becameTrue(NodeClaims.REGISTERED)) {
      metrics.nodeClaimRegistered(pool);
      metrics.nodeCreated(pool, r.labels().getOrDefault(Labels.ZONE, ""));
    }
    if (r.becameTrue(NodeClaims.INITIALIZED)) {
      metrics.nodeClaimInitialized(pool);
    }
    for (Reconciliation.Event e : r.events()) {
      if ("Warning".equals(e.type())) {
        events.warning(claim, e.reason(), e.message());
      } else {
        events.normal(claim, e.reason(), e.message());
      }
    }
    if (result.deletion().isPresent()) {
      LOG.info(
          "deleting NodeClaim {} (NodePool {}): {}",
          claim.getMetadata().getName(),
          pool,
          result.deletion().get().reason());
      Writes.delete(client, claim);
    }
  }

  @Override
  public DeleteControl cleanup(NodeClaim deleted, Context<NodeClaim> ctx) {
    NodeClaim claim = launch.withLaunchedInstance(deleted);
    Termination.Step step =
        termination.finalize(
            claim, message -> events.normal(claim, NodeClaims.INSTANCE_TERMINATING, message));
    if (step instanceof Termination.Step.Wait w) {
      if (w.instanceTerminating() && !NodeClaims.isTrue(claim, NodeClaims.INSTANCE_TERMINATING)) {
        Reconciliation r = Reconciliation.of(claim, Optional.empty(), clock);
        r.setCondition(NodeClaims.INSTANCE_TERMINATING, "True", "InstanceTerminating", "");
        Writes.patchStatus(ctx, claim, statusOnly(r.claim()));
      }
      return DeleteControl.noFinalizerRemoval()
          .rescheduleAfter(w.instanceTerminating() ? INSTANCE_TERMINATION_POLL : TERMINATION_POLL);
    }
    launch.forget(claim);
    LOG.info(
        "deleted NodeClaim {} (NodePool {}, reason {})",
        claim.getMetadata().getName(),
        pool(claim),
        ((Termination.Step.Done) step).reason());
    return DeleteControl.defaultDelete();
  }

  private static NodeClaim statusOnly(NodeClaim claim) {
    NodeClaim fresh = new NodeClaim();
    fresh.getMetadata().setName(claim.getMetadata().getName());
    fresh.setStatus(claim.getStatus());
    return fresh;
  }

  private static String pool(NodeClaim c) {
    String p = NodeClaims.nodePool(c);
    return p == null ? "" : p;
  }
}
