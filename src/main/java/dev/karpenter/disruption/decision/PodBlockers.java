package dev.karpenter.disruption.decision;

import dev.karpenter.scheduling.Pods;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What about a pod keeps its node from being voluntarily disrupted. */
public final class PodBlockers {
  public static final String DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";

  /**
   * NodePool annotation: {@code "false"} lets consolidation disrupt pods of running Jobs (by
   * default it does not; beyond upstream, karpenter#701).
   */
  public static final String PROTECT_RUNNING_JOBS = "disruption.karpenter.dev/protect-running-jobs";

  /**
   * NodePool annotation: a label selector ({@code team=ml,tier!=batch,training}) of pods that
   * consolidation must not disrupt, opt-in.
   */
  public static final String PROTECTED_PODS = "disruption.karpenter.dev/protected-pods";

  private final Map<String, List<PodDisruptionBudget>> pdbsByNamespace = new HashMap<>();

  public PodBlockers(List<PodDisruptionBudget> pdbs) {
    for (PodDisruptionBudget p : pdbs) {
      pdbsByNamespace
          .computeIfAbsent(p.getMetadata().getNamespace(), k -> new ArrayList<>())
          .add(p);
    }
  }

  static String key(Pod p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  /**
   * A pod that has to move when its node goes: not terminal, not a DaemonSet or static (mirror)
   * pod.
   */
  public static boolean reschedulable(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return false;
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    Map<String, String> a = p.getMetadata().getAnnotations();
    if (a != null && a.containsKey("kubernetes.io/config.mirror")) {
      return false;
    }
    for (OwnerReference o : Pods.nullSafe(p.getMetadata().getOwnerReferences())) {
      if ("DaemonSet".equals(o.getKind()) || "Node".equals(o.getKind())) {
        return false;
      }
    }
    return true;
  }

  /** The do-not-disrupt or PDB blocker of a pod, or null. */
  public String blocker(Pod p, Instant now) {
    String dnd = doNotDisrupt(p, now);
    if (dnd != null) {
      return dnd;
    }
    return pdb(p);
  }

  static String doNotDisrupt(Pod p, Instant now) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(DO_NOT_DISRUPT);
    if (v == null) {
      return null;
    }
    if (v.equals("true")) {
      return "pod " + key(p) + " has " + DO_NOT_DISRUPT + "=true";
    }
    try {
      Duration d = GoDuration.parse(v);
      Instant start = startOf(p);
      if (start == null || start.plus(d).isAfter(now)) {
        return "pod "
            + key(p)
            + " has "
            + DO_NOT_DISRUPT
            + "="
            + v
            + (start == null ? "" : " (until " + start.plus(d) + ")");
      }
      return null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Why the pod's {@code karpenter.sh/do-not-disrupt} value is ignored, in upstream's words, or
   * null when it is absent, {@code "true"} or a positive Go duration. Like upstream, an invalid
   * value ({@code "soon"}, {@code "0s"}, {@code "-5m"}) does not protect the pod: {@link #blocker}
   * treats it as absent, and the operator reports it as an event on the pod.
   */
  public static String invalidDoNotDisrupt(Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(DO_NOT_DISRUPT);
    if (v == null || v.equals("true")) {
      return null;
    }
    Duration d;
    try {
      d = GoDuration.parse(v);
    } catch (IllegalArgumentException e) {
      return "Invalid "
          + DO_NOT_DISRUPT
          + " annotation: failed to parse \""
          + v
          + "\" as a duration, ignoring annotation";
    }
    if (d.isNegative() || d.isZero()) {
      return "Invalid "
          + DO_NOT_DISRUPT
          + " annotation: duration \""
          + v
          + "\" must be positive, ignoring annotation";
    }
    return null;
  }

  private static Instant startOf(Pod p) {
    String t =
        p.getStatus() != null && p.getStatus().getStartTime() != null
            ? p.getStatus().getStartTime()
            : p.getMetadata().getCreationTimestamp();
    try {
      return t == null ? null : Instant.parse(t);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  String pdb(Pod p) {
    List<PodDisruptionBudget> matching = new ArrayList<>();
    Map<String, String> labels =
        p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
    for (PodDisruptionBudget b :
        pdbsByNamespace.getOrDefault(p.getMetadata().getNamespace(), List.of())) {
      LabelSelector s = b.getSpec() == null ? null : b.getSpec().getSelector();
      // An empty selector selects every pod of the namespace; a null one selects none.
      if (s != null && Pods.selects(s, labels)) {
        matching.add(b);
      }
    }
    if (matching.size() > 1) {
      return "pod "
          + key(p)
          + " is under "
          + matching.size()
          + " PDBs ("
          + String.join(", ", matching.stream().map(b -> b.getMetadata().getName()).toList())
          + "); the Eviction API cannot evict it";
    }
    if (matching.size() == 1) {
      PodDisruptionBudget b = matching.get(0);
      Integer allowed = b.getStatus() == null ? null : b.getStatus().getDisruptionsAllowed();
      if (allowed == null || allowed <= 0) {
        return "PDB "
            + b.getMetadata().getNamespace()
            + "/"
            + b.getMetadata().getName()
            + " allows no disruption of pod "
            + key(p);
      }
    }
    return null;
  }

  /** A running Job's pod or a protected pod, which consolidation leaves alone; null if none. */
  static String workload(Pod p, boolean protectJobs, Map<String, String> selector) {
    if (protectJobs) {
      for (OwnerReference o : Pods.nullSafe(p.getMetadata().getOwnerReferences())) {
        if ("Job".equals(o.getKind())) {
          return "pod " + key(p) + " belongs to running Job " + o.getName();
        }
      }
    }
    if (selector != null && LabelSelectors.matches(selector, p.getMetadata().getLabels())) {
      return "pod " + key(p) + " matches the NodePool's " + PROTECTED_PODS + " selector";
    }
    return null;
  }
}
