package dev.karpenter.node.termination;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.state.Writes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node termination under the Node's {@code karpenter.sh/termination} finalizer (on the Nodes of
 * NodePools): when the Node is deleted (the NodeClaim finalizer does that), cordon it ({@code
 * karpenter.sh/disrupted:NoSchedule}, unschedulable, excluded from load balancers) and drain it
 * through the Eviction API (the apiserver enforces PodDisruptionBudgets; pods annotated {@code
 * karpenter.sh/do-not-disrupt} are not evicted and block the drain until they finish or the claim's
 * terminationGracePeriod elapses, after which everything is deleted). Drained, the finalizer goes
 * and the Node with it.
 */
public final class NodeTerminationReconciler implements Reconciler<Node>, Cleaner<Node> {
  public static final String NAME = "node.termination";
  private static final Logger LOG = LoggerFactory.getLogger(NodeTerminationReconciler.class);
  private static final long RECHECK_MS = 1000;

  private final KubernetesClient client;
  private final ClusterState state;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Clock clock;

  public NodeTerminationReconciler(
      KubernetesClient client,
      ClusterState state,
      EventRecorder events,
      KarpenterMetrics metrics,
      Clock clock) {
    this.client = client;
    this.state = state;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public UpdateControl<Node> reconcile(Node node, Context<Node> ctx) {
    return UpdateControl.noUpdate();
  }

  @Override
  public DeleteControl cleanup(Node node, Context<Node> ctx) {
    String pid = node.getSpec() == null ? null : node.getSpec().getProviderID();
    Optional<NodeClaim> claim = pid == null ? Optional.empty() : state.nodeClaimByProviderId(pid);
    cordon(node);
    List<Pod> blocking = drain(claim.orElse(null), node);
    CrashPoints.reached(CrashPoints.DRAIN);
    if (!blocking.isEmpty()) {
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK_MS);
    }
    String pool = label(node, Labels.NODEPOOL);
    metrics.nodeDrained(pool);
    metrics.nodeTerminated(pool, label(node, Labels.ZONE));
    LOG.info("node {} drained (NodePool {})", node.getMetadata().getName(), pool);
    // Removed here, reading the Node from the API server on each conflict: JOSDK's own removal
    // retries against its informer cache, which lags a Node that its kubelet and
    // kube-controller-manager keep writing, and gave up after 10 conflicts in the soak.
    Writes.edit(
        client,
        node,
        n -> {
          List<String> kept =
              new ArrayList<>(
                  n.getMetadata().getFinalizers() == null
                      ? List.of()
                      : n.getMetadata().getFinalizers());
          kept.remove(NodeClaims.FINALIZER);
          n.getMetadata().setFinalizers(kept);
          return n;
        });
    return DeleteControl.noFinalizerRemoval();
  }

  private void cordon(Node n) {
    boolean tainted =
        n.getSpec().getTaints() != null
            && n.getSpec().getTaints().stream()
                .anyMatch(t -> Labels.DISRUPTED_TAINT_KEY.equals(t.getKey()));
    if (tainted && Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
      return;
    }
    Writes.edit(
        client,
        n,
        x -> {
          List<Taint> taints =
              x.getSpec().getTaints() == null
                  ? new ArrayList<>()
                  : new ArrayList<>(x.getSpec().getTaints());
          if (taints.stream().noneMatch(t -> Labels.DISRUPTED_TAINT_KEY.equals(t.getKey()))) {
            taints.add(disruptedTaint());
          }
          x.getSpec().setTaints(taints);
          x.getSpec().setUnschedulable(true);
          Map<String, String> labels =
              x.getMetadata().getLabels() == null
                  ? new LinkedHashMap<>()
                  : new LinkedHashMap<>(x.getMetadata().getLabels());
          labels.put(Labels.EXCLUDE_FROM_EXTERNAL_LOAD_BALANCERS, "karpenter");
          x.getMetadata().setLabels(labels);
          return x;
        });
  }

  private static Taint disruptedTaint() {
    return new Taint("NoSchedule", Labels.DISRUPTED_TAINT_KEY, null, null);
  }

  /** Evicts what may be evicted; returns the pods still on the node. */
  private List<Pod> drain(NodeClaim claim, Node n) {
    List<Pod> remaining = new ArrayList<>();
    Instant deadline = claim == null ? null : deadline(claim);
    boolean pastDeadline = deadline != null && clock.instant().isAfter(deadline);
    Taint disrupted = disruptedTaint();
    for (Pod p : state.podsOn(n.getMetadata().getName())) {
      if (isDaemonOrStatic(p) || Pods.tolerates(p.getSpec().getTolerations(), disrupted)) {
        continue;
      }
      remaining.add(p);
      if (p.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      String ns = p.getMetadata().getNamespace();
      String name = p.getMetadata().getName();
      if (pastDeadline) {
        client.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
        continue;
      }
      if (doNotDisrupt(p)) {
        events.normal(
            p,
            "Disrupting",
            "Waiting on pod with "
                + Labels.DO_NOT_DISRUPT
                + " to finish before draining node "
                + n.getMetadata().getName());
        continue;
      }
      try {
        boolean evicted = client.pods().inNamespace(ns).withName(name).evict();
        metrics.evictionRequest(evicted ? "200" : "429");
        if (evicted) {
          events.normal(p, "Evicted", "Evicted pod: draining node " + n.getMetadata().getName());
        } else {
          events.warning(
              p,
              "FailedDraining",
              "Failed to evict pod: a PodDisruptionBudget does not allow it yet");
        }
      } catch (KubernetesClientException e) {
        metrics.evictionRequest(String.valueOf(e.getCode()));
        LOG.debug("evicting {}/{}: {}", ns, name, e.getMessage());
      }
    }
    if (!remaining.isEmpty()) {
      HasMetadata subject = claim == null ? n : claim;
      events.normal(
          subject,
          "Draining",
          "Draining node " + n.getMetadata().getName() + ": " + remaining.size() + " pods left");
    }
    return remaining;
  }

  private static Instant deadline(NodeClaim claim) {
    String tgp = claim.getSpec().terminationGracePeriod();
    if (tgp == null || claim.getMetadata().getDeletionTimestamp() == null) {
      return null;
    }
    try {
      return Instant.parse(claim.getMetadata().getDeletionTimestamp()).plus(parseGoDuration(tgp));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Parses Go durations such as {@code 1h30m}, {@code 90s}. */
  static Duration parseGoDuration(String s) {
    Duration d = Duration.ZERO;
    var m = java.util.regex.Pattern.compile("(\\d+)(h|m|s)").matcher(s);
    while (m.find()) {
      long v = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "h" -> d.plusHours(v);
            case "m" -> d.plusMinutes(v);
            default -> d.plusSeconds(v);
          };
    }
    return d;
  }

  private static boolean isDaemonOrStatic(Pod p) {
    return p.getMetadata().getOwnerReferences() != null
        && p.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> "DaemonSet".equals(o.getKind()) || "Node".equals(o.getKind()));
  }

  static boolean doNotDisrupt(Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a != null && "true".equals(a.get(Labels.DO_NOT_DISRUPT));
  }

  private static String label(Node n, String key) {
    return n.getMetadata().getLabels() == null
        ? ""
        : n.getMetadata().getLabels().getOrDefault(key, "");
  }
}
