package dev.karpenter.oracle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The properties of a plan that need no cluster: each claim's options agree with the claim, every
 * pod on a claim is launchable on every option, existing-node placements fit, DoNotSchedule spread
 * holds over the nodes the plan would create, and no pod called unschedulable fits a NodePool's
 * cheapest compatible type.
 */
final class PlanChecks {
  // Labels of a plan that describe the option that launches, not a constraint on every option.
  private static final Set<String> LAUNCH_LABELS =
      Set.of(Labels.HOSTNAME, Labels.ZONE, Labels.CAPACITY_TYPE, Labels.INSTANCE_TYPE);

  private final Map<String, InstanceType> types;

  PlanChecks(List<InstanceType> types) {
    this.types = new HashMap<>();
    for (InstanceType t : types) {
      this.types.put(t.name(), t);
    }
  }

  InstanceType type(String name) {
    return types.get(name);
  }

  /**
   * A node that the plan would have: an existing one or a claim launched as its cheapest option.
   */
  record PlannedNode(
      String name, Map<String, String> labels, List<Taint> taints, Map<String, Long> allocatable) {}

  /** A pod called unschedulable and the node of a NodePool it fits. */
  record Candidate(Pod pod, SchedulingNodePool pool, InstanceType type, Offering offering) {}

  static String claimName(Workload w, int i) {
    return w.tag() + "-c" + i;
  }

  static String key(Pod p) {
    return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
  }

