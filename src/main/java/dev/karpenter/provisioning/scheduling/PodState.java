package dev.karpenter.provisioning.scheduling;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A pending pod and what is still asked of it. Preferences start out as requirements, as in
 * Karpenter, and {@link #relax()} drops them one at a time in Karpenter's order.
 */
final class PodState {
  final Pod pod;
  final String key;
  final String namespace;
  final Map<String, String> labels;
  final long[] requests;
  final long cpu;
  final long memory;
  final List<Toleration> tolerations;
  final List<String> hostPorts;
  final String created;

  private final Requirements nodeSelector;
  private final List<Requirements> requiredTerms = new ArrayList<>();
  private final List<Requirements> eligibility = new ArrayList<>();
  private int term;
  private final List<Requirements> preferredNode = new ArrayList<>();
  final List<PodAffinityTerm> requiredAffinity;
  final List<PodAffinityTerm> requiredAntiAffinity;
  final List<PodAffinityTerm> preferredAffinity = new ArrayList<>();
  final List<PodAffinityTerm> preferredAntiAffinity = new ArrayList<>();
  final List<TopologySpreadConstraint> spreads = new ArrayList<>();
  boolean toleratePreferNoSchedule;
  private Requirements volumes = Requirements.NONE;
  private Requirements volumesBase = Requirements.NONE;
  List<String> unboundClaims = List.of();
  private Requirements current;
  List<Topology.Constraint> constraints;
  List<Topology.Group> matchedBy;
  List<String> keys;
  List<Topology.Constraint> keysFor;

  PodState(Pod pod, ResourceIndex index, boolean ignorePreferences) {
    this.pod = pod;
    String ns = pod.getMetadata().getNamespace();
    this.namespace = ns == null || ns.isEmpty() ? "default" : ns;
    this.key = namespace + "/" + pod.getMetadata().getName();
    this.labels =
        pod.getMetadata().getLabels() == null
            ? Map.of()
            : Map.copyOf(pod.getMetadata().getLabels());
    PodSpec spec = pod.getSpec();
    dev.karpenter.scheduling.Resources r = Pods.requests(spec);
    this.requests = index.vector(r);
    this.cpu = r.get("cpu");
    this.memory = r.get("memory");
    this.tolerations = Pods.nullSafe(spec.getTolerations());
    this.hostPorts = Pods.hostPorts(spec);
    this.created =
        pod.getMetadata().getCreationTimestamp() == null
            ? ""
            : pod.getMetadata().getCreationTimestamp();
    this.nodeSelector =
        spec.getNodeSelector() == null
            ? Requirements.NONE
            : Requirements.fromLabels(spec.getNodeSelector());
    Affinity a = spec.getAffinity();
    List<PodAffinityTerm> reqAff = List.of();
    List<PodAffinityTerm> reqAnti = List.of();
    if (a != null && a.getNodeAffinity() != null) {
      var na = a.getNodeAffinity();
      if (na.getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
        for (NodeSelectorTerm t :
            Pods.nullSafe(
                na.getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms())) {
          requiredTerms.add(Pods.term(t));
        }
      }
      if (!ignorePreferences) {
        List<PreferredSchedulingTerm> pref =
            new ArrayList<>(Pods.nullSafe(na.getPreferredDuringSchedulingIgnoredDuringExecution()));
        pref.sort(Comparator.comparingInt((PreferredSchedulingTerm p) -> -p.getWeight()));
        for (PreferredSchedulingTerm p : pref) {
          preferredNode.add(Pods.term(p.getPreference()));
        }
      }
    }
    if (a != null && a.getPodAffinity() != null) {
      reqAff =
          Pods.nullSafe(a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution());
      if (!ignorePreferences) {
        preferredAffinity.addAll(
            byWeight(a.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution()));
      }
    }
    if (a != null && a.getPodAntiAffinity() != null) {
      reqAnti =
          Pods.nullSafe(a.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution());
      if (!ignorePreferences) {
        preferredAntiAffinity.addAll(
            byWeight(a.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution()));
      }
    }
    this.requiredAffinity = List.copyOf(reqAff);
    this.requiredAntiAffinity = List.copyOf(reqAnti);
    for (TopologySpreadConstraint c : Pods.nullSafe(spec.getTopologySpreadConstraints())) {
      if (ignorePreferences && "ScheduleAnyway".equals(c.getWhenUnsatisfiable())) {
        continue;
      }
      spreads.add(c);
    }
    if (requiredTerms.isEmpty()) {
      requiredTerms.add(Requirements.NONE);
    }
    for (Requirements t : requiredTerms) {
      eligibility.add(nodeSelector.and(t));
    }
    recompute();
  }

  private static List<PodAffinityTerm> byWeight(List<WeightedPodAffinityTerm> terms) {
    List<WeightedPodAffinityTerm> sorted = new ArrayList<>(Pods.nullSafe(terms));
    sorted.sort(Comparator.comparingInt((WeightedPodAffinityTerm w) -> -w.getWeight()));
    List<PodAffinityTerm> out = new ArrayList<>();
    for (WeightedPodAffinityTerm w : sorted) {
      out.add(w.getPodAffinityTerm());
    }
    return out;
  }

  /**
   * Adds the node requirements of the pod's volumes: to where the pod may run, not to the domains
   * its topology spread counts (as Karpenter).
   */
  void volumeRequirements(Requirements r) {
    volumes = r;
    volumesBase = r;
    recompute();
  }

  /**
   * The zone the volumes of the pod's unbound claims go to, once another pod mounting them was
   * placed (null: not decided yet).
   */
  void pinZone(String zone) {
    Requirements r =
        zone == null ? volumesBase : volumesBase.with(Requirement.in(Labels.ZONE, zone));
    if (!r.equals(volumes)) {
      volumes = r;
      recompute();
    }
  }

  private void recompute() {
    Requirements r = nodeSelector.and(requiredTerms.get(term)).and(volumes);
    if (!preferredNode.isEmpty()) {
      r = r.and(preferredNode.get(0));
    }
    current = r;
    constraints = null;
  }

  /** nodeSelector, the required term being tried and the heaviest remaining preference. */
  Requirements requirements() {
    return current;
  }

  /**
   * nodeSelector with each OR-ed required term: a node matching any of them is eligible (for
   * counting spread domains, as kube-scheduler's nodeAffinityPolicy Honor), whichever term the pod
   * is being tried with.
   */
  List<Requirements> eligibility() {
    return eligibility;
  }

  /**
   * Starts the OR-ed required terms over from the first, keeping what was relaxed otherwise: a pod
   * retried in a later pass tries every term again.
   */
  void restartTerms() {
    if (term != 0) {
      term = 0;
      recompute();
    }
  }

  boolean hasTopology() {
    return !requiredAffinity.isEmpty()
        || !requiredAntiAffinity.isEmpty()
        || !preferredAffinity.isEmpty()
        || !preferredAntiAffinity.isEmpty()
        || !spreads.isEmpty();
  }

  /**
   * The next thing to try, or null when nothing is left: first the pod's next OR-ed required term
   * under the same preferences, then, with every term tried, one preference dropped in Karpenter's
   * order and the terms tried again from the first. Karpenter drops a failing term for good before
   * it relaxes any preference, so a pod whose first term fits only with its preference relaxed is
   * never tried with that term once the preference is gone; kube-scheduler accepts a node matching
   * any term, so every term is tried at every level of relaxation here.
   */
  String relax() {
    if (term + 1 < requiredTerms.size()) {
      term++;
      recompute();
      return "required node affinity term";
    }
    String relaxed = relaxPreference();
    if (relaxed != null && term != 0) {
      term = 0;
      recompute();
    }
    return relaxed;
  }

  private String relaxPreference() {
    if (!preferredAffinity.isEmpty()) {
      preferredAffinity.remove(0);
      constraints = null;
      return "preferred pod affinity";
    }
    if (!preferredAntiAffinity.isEmpty()) {
      preferredAntiAffinity.remove(0);
      constraints = null;
      return "preferred pod anti-affinity";
    }
    if (!preferredNode.isEmpty()) {
      preferredNode.remove(0);
      recompute();
      return "preferred node affinity";
    }
    for (int i = 0; i < spreads.size(); i++) {
      if ("ScheduleAnyway".equals(spreads.get(i).getWhenUnsatisfiable())) {
        spreads.remove(i);
        constraints = null;
        return "ScheduleAnyway topology spread";
      }
    }
    if (!toleratePreferNoSchedule) {
      toleratePreferNoSchedule = true;
      return "PreferNoSchedule taints";
    }
    return null;
  }
}
