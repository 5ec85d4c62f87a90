package dev.karpenter.node.termination;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The termination path of a deleted NodeClaim: cordon the node (unschedulable and {@code
 * karpenter.sh/disrupted:NoSchedule}), drain it through the Eviction API (the apiserver enforces
 * PodDisruptionBudgets; pods annotated {@code karpenter.sh/do-not-disrupt} are not evicted and
 * block the drain until they finish or the claim's terminationGracePeriod elapses), then terminate
 * the instance, after which the finalizer is removed.
 */
public final class Terminator {
  public static final String DISRUPTED_TAINT = "karpenter.sh/disrupted";
  private static final Logger LOG = LoggerFactory.getLogger(Terminator.class);
  private static final long RECHECK_MS = 1000;

  private final KubernetesClient client;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  private final Map<String, String> reasons = new ConcurrentHashMap<>();

  public Terminator(
      KubernetesClient client,
      ClusterState state,
      CloudProvider cloud,
      EventRecorder events,
      KarpenterMetrics metrics,
      Clock clock) {
    this.client = client;
    this.state = state;
    this.cloud = cloud;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Records why a claim is being deleted, for the terminated metric's reason label. */
  public void reason(NodeClaim claim, String reason) {
    reasons.put(claim.getMetadata().getName(), reason);
  }

  public DeleteControl terminate(NodeClaim claim) {
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    Optional<Node> node = pid == null ? Optional.empty() : state.nodeByProviderId(pid);
    if (node.isPresent()) {
      Node n = node.get();
      cordon(n);
      List<Pod> blocking = drain(claim, n);
      if (!blocking.isEmpty()) {
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(RECHECK_MS);
      }
      metrics.nodeDrained(nodePool(claim));
    }
    if (pid != null) {
      try {
        cloud.delete(claim);
        events.normal(claim, "InstanceTerminating", "Terminated instance " + pid);
      } catch (CloudProviderException.NodeClaimNotFound e) {
        LOG.debug("instance of {} already gone", claim.getMetadata().getName());
      }
      node.ifPresent(
          n -> {
            metrics.nodeTerminated(nodePool(claim), label(n, Labels.ZONE));
            try {
              client.nodes().withName(n.getMetadata().getName()).delete();
            } catch (KubernetesClientException e) {
              LOG.debug("node {} delete: {}", n.getMetadata().getName(), e.getMessage());
            }
          });
    }
    String reason = reasons.remove(claim.getMetadata().getName());
    Map<String, String> labels =
        claim.getMetadata().getLabels() == null ? Map.of() : claim.getMetadata().getLabels();
    metrics.nodeClaimTerminated(
        nodePool(claim),
        reason == null ? "Deleted" : reason,
        labels.getOrDefault(Labels.CAPACITY_TYPE, ""),
        labels.getOrDefault(Labels.ZONE, ""));
    return DeleteControl.defaultDelete();
  }

  private void cordon(Node n) {
    boolean tainted =
        n.getSpec().getTaints() != null
            && n.getSpec().getTaints().stream().anyMatch(t -> DISRUPTED_TAINT.equals(t.getKey()));
    if (tainted && Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
      return;
    }
    client
        .nodes()
        .withName(n.getMetadata().getName())
        .edit(
            x -> {
              List<Taint> taints =
                  x.getSpec().getTaints() == null
                      ? new ArrayList<>()
                      : new ArrayList<>(x.getSpec().getTaints());
              if (taints.stream().noneMatch(t -> DISRUPTED_TAINT.equals(t.getKey()))) {
                taints.add(new Taint("NoSchedule", DISRUPTED_TAINT, null, null));
              }
              x.getSpec().setTaints(taints);
              x.getSpec().setUnschedulable(true);
              x.getMetadata()
                  .getLabels()
                  .put("node.kubernetes.io/exclude-from-external-load-balancers", "karpenter");
              return x;
            });
  }

  /** Evicts what may be evicted; returns the pods still on the node. */
  private List<Pod> drain(NodeClaim claim, Node n) {
    List<Pod> remaining = new ArrayList<>();
    Instant deadline = deadline(claim);
    boolean pastDeadline = deadline != null && clock.instant().isAfter(deadline);
    Taint disrupted = new Taint("NoSchedule", DISRUPTED_TAINT, null, null);
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
            "Waiting on pod with karpenter.sh/do-not-disrupt to finish before draining node "
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
      events.normal(
          claim,
          "Draining",
          "Draining node " + n.getMetadata().getName() + ": " + remaining.size() + " pods left");
    }
    return remaining;
  }

  private Instant deadline(NodeClaim claim) {
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
    return a != null && "true".equals(a.get("karpenter.sh/do-not-disrupt"));
  }

  private static String nodePool(NodeClaim c) {
    String p = NodeClaims.nodePool(c);
    return p == null ? "" : p;
  }

  private static String label(Node n, String key) {
    return n.getMetadata().getLabels() == null
        ? ""
        : n.getMetadata().getLabels().getOrDefault(key, "");
  }
}