  SchedulingNodePool pool(Workload w, String name) {
    for (SchedulingNodePool p : w.pools()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new IllegalStateException("plan names an unknown NodePool " + name);
  }

  /** Labels of a node launched for {@code claim} as {@code t} in offering {@code o}. */
  Map<String, String> labels(
      Workload w, NodeClaimPlan claim, InstanceType t, Offering o, String name) {
    Map<String, String> l = new LinkedHashMap<>(claim.labels());
    l.putAll(WorkloadGenerator.nodeLabels(t, o, pool(w, claim.nodePool()), name));
    return l;
  }

  static Offering offering(InstanceType t, String zone, String capacityType) {
    for (Offering o : t.offerings()) {
      if (o.zone().equals(zone) && o.capacityType().equals(capacityType)) {
        return o;
      }
    }
    return null;
  }

  List<PlannedNode> plannedNodes(Workload w, SchedulingResult r) {
    List<PlannedNode> out = new ArrayList<>();
    for (ExistingNode n : w.nodes()) {
      out.add(new PlannedNode(n.name(), n.labels(), n.taints(), n.allocatable().milli()));
    }
    for (int i = 0; i < r.nodeClaims().size(); i++) {
      NodeClaimPlan c = r.nodeClaims().get(i);
      InstanceType t = types.get(c.instanceType());
      Offering o = offering(t, c.zone(), c.capacityType());
      String name = claimName(w, i);
      out.add(new PlannedNode(name, labels(w, c, t, o, name), c.taints(), t.allocatable().milli()));
    }
    return out;
  }

  List<Violation> check(Workload w, SchedulingResult r) {
    List<Violation> v = new ArrayList<>();
    Map<String, Pod> pods = new LinkedHashMap<>();
    for (Pod p : w.pods()) {
      pods.put(key(p), p);
    }
    Set<String> accounted = new HashSet<>(r.unschedulable().keySet());
    r.nodeClaims().forEach(c -> accounted.addAll(c.pods()));
    r.existingNodes().values().forEach(accounted::addAll);
    for (String k : pods.keySet()) {
      if (!accounted.contains(k)) {
        v.add(new Violation("pod-lost", k + " is neither placed nor unschedulable"));
      }
    }
    for (int i = 0; i < r.nodeClaims().size(); i++) {
      checkClaim(w, r.nodeClaims().get(i), claimName(w, i), pods, v);
    }
    for (ExistingNode n : w.nodes()) {
      List<String> placed = r.existingNodes().getOrDefault(n.name(), List.of());
      Map<String, Long> used = new HashMap<>();
      for (Pod p : n.pods()) {
        PodMatch.requests(p.getSpec()).forEach((k, x) -> used.merge(k, x, Long::sum));
      }
      for (String k : placed) {
        Pod p = pods.get(k);
        if (!PodMatch.matchesNode(p.getSpec(), n.labels())
            || !PodMatch.tolerates(p.getSpec().getTolerations(), n.taints())) {
          v.add(new Violation("existing-node-mismatch", k + " placed on " + n.name()));
        }
        PodMatch.requests(p.getSpec()).forEach((x, q) -> used.merge(x, q, Long::sum));
      }
      String over = overflow(used, n.allocatable().milli());
      if (over != null) {
        v.add(new Violation("existing-node-mismatch", n.name() + " overcommitted: " + over));
      }
    }
    checkSpread(w, r, pods, v);
    return v;
  }

  private void checkClaim(
      Workload w, NodeClaimPlan c, String name, Map<String, Pod> pods, List<Violation> v) {
    SchedulingNodePool pool = pool(w, c.nodePool());
    if (!c.instanceTypeOptions().contains(c.instanceType())) {
      v.add(new Violation("launch-not-an-option", name + " launches " + c.instanceType()));
    }
    Requirements claimReq = withoutHostname(c.requirements());
    int reported = 0;
    for (String optionName : c.instanceTypeOptions()) {
      if (reported >= 4) {
        break;
      }
      InstanceType t = types.get(optionName);
      if (t == null || !pool.instanceTypes().contains(t)) {
        v.add(new Violation("option-disagrees", name + ": option " + optionName + " not in pool"));
        reported++;
        continue;
      }
      List<Offering> offerings = new ArrayList<>();
      for (Offering o : t.offerings()) {
        if (o.available()
            && allows(claimReq, Labels.ZONE, o.zone())
            && allows(claimReq, Labels.CAPACITY_TYPE, o.capacityType())) {
          offerings.add(o);
        }
      }
      if (offerings.isEmpty()) {
        v.add(
            new Violation(
                "option-disagrees",
                name + ": option " + optionName + " has no offering the claim allows"));
        reported++;
        continue;
      }
      for (Offering o : offerings) {
        Map<String, String> labels = labels(w, c, t, o, name);
        String why = problem(w, c, t, labels, pods, claimReq);
        if (why != null) {
          String kind = why.substring(0, why.indexOf(':'));
          v.add(
              new Violation(
                  kind,
                  name
                      + " ("
                      + c.nodePool()
                      + ", launches "
                      + c.instanceType()
                      + ") option "
                      + optionName
                      + " in "
                      + o.zone()
                      + "/"
                      + o.capacityType()
                      + why.substring(why.indexOf(':'))));
          reported++;
          break;
        }
      }
    }
  }

  /** Why option {@code t} labelled {@code labels} cannot host the claim, or null. */
  private String problem(
      Workload w,
      NodeClaimPlan c,
      InstanceType t,
      Map<String, String> labels,
      Map<String, Pod> pods,
      Requirements claimReq) {
    for (Requirement req : claimReq.all()) {
      if (!req.matches(labels.get(req.key()))) {
        return "option-disagrees: claim requires "
            + req
            + " but the node has "
            + labels.get(req.key());
      }
    }
    for (Map.Entry<String, String> e : c.labels().entrySet()) {
      String actual = labels.get(e.getKey());
      if (!LAUNCH_LABELS.contains(e.getKey()) && !e.getValue().equals(actual)) {
        return "option-disagrees: claim label "
            + e.getKey()
            + "="
            + e.getValue()
            + " but the node has "
            + actual;
      }
    }
    Map<String, Long> used = new HashMap<>();
    for (DaemonSet d : w.daemonSets()) {
      if (PodMatch.daemonSetFits(d, labels, c.taints())) {
        PodMatch.requests(d.getSpec().getTemplate().getSpec())
            .forEach((k, x) -> used.merge(k, x, Long::sum));
      }
    }
    for (String k : c.pods()) {
      Pod p = pods.get(k);
      if (p == null) {
        return "pod-lost: claim holds unknown pod " + k;
      }
      if (!PodMatch.matchesNode(p.getSpec(), labels)) {
        return "pod-incompatible-option: " + k + " does not match (" + selectorSummary(p) + ")";
      }
      if (!PodMatch.tolerates(p.getSpec().getTolerations(), c.taints())) {
        return "pod-intolerant: " + k + " does not tolerate " + c.taints();
      }
      PodMatch.requests(p.getSpec()).forEach((x, q) -> used.merge(x, q, Long::sum));
    }
    String over = overflow(used, t.allocatable().milli());
    return over == null ? null : "option-too-small: " + over;
  }

  static String selectorSummary(Pod p) {
    StringBuilder sb = new StringBuilder();
    if (p.getSpec().getNodeSelector() != null) {
      sb.append("nodeSelector ").append(p.getSpec().getNodeSelector());
    }
    var a = p.getSpec().getAffinity();
    if (a != null
        && a.getNodeAffinity() != null
        && a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
      sb.append(" required ");
      for (var t :
          a.getNodeAffinity()
              .getRequiredDuringSchedulingIgnoredDuringExecution()
              .getNodeSelectorTerms()) {
        sb.append(
            t.getMatchExpressions().stream()
                .map(e -> e.getKey() + " " + e.getOperator() + " " + e.getValues())
                .toList());
      }
    }
    return sb.toString().strip();
  }

  static String overflow(Map<String, Long> used, Map<String, Long> allocatable) {
    for (Map.Entry<String, Long> e : used.entrySet()) {
      if (e.getValue() > 0 && e.getValue() > allocatable.getOrDefault(e.getKey(), 0L)) {
        return e.getKey()
            + " "
            + e.getValue()
            + "m > "
            + allocatable.getOrDefault(e.getKey(), 0L)
            + "m";
      }
    }
    return null;
  }

  private static boolean allows(Requirements r, String key, String value) {
    Requirement x = r.get(key);
    return x == null || x.matches(value);
  }

  private static Requirements withoutHostname(Requirements r) {
    List<Requirement> l = new ArrayList<>();
    for (Requirement x : r.all()) {
      if (!x.key().equals(Labels.HOSTNAME)) {
        l.add(x);
      }
    }
    return Requirements.of(l);
  }

  /**
   * DoNotSchedule topology spread, as kube-scheduler defines it (nodeAffinityPolicy Honor,
   * nodeTaintsPolicy Ignore): over the nodes the plan would have that match the pod's node
   * selection, the domain of each constrained pod holds at most min + maxSkew matching pods. The
   * pinned copies cannot show this: pinned to one node, a pod sees one domain.
   */
  private void checkSpread(
      Workload w, SchedulingResult r, Map<String, Pod> pods, List<Violation> v) {
    List<PlannedNode> nodes = plannedNodes(w, r);
    Map<String, String> nodeOf = new HashMap<>();
    Map<String, Pod> all = new HashMap<>(pods);
    for (ExistingNode n : w.nodes()) {
      for (Pod p : n.pods()) {
        nodeOf.put(key(p), n.name());
        all.put(key(p), p);
      }
    }
    r.existingNodes().forEach((n, ps) -> ps.forEach(p -> nodeOf.put(p, n)));
    for (int i = 0; i < r.nodeClaims().size(); i++) {
      for (String p : r.nodeClaims().get(i).pods()) {
        nodeOf.put(p, claimName(w, i));
      }
    }
    Set<String> reported = new HashSet<>();
    for (Map.Entry<String, String> placed : nodeOf.entrySet()) {
      Pod p = all.get(placed.getKey());
      if (p == null
          || p.getSpec().getTopologySpreadConstraints() == null
          || !pods.containsKey(placed.getKey())) {
        continue;
      }
      for (TopologySpreadConstraint c : p.getSpec().getTopologySpreadConstraints()) {
        if (!"DoNotSchedule".equals(c.getWhenUnsatisfiable())) {
          continue;
        }
        Map<String, Integer> counts = new HashMap<>();
        Map<String, String> domainOfNode = new HashMap<>();
        for (PlannedNode n : nodes) {
          String d = n.labels().get(c.getTopologyKey());
          if (d != null && PodMatch.matchesNode(p.getSpec(), n.labels())) {
            counts.putIfAbsent(d, 0);
            domainOfNode.put(n.name(), d);
          }
        }
        for (Map.Entry<String, String> e : nodeOf.entrySet()) {
          Pod q = all.get(e.getKey());
          String d = domainOfNode.get(e.getValue());
          if (q != null
              && d != null
              && q.getMetadata().getNamespace().equals(p.getMetadata().getNamespace())
              && selects(c.getLabelSelector(), q.getMetadata().getLabels())) {
            counts.merge(d, 1, Integer::sum);
          }
        }
        String mine = domainOfNode.get(placed.getValue());
        if (mine == null || counts.isEmpty()) {
          continue;
        }
        int min = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        if (counts.get(mine) - min > c.getMaxSkew()
            && reported.add(p.getMetadata().getLabels().get("app") + c.getTopologyKey())) {
          v.add(
              new Violation(
                  "spread-skew",
                  placed.getKey()
                      + " on "
                      + placed.getValue()
                      + ": "
                      + c.getTopologyKey()
                      + " maxSkew "
                      + c.getMaxSkew()
                      + " but counts "
                      + counts));
        }
      }
    }
  }

  static boolean selects(LabelSelector s, Map<String, String> labels) {
    if (s == null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (s.getMatchLabels() != null) {
      for (var e : s.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (s.getMatchExpressions() != null) {
      for (var e : s.getMatchExpressions()) {
        String x = l.get(e.getKey());
        boolean ok =
            switch (e.getOperator()) {
              case "In" -> x != null && e.getValues().contains(x);
              case "NotIn" -> x == null || !e.getValues().contains(x);
              case "Exists" -> x != null;
              default -> x == null;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * For a pod called unschedulable that has no inter-pod constraint: the cheapest type and offering
   * of some NodePool that satisfies the pool's requirements and the pod's, whose taints the pod
   * tolerates, that holds the pod plus the DaemonSets that would run there, and that the pool's
   * limits still allow after every claim of the plan reserved its largest option.
   */
  Candidate unschedulableCandidate(Workload w, SchedulingResult r, Pod p) {
    var spec = p.getSpec();
    if (spec.getAffinity() != null
        && (spec.getAffinity().getPodAffinity() != null
            || spec.getAffinity().getPodAntiAffinity() != null)) {
      return null;
    }
    if (spec.getTopologySpreadConstraints() != null
        && !spec.getTopologySpreadConstraints().isEmpty()) {
      return null;
    }
    Candidate best = null;
    for (SchedulingNodePool pool : w.pools()) {
      if (!PodMatch.tolerates(spec.getTolerations(), pool.taints())) {
        continue;
      }
      Map<String, Long> used = new HashMap<>(pool.usage().milli());
      for (ExistingNode n : w.nodes()) {
        if (pool.name().equals(n.labels().get(Labels.NODEPOOL))) {
          used.merge("nodes", 1000L, Long::sum);
        }
      }
      for (NodeClaimPlan c : r.nodeClaims()) {
        if (c.nodePool().equals(pool.name())) {
          used.merge("nodes", 1000L, Long::sum);
          Map<String, Long> max = new HashMap<>();
          for (String o : c.instanceTypeOptions()) {
            types.get(o).capacity().milli().forEach((k, x) -> max.merge(k, x, Math::max));
          }
          max.forEach((k, x) -> used.merge(k, x, Long::sum));
        }
      }
      Requirements poolReq = pool.effectiveRequirements();
      for (InstanceType t : pool.instanceTypes()) {
        for (Offering o : t.offerings()) {
          if (!o.available() || (best != null && o.price() >= best.offering().price())) {
            continue;
          }
          Map<String, String> labels = WorkloadGenerator.nodeLabels(t, o, pool, "candidate");
          if (!withoutHostname(poolReq).matchesLabels(labels)
              || !PodMatch.matchesNode(spec, labels)) {
            continue;
          }
          Map<String, Long> need = new HashMap<>(PodMatch.requests(spec));
          for (DaemonSet d : w.daemonSets()) {
            if (PodMatch.daemonSetFits(d, labels, pool.taints())) {
              PodMatch.requests(d.getSpec().getTemplate().getSpec())
                  .forEach((k, x) -> need.merge(k, x, Long::sum));
            }
          }
          if (overflow(need, t.allocatable().milli()) != null) {
            continue;
          }
          boolean withinLimits = true;
          for (Map.Entry<String, Long> lim : pool.limits().milli().entrySet()) {
            long add = lim.getKey().equals("nodes") ? 1000L : t.capacity().get(lim.getKey());
            if (used.getOrDefault(lim.getKey(), 0L) + add > lim.getValue()) {
              withinLimits = false;
            }
          }
          if (withinLimits) {
            best = new Candidate(p, pool, t, o);
          }
        }
      }
    }
    return best;
  }
}
