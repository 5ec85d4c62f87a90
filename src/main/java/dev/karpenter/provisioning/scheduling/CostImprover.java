package dev.karpenter.provisioning.scheduling;

import dev.karpenter.catalog.Offering;
import dev.karpenter.scheduling.Labels;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a packed plan cheaper. First-fit-decreasing keeps packing a NodeClaim while any instance
 * type still fits, which tends towards one large node; here each planned NodeClaim is re-packed
 * greedily into the set of nodes (of the same NodePool and requirements) with the lowest price per
 * packed pod, and the re-pack replaces it when the total price drops. Splitting a node never breaks
 * zone, anti-affinity or spread constraints; nodes with hostname pod affinity are left as they are.
 */
final class CostImprover {
  private static final Logger LOG = LoggerFactory.getLogger(CostImprover.class);
  private static final int MAX_PODS_PER_CLAIM = 400;

  private final Simulation sim;
  private final Clock clock;
  private final Duration budget;

  CostImprover(Simulation sim, Clock clock, Duration budget) {
    this.sim = sim;
    this.clock = clock;
    this.budget = budget;
  }

  void improve() {
    long deadline = clock.millis() + budget.toMillis();
    List<Simulation.Claim> out = new ArrayList<>();
    double saved = 0;
    boolean timedOut = false;
    for (Simulation.Claim c : sim.claims) {
      if (timedOut || clock.millis() > deadline) {
        timedOut = true;
        out.add(c);
        continue;
      }
      List<Simulation.Claim> split = null;
      if (c.pods.size() >= 2 && c.pods.size() <= MAX_PODS_PER_CLAIM && splittable(c)) {
        split = split(c);
      }
      if (split == null) {
        out.add(c);
        continue;
      }
      double before = sim.plan(c).pricePerHour();
      double after = 0;
      for (Simulation.Claim s : split) {
        after += sim.plan(s).pricePerHour();
      }
      if (after < before - 1e-9 && withinLimits(c, split)) {
        applyReservation(c, split);
        out.addAll(split);
        saved += before - after;
      } else {
        out.add(c);
      }
    }
    sim.claims.clear();
    sim.claims.addAll(out);
    if (saved > 0) {
      LOG.debug(
          "cost improver saved ${}/h{}",
          String.format("%.4f", saved),
          timedOut ? " (budget exhausted)" : "");
    }
  }

  private boolean splittable(Simulation.Claim c) {
    for (PodState p : c.pods) {
      for (Topology.Constraint k : sim.topology.constraints(p)) {
        if (k.group().kind == Topology.Kind.AFFINITY && k.group().key.equals(Labels.HOSTNAME)) {
          return false;
        }
      }
      for (Topology.Group g : sim.topology.matchedBy(p)) {
        if (g.kind == Topology.Kind.AFFINITY && g.key.equals(Labels.HOSTNAME)) {
          return false;
        }
      }
    }
    return true;
  }

  private List<Simulation.Claim> split(Simulation.Claim c) {
    Simulation.PoolInfo pi = c.pool;
    List<Integer> types = new ArrayList<>();
    Map<Integer, Double> price = new HashMap<>();
    Requirement zone = c.requirements.get(Labels.ZONE);
    Requirement ct = c.requirements.get(Labels.CAPACITY_TYPE);
    boolean spot = ct == null || ct.matches(Labels.SPOT);
    for (int t = 0; t < pi.types.length; t++) {
      if (!Simulation.compatible(pi.types[t], c.requirements)) {
        continue;
      }
      Offering o =
          spot
              ? pi.types[t].cheapest(zone, Requirement.in(Labels.CAPACITY_TYPE, Labels.SPOT))
              : null;
      if (o == null) {
        o = pi.types[t].cheapest(zone, ct);
      }
      if (o != null) {
        types.add(t);
        price.put(t, o.price());
      }
    }
    int n = sim.index.size();
    long[] totals = new long[n];
    for (PodState p : c.pods) {
      ResourceIndex.addInPlace(totals, p.requests);
    }
    List<PodState> remaining = new ArrayList<>(c.pods);
    remaining.sort(Comparator.comparingDouble((PodState p) -> -share(p, totals)));
    List<Simulation.Claim> out = new ArrayList<>();
    while (!remaining.isEmpty()) {
      double bestScore = Double.MAX_VALUE;
      List<PodState> bestPods = null;
      int bestType = -1;
      for (int t : types) {
        List<PodState> packed = pack(remaining, pi.alloc[t]);
        if (packed.isEmpty()) {
          continue;
        }
        double value = 0;
        for (PodState p : packed) {
          value += share(p, totals);
        }
        double score = price.get(t) / Math.max(value, 1e-12);
        if (score < bestScore) {
          bestScore = score;
          bestPods = packed;
          bestType = t;
        }
      }
      if (bestPods == null) {
        return null;
      }
      long[] req = new long[n];
      List<String> ports = new ArrayList<>();
      for (PodState p : bestPods) {
        ResourceIndex.addInPlace(req, p.requests);
        ports.addAll(p.hostPorts);
      }
      List<Integer> fit = new ArrayList<>();
      for (int t : types) {
        boolean ok = true;
        for (int k = 0; k < n && ok; k++) {
          // Options no larger than the chosen type in any limited resource keep the reservation
          // at the chosen type's size.
          ok =
              req[k] <= pi.alloc[t][k]
                  && (!pi.limited
                      || pi.limit[k] < 0
                      || pi.capacity[t][k] <= pi.capacity[bestType][k]);
        }
        if (ok) {
          fit.add(t);
        }
      }
      Simulation.Claim s =
          sim
          .new Claim(pi, c.requirements, fit.stream().mapToInt(Integer::intValue).toArray(), req);
      s.pods.addAll(bestPods);
      s.ports.addAll(ports);
      out.add(s);
      remaining.removeAll(bestPods);
    }
    return out;
  }

