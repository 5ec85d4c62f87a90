package dev.karpenter.node.termination;

import dev.karpenter.disruption.decision.PodBlockers;
import dev.karpenter.events.EventRecorder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.function.Supplier;

/**
 * Tells the owner of a pod whose {@code karpenter.sh/do-not-disrupt} value is not {@code "true"} or
 * a positive duration that it is ignored (the pod is not protected), with a Warning event on the
 * pod, as upstream does when it reads the annotation. The operator runs {@link #sweep} on the
 * leader every few seconds; the event recorder's de-duplication keeps it to one event per pod and
 * value every few minutes.
 */
public final class DoNotDisruptWarnings {
  public static final String REASON = "InvalidDoNotDisrupt";

  private final Supplier<List<Pod>> pods;
  private final EventRecorder events;

  public DoNotDisruptWarnings(Supplier<List<Pod>> pods, EventRecorder events) {
    this.pods = pods;
    this.events = events;
  }

  /** Emits the warning for every pod with an invalid value; returns how many there are. */
  public int sweep() {
    int invalid = 0;
    for (Pod p : pods.get()) {
      String problem = PodBlockers.invalidDoNotDisrupt(p);
      if (problem != null) {
        invalid++;
        events.warning(p, REASON, problem);
      }
    }
    return invalid;
  }
}
