package dev.karpenter.provisioning.scheduling;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Counts of matching pods per topology domain (zone, hostname, capacity type or any node label) for
 * every spread, affinity and anti-affinity term in the batch, shared by all pods with the same
 * term.
 */
final class Topology {
  enum Kind {
    SPREAD,
    AFFINITY,
    ANTI_AFFINITY
  }

  /** Pods selected by one term, counted per domain of one key. */
  static final class Group {
    final Kind kind;
    final String key;
    final Set<String> namespaces; // null = all namespaces
    final LabelSelector selector;
    final int maxSkew;
    final int minDomains;
    final Map<String, Integer> counts = new HashMap<>();
    final Map<String, Integer> owners = new HashMap<>();
    int total;

    Group(
        Kind kind,
        String key,
        Set<String> namespaces,
        LabelSelector selector,
        int maxSkew,
        int minDomains) {
      this.kind = kind;
      this.key = key;
      this.namespaces = namespaces;
      this.selector = selector;
      this.maxSkew = maxSkew;
      this.minDomains = minDomains;
    }

    boolean selects(String namespace, Map<String, String> labels) {
      return (namespaces == null || namespaces.contains(namespace))
          && Pods.selects(selector, labels);
    }

    String describe() {
      return switch (kind) {
        case SPREAD -> "topology spread on " + key + " (maxSkew " + maxSkew + ")";
        case AFFINITY -> "pod affinity on " + key;
        case ANTI_AFFINITY -> "pod anti-affinity on " + key;
      };
    }
  }

  /** One of a pod's active constraints. */
  record Constraint(Group group, boolean selfMatch) {}

  private final Map<String, Group> groups = new LinkedHashMap<>();
  final Map<String, Set<String>> universe = new HashMap<>();

  Topology() {}

  Group group(
      Kind kind,
      String key,
      Set<String> namespaces,
      LabelSelector selector,
      int maxSkew,
      int minDomains) {
    String id =
        kind
            + "|"
            + key
            + "|"
            + (namespaces == null ? "*" : new TreeSet<>(namespaces))
            + "|"
            + selector
            + "|"
            + maxSkew
            + "|"
            + minDomains;
    return groups.computeIfAbsent(
        id, i -> new Group(kind, Labels.normalize(key), namespaces, selector, maxSkew, minDomains));
  }

  Iterable<Group> groups() {
    return groups.values();
  }

  void addDomain(String key, String value) {
    universe.computeIfAbsent(key, k -> new TreeSet<>()).add(value);
  }

  /** The pod's active constraints, as groups (registered on first use). */
  List<Constraint> constraints(PodState p) {
    if (p.constraints != null) {
      return p.constraints;
    }
    List<Constraint> out = new ArrayList<>();
    for (var c : p.spreads) {
      Group g =
          group(
              Kind.SPREAD,
              c.getTopologyKey(),
              Set.of(p.namespace),
              c.getLabelSelector(),
              c.getMaxSkew() == null ? 1 : c.getMaxSkew(),
              c.getMinDomains() == null ? 0 : c.getMinDomains());
      out.add(new Constraint(g, g.selects(p.namespace, p.labels)));
    }
    addTerms(p, p.requiredAffinity, Kind.AFFINITY, out);
    addTerms(p, p.preferredAffinity, Kind.AFFINITY, out);
    addTerms(p, p.requiredAntiAffinity, Kind.ANTI_AFFINITY, out);
    addTerms(p, p.preferredAntiAffinity, Kind.ANTI_AFFINITY, out);
    p.constraints = out;
    return out;
  }

  private void addTerms(PodState p, List<PodAffinityTerm> terms, Kind kind, List<Constraint> out) {
    for (PodAffinityTerm t : terms) {
      Group g =
          group(kind, t.getTopologyKey(), namespaces(p.namespace, t), t.getLabelSelector(), 0, 0);
      out.add(new Constraint(g, g.selects(p.namespace, p.labels)));
    }
  }

  static Set<String> namespaces(String podNamespace, PodAffinityTerm t) {
    if (t.getNamespaceSelector() != null
        && (t.getNamespaceSelector().getMatchLabels() == null
            || t.getNamespaceSelector().getMatchLabels().isEmpty())
        && (t.getNamespaceSelector().getMatchExpressions() == null
            || t.getNamespaceSelector().getMatchExpressions().isEmpty())) {
      return null;
    }
    if (t.getNamespaces() != null && !t.getNamespaces().isEmpty()) {
      return Set.copyOf(t.getNamespaces());
    }
    return Set.of(podNamespace);
  }

  /** Groups whose selector picks this pod (computed once every group is registered). */
  List<Group> matchedBy(PodState p) {
    if (p.matchedBy == null) {
      List<Group> out = new ArrayList<>();
      for (Group g : groups.values()) {
        if (g.selects(p.namespace, p.labels)) {
          out.add(g);
        }
      }
      p.matchedBy = out;
    }
    return p.matchedBy;
  }

  /** Registers the anti-affinity terms of an already running pod, so that they repel others. */
  List<Group> ownedAntiAffinity(String namespace, List<PodAffinityTerm> terms) {
    List<Group> out = new ArrayList<>();
    for (PodAffinityTerm t : terms) {
      out.add(
          group(
              Kind.ANTI_AFFINITY,
              t.getTopologyKey(),
              namespaces(namespace, t),
              t.getLabelSelector(),
              0,
              0));
    }
    return out;
  }