  private static double share(PodState p, long[] totals) {
    double s = 0;
    for (int k = 0; k < totals.length; k++) {
      if (totals[k] > 0) {
        s = Math.max(s, (double) p.requests[k] / totals[k]);
      }
    }
    return s;
  }

  /** First fit of the pods onto one node with {@code alloc}, honouring hostname constraints. */
  private List<PodState> pack(List<PodState> pods, long[] alloc) {
    long[] used = new long[alloc.length];
    List<PodState> packed = new ArrayList<>();
    List<String> ports = new ArrayList<>();
    for (PodState p : pods) {
      if (!ResourceIndex.fits(alloc, used, p.requests)) {
        continue;
      }
      if (!portsFree(p, ports) || !hostnameCompatible(p, packed)) {
        continue;
      }
      ResourceIndex.addInPlace(used, p.requests);
      ports.addAll(p.hostPorts);
      packed.add(p);
    }
    return packed;
  }

  private static boolean portsFree(PodState p, List<String> ports) {
    for (String a : p.hostPorts) {
      for (String b : ports) {
        if (Pods.portsConflict(a, b)) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean hostnameCompatible(PodState p, List<PodState> packed) {
    for (Topology.Constraint k : sim.topology.constraints(p)) {
      Topology.Group g = k.group();
      if (!g.key.equals(Labels.HOSTNAME)) {
        continue;
      }
      int count = 0;
      for (PodState q : packed) {
        if (g.selects(q.namespace, q.labels)) {
          count++;
        }
      }
      if (g.kind == Topology.Kind.ANTI_AFFINITY && count > 0) {
        return false;
      }
      if (g.kind == Topology.Kind.SPREAD && count + (k.selfMatch() ? 1 : 0) > g.maxSkew) {
        return false;
      }
    }
    for (PodState q : packed) {
      for (Topology.Constraint k : sim.topology.constraints(q)) {
        Topology.Group g = k.group();
        if (g.key.equals(Labels.HOSTNAME)
            && g.kind == Topology.Kind.ANTI_AFFINITY
            && g.selects(p.namespace, p.labels)) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean withinLimits(Simulation.Claim c, List<Simulation.Claim> split) {
    Simulation.PoolInfo pi = c.pool;
    if (!pi.limited) {
      return true;
    }
    long[] used = pi.used.clone();
    for (int k = 0; k < used.length; k++) {
      used[k] -= c.reservation[k];
    }
    for (Simulation.Claim s : split) {
      s.reservation = reservation(pi, s);
      for (int k = 0; k < used.length; k++) {
        used[k] += s.reservation[k];
        if (pi.limit[k] >= 0 && used[k] > pi.limit[k]) {
          return false;
        }
      }
    }
    return true;
  }

  private static long[] reservation(Simulation.PoolInfo pi, Simulation.Claim s) {
    long[] r = new long[pi.limit.length];
    for (int t : s.candidates) {
      for (int k = 0; k < r.length; k++) {
        if (pi.limit[k] >= 0) {
          r[k] = Math.max(r[k], pi.capacity[t][k]);
        }
      }
    }
    return r;
  }

  private static void applyReservation(Simulation.Claim c, List<Simulation.Claim> split) {
    Simulation.PoolInfo pi = c.pool;
    if (!pi.limited) {
      return;
    }
    for (int k = 0; k < pi.used.length; k++) {
      pi.used[k] -= c.reservation[k];
      for (Simulation.Claim s : split) {
        pi.used[k] += s.reservation[k];
      }
    }
  }
}
