package dev.karpenter.state;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per node, the last time a pod was bound to it or left it (deleted, or finished), as this process
 * saw it: the quiet period {@code consolidateAfter} counts from there.
 */
public final class PodEvents {
  private final Clock clock;
  private final Map<String, Instant> last = new ConcurrentHashMap<>();

  public PodEvents(ClusterState state, Clock clock) {
    this.clock = clock;
    state.onPodChange(this::changed);
  }

  void changed(Pod old, Pod now) {
    if (old == null) {
      // An add is a pod already bound when the informer lists it (or created bound): it arrived
      // when it started, not when this process first saw it.
      String n = active(now) ? node(now) : null;
      Instant at = started(now);
      if (n != null && at != null) {
        last.merge(n, at, (a, b) -> a.isAfter(b) ? a : b);
      }
      return;
    }
    String before = active(old) ? node(old) : null;
    String after = active(now) ? node(now) : null;
    if (before != null && !before.equals(after)) {
      last.put(before, clock.instant());
    }
    if (after != null && !after.equals(before)) {
      last.put(after, clock.instant());
    }
  }

  /** The last pod event on {@code node} seen by this process. */
  public Optional<Instant> lastEvent(String node) {
    return Optional.ofNullable(last.get(node));
  }

  /** Forgets a node that is gone. */
  public void forget(String node) {
    last.remove(node);
  }

  private static Instant started(Pod p) {
    String s =
        p.getStatus() != null && p.getStatus().getStartTime() != null
            ? p.getStatus().getStartTime()
            : p.getMetadata().getCreationTimestamp();
    return DisruptionInputs.instant(s);
  }

  private static String node(Pod p) {
    String n = p.getSpec() == null ? null : p.getSpec().getNodeName();
    return n == null || n.isEmpty() ? null : n;
  }

  private static boolean active(Pod p) {
    if (p == null || p.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }
}