  /** Where the node's domain for each key is known: counts the pod there. */
  void record(
      String namespace,
      Map<String, String> labels,
      List<Group> matched,
      List<Group> ownedAnti,
      Map<String, String> domains) {
    for (Group g : matched) {
      String d = domains.get(g.key);
      if (d != null) {
        g.counts.merge(d, 1, Integer::sum);
        g.total++;
      }
    }
    for (Group g : ownedAnti) {
      String d = domains.get(g.key);
      if (d != null) {
        g.owners.merge(d, 1, Integer::sum);
      }
    }
  }

  /**
   * Filters the candidate domains of {@code key} for pod {@code p}; {@code hostnameNew} says the
   * candidate is a node that does not exist yet. Returns the allowed domains or an empty list, and
   * puts a reason into {@code why} when empty.
   */
  List<String> allowed(
      PodState p, String key, List<String> candidates, boolean hostname, StringBuilder why) {
    List<String> out = new ArrayList<>(candidates);
    for (Constraint c : constraints(p)) {
      Group g = c.group();
      if (!g.key.equals(key)) {
        continue;
      }
      switch (g.kind) {
        case SPREAD -> {
          int min = hostname ? 0 : minCount(g, p.eligibility());
          int self = c.selfMatch() ? 1 : 0;
          out.removeIf(d -> g.counts.getOrDefault(d, 0) + self - min > g.maxSkew);
        }
        case AFFINITY -> {
          if (g.total == 0) {
            if (!c.selfMatch()) {
              out.clear();
            }
          } else {
            out.removeIf(d -> g.counts.getOrDefault(d, 0) == 0);
          }
        }
        case ANTI_AFFINITY -> out.removeIf(d -> g.counts.getOrDefault(d, 0) > 0);
      }
      if (out.isEmpty()) {
        why.append(g.describe());
        return out;
      }
    }
    for (Group g : matchedBy(p)) {
      if (g.kind == Kind.ANTI_AFFINITY && g.key.equals(key) && !g.owners.isEmpty()) {
        out.removeIf(d -> g.owners.getOrDefault(d, 0) > 0);
        if (out.isEmpty()) {
          why.append("anti-affinity of running pods on ").append(key);
          return out;
        }
      }
    }
    if (out.size() > 1) {
      // Spread pods go to the least-populated domain, as kube-scheduler would.
      for (Constraint c : constraints(p)) {
        if (c.group().kind == Kind.SPREAD && c.group().key.equals(key)) {
          Group g = c.group();
          out.sort(
              (a, b) -> {
                int d = Integer.compare(g.counts.getOrDefault(a, 0), g.counts.getOrDefault(b, 0));
                return d != 0 ? d : a.compareTo(b);
              });
          break;
        }
      }
    }
    return out;
  }

  private int minCount(Group g, List<Requirements> eligibility) {
    Set<String> domains = universe.getOrDefault(g.key, Set.of());
    int eligible = 0;
    int min = Integer.MAX_VALUE;
    for (String d : domains) {
      if (!eligibleDomain(eligibility, g.key, d)) {
        continue;
      }
      eligible++;
      min = Math.min(min, g.counts.getOrDefault(d, 0));
    }
    if (eligible == 0 || eligible < g.minDomains) {
      return 0;
    }
    return min;
  }

  private static boolean eligibleDomain(List<Requirements> eligibility, String key, String d) {
    for (Requirements e : eligibility) {
      Requirement r = e.get(key);
      if (r == null || r.matches(d)) {
        return true;
      }
    }
    return false;
  }

  /** Keys on which the pod has constraints or is counted. */
  List<String> keys(PodState p) {
    if (p.keys == null || p.keysFor != constraints(p)) {
      Set<String> keys = new TreeSet<>();
      for (Constraint c : constraints(p)) {
        keys.add(c.group().key);
      }
      for (Group g : matchedBy(p)) {
        keys.add(g.key);
      }
      p.keys = List.copyOf(keys);
      p.keysFor = constraints(p);
    }
    return p.keys;
  }

  /** Cheap early rejection: the pod may not join the node named {@code hostname}. */
  boolean hostnameBlocked(PodState p, String hostname) {
    for (Constraint c : constraints(p)) {
      Group g = c.group();
      if (!g.key.equals(Labels.HOSTNAME)) {
        continue;
      }
      int n = g.counts.getOrDefault(hostname, 0);
      if (g.kind == Kind.ANTI_AFFINITY && n > 0) {
        return true;
      }
      if (g.kind == Kind.SPREAD && n + (c.selfMatch() ? 1 : 0) > g.maxSkew) {
        return true;
      }
      if (g.kind == Kind.AFFINITY && g.total > 0 && n == 0) {
        return true;
      }
    }
    for (Group g : matchedBy(p)) {
      if (g.kind == Kind.ANTI_AFFINITY
          && g.key.equals(Labels.HOSTNAME)
          && g.owners.getOrDefault(hostname, 0) > 0) {
        return true;
      }
    }
    return false;
  }

  /** Keys on which the pod itself is constrained (as opposed to only being counted). */
  boolean constrains(PodState p, String key) {
    for (Constraint c : constraints(p)) {
      if (c.group().key.equals(key)) {
        return true;
      }
    }
    for (Group g : matchedBy(p)) {
      if (g.kind == Kind.ANTI_AFFINITY && g.key.equals(key) && !g.owners.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  List<Group> ownedAnti(PodState p) {
    List<Group> out = new ArrayList<>();
    for (PodAffinityTerm t : p.requiredAntiAffinity) {
      out.add(
          group(
              Kind.ANTI_AFFINITY,
              t.getTopologyKey(),
              namespaces(p.namespace, t),
              t.getLabelSelector(),
              0,
              0));
    }
    return out;
  }

  static String spreadKey(TopologySpreadConstraint c) {
    return Labels.normalize(c.getTopologyKey());
  }
}
