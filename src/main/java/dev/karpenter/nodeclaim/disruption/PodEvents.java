package dev.karpenter.nodeclaim.disruption;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.state.ClusterState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upstream's nodeclaim.podevents controller: a pod bound to a node (its {@code PodScheduled=True}
 * transition) or leaving it (terminal, terminating or deleted) moves the node's NodeClaim {@code
 * status.lastPodEventTime}, from which {@code consolidateAfter} counts. Fed by the cluster state's
 * pod informer; writes only while this replica leads, coalescing bursts per node, and never moves
 * the time backwards.
 */
public final class PodEvents implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PodEvents.class);

  private final KubernetesClient client;
  private final ClusterState state;
  private final Clock clock;
  private final AtomicBoolean active = new AtomicBoolean();
  private final Map<String, Instant> pending = new ConcurrentHashMap<>();
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "nodeclaim-podevents");
            t.setDaemon(true);
            return t;
          });

  public PodEvents(KubernetesClient client, ClusterState state, Clock clock) {
    this.client = client;
    this.state = state;
    this.clock = clock;
  }

  /**
   * The pod event time a change means for its node: {@code previous} null on add, {@code current}
   * null on delete. Empty for unbound and DaemonSet pods and for changes that are no pod event.
   */
  public static Optional<Instant> eventTime(Pod previous, Pod current, Instant now) {
    Pod p = current != null ? current : previous;
    if (p == null || p.getSpec() == null || nodeName(p) == null || daemon(p)) {
      return Optional.empty();
    }
    if (current == null) {
      return leaving(previous) ? Optional.empty() : Optional.of(now);
    }
    if (previous != null && leaving(current) && !leaving(previous)) {
      return Optional.of(now);
    }
    if (leaving(current)) {
      return Optional.empty();
    }
    Instant scheduled = scheduledAt(current);
    if (scheduled != null && (previous == null || !scheduled.equals(scheduledAt(previous)))) {
      return Optional.of(scheduled);
    }
    return Optional.empty();
  }

  /** Called by the informer (any thread); the write happens on this class's own thread. */
  public void observe(Pod previous, Pod current) {
    if (!active.get()) {
      return;
    }
    Pod p = current != null ? current : previous;
    Optional<Instant> t = eventTime(previous, current, clock.instant());
    if (t.isEmpty()) {
      return;
    }
    pending.merge(nodeName(p), t.get(), (a, b) -> a.isAfter(b) ? a : b);
    writer.execute(this::flush);
  }

  /** Starts writing (on becoming leader), first catching up on the pods bound meanwhile. */
  public void start() {
    active.set(true);
    for (Pod p : state.pods()) {
      observe(null, p);
    }
  }

  public void stop() {
    active.set(false);
    pending.clear();
  }

  private void flush() {
    for (String node : pending.keySet()) {
      Instant t = pending.remove(node);
      if (t == null) {
        continue;
      }
      try {
        write(node, t);
      } catch (KubernetesClientException e) {
        LOG.debug("node {}: lastPodEventTime not written: {}", node, e.toString());
      }
    }
  }

  private void write(String nodeName, Instant t) {
    Optional<Node> node = state.node(nodeName);
    String pid =
        node.map(n -> n.getSpec() == null ? null : n.getSpec().getProviderID()).orElse(null);
    Optional<NodeClaim> claim = state.nodeClaimByProviderId(pid);
    if (claim.isEmpty() || claim.get().getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    String stored =
        claim.get().getStatus() == null ? null : claim.get().getStatus().getLastPodEventTime();
    Instant time = t.truncatedTo(ChronoUnit.SECONDS);
    if (stored != null && !ClaimConditions.instant(stored).isBefore(time)) {
      return;
    }
    client
        .resources(NodeClaim.class)
        .withName(claim.get().getMetadata().getName())
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"status\":{\"lastPodEventTime\":\"" + time + "\"}}");
    LOG.debug(
        "NodeClaim {} (node {}): lastPodEventTime {}",
        claim.get().getMetadata().getName(),
        nodeName,
        time);
  }

  private static String nodeName(Pod p) {
    String n = p.getSpec() == null ? null : p.getSpec().getNodeName();
    return n == null || n.isEmpty() ? null : n;
  }

  private static boolean daemon(Pod p) {
    return p.getMetadata().getOwnerReferences() != null
        && p.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> "DaemonSet".equals(o.getKind()));
  }

  private static boolean leaving(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return p.getMetadata().getDeletionTimestamp() != null
        || "Succeeded".equals(phase)
        || "Failed".equals(phase);
  }

  private static Instant scheduledAt(Pod p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return null;
    }
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType()) && "True".equals(c.getStatus())) {
        return ClaimConditions.instant(c.getLastTransitionTime());
      }
    }
    return null;
  }

  @Override
  public void close() {
    stop();
    writer.shutdownNow();
  }
}
