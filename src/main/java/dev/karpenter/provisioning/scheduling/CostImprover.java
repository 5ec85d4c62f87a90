package dev.karpenter.provisioning.scheduling;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.ExoticFilter;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a packed plan cheaper. First-fit-decreasing keeps packing a NodeClaim while any instance
 * type still fits, which tends towards one large node; here the pods of the planned NodeClaims of
 * one NodePool and requirements are re-packed (rounded pattern LP first, then greedy and LP-guided
 * packings) and the re-pack replaces them when the total price drops. Splitting a node never breaks
 * zone, anti-affinity or spread constraints; nodes with hostname pod affinity are left as they are.
 */
final class CostImprover {
  private static final Logger LOG = LoggerFactory.getLogger(CostImprover.class);
  private static final int MAX_PODS_PER_GROUP = 3000;
  // The greedy re-pack tries every type for every node: quadratic, so only for small units.
  private static final int MAX_PODS_GREEDY = 300;

  private final Simulation sim;
  private final Clock clock;
  private final Duration budget;
  private PackingLp.Solution lpCache;
  private List<PodState> lpCacheFor;
  private boolean patternsLate;

  CostImprover(Simulation sim, Clock clock, Duration budget) {
    this.sim = sim;
    this.clock = clock;
    this.budget = budget;
  }

  void improve() {
    long deadline = clock.millis() + budget.toMillis();
    // Claims of one NodePool with identical requirements are re-packed together, so that the
    // partly filled last node of each is shared.
    Map<List<Object>, List<Simulation.Claim>> groups = new LinkedHashMap<>();
    for (Simulation.Claim c : sim.claims) {
      groups.computeIfAbsent(List.of(c.pool, c.requirements), k -> new ArrayList<>()).add(c);
    }
    List<Simulation.Claim> out = new ArrayList<>();
    double saved = 0;
    for (List<Simulation.Claim> group : groups.values()) {
      List<List<Simulation.Claim>> units = new ArrayList<>();
      int pods = 0;
      boolean allSplittable = true;
      for (Simulation.Claim c : group) {
        pods += c.pods.size();
        allSplittable &= splittable(c);
      }
      if (allSplittable && group.size() > 1 && pods <= MAX_PODS_PER_GROUP) {
        units.add(group);
      } else {
        for (Simulation.Claim c : group) {
          units.add(List.of(c));
        }
      }
      for (List<Simulation.Claim> unit : units) {
        if (clock.millis() > deadline) {
          out.addAll(unit);
          continue;
        }
        double s = improveUnit(unit, out, deadline);
        saved += s;
      }
    }
    sim.claims.clear();
    sim.claims.addAll(out);
    if (saved > 0) {
      LOG.debug("cost improver saved ${}/h", String.format("%.4f", saved));
    }
  }

  /** Re-packs the pods of {@code unit}; adds the cheaper of old and new to {@code out}. */
  private double improveUnit(
      List<Simulation.Claim> unit, List<Simulation.Claim> out, long deadline) {
    List<PodState> pods = new ArrayList<>();
    for (Simulation.Claim c : unit) {
      pods.addAll(c.pods);
    }
    boolean eligible =
        pods.size() >= 2
            && pods.size() <= MAX_PODS_PER_GROUP
            && (unit.size() > 1 || splittable(unit.get(0)));
    if (!eligible) {
      out.addAll(unit);
      return 0;
    }
    double before = cost(unit);
    List<Simulation.Claim> best = unit;
    double bestCost = before;
    boolean patterned = false;
    for (int strategy = 0; strategy < 6; strategy++) {
      if (strategy == 1 && pods.size() > MAX_PODS_GREEDY) {
        continue;
      }
      if (strategy > 0 && clock.millis() > deadline) {
        break;
      }
      if (strategy > 1 && patterned) {
        // The LP-guided packings round the same relaxation less carefully.
        break;
      }
      List<Simulation.Claim> candidate =
          switch (strategy) {
            case 0 -> patternPack(unit.get(0), pods, patternDeadline(deadline));
            case 1 -> split(unit.get(0), pods);
            case 2 -> lpPack(unit.get(0), pods, true, false);
            case 3 -> lpPack(unit.get(0), pods, false, false);
            case 4 -> lpPack(unit.get(0), pods, true, true);
            default -> lpPack(unit.get(0), pods, false, true);
          };
      if (candidate == null) {
        continue;
      }
      patterned |= strategy == 0 && !patternsLate;
      double after = cost(candidate);
      if (after < bestCost - 1e-9 && keepsWeightOrder(candidate) && withinLimits(unit, candidate)) {
        best = candidate;
        bestCost = after;
      }
    }
    if (best != unit) {
      applyReservation(unit, best);
    }
    out.addAll(best);
    return before - bestCost;
  }

  /**
   * A new claim of a NodePool must hold a pod that no NodePool of higher weight could host, as when
   * the claim was first opened: otherwise those pods would have had a claim of the higher- weight
   * pool. Re-packing may not split such pods off onto a claim of their own.
   */
  private boolean keepsWeightOrder(List<Simulation.Claim> candidate) {
    if (sim.pools.get(0).pool.weight() == candidate.get(0).pool.pool.weight()) {
      return true;
    }
    for (Simulation.Claim c : candidate) {
      boolean anchored = false;
      for (PodState p : c.pods) {
        Boolean h = hostableHigher.computeIfAbsent(p, k -> sim.hostableBefore(k, c.pool));
        if (!h) {
          anchored = true;
          break;
        }
      }
      if (!anchored) {
        return false;
      }
    }
    return true;
  }

  private final Map<PodState, Boolean> hostableHigher = new java.util.IdentityHashMap<>();

  private double cost(List<Simulation.Claim> claims) {
    double sum = 0;
    for (Simulation.Claim c : claims) {
      sum += sim.plan(c).pricePerHour();
    }
    return sum;
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

  /** Instance types a claim like {@code c} may use, with the price it would launch at. */
  private Map<Integer, Double> candidateTypes(Simulation.Claim c) {
    Simulation.PoolInfo pi = c.pool;
    Map<Integer, Double> price = new LinkedHashMap<>();
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
        price.put(t, o.price());
      }
    }
    return price;
  }

  /** Leaves part of the budget to the other strategies in case the pattern LP runs out of time. */
  private long patternDeadline(long deadline) {
    long now = clock.millis();
    return now + Math.max(0, (deadline - now) * 7 / 10);
  }

  /**
   * Pattern rounding ({@link PatternLp}): nodes chosen as whole patterns of pod shapes. Pods of one
   * shape are interchangeable only without host ports and hostname constraints, so units with such
   * pods, or with minValues (which the options of each new claim would have to meet), are left to
   * the other strategies.
   */
  private List<Simulation.Claim> patternPack(
      Simulation.Claim c, List<PodState> pods, long deadline) {
    for (Requirement r : c.requirements.all()) {
      if (r.minValues() > 0) {
        return null;
      }
    }
    for (PodState p : pods) {
      if (!interchangeable(p)) {
        return null;
      }
    }
    Simulation.PoolInfo pi = c.pool;
    Map<Integer, Double> price = candidateTypes(c);
    List<Integer> types = new ArrayList<>(price.keySet());
    if (types.isEmpty()) {
      return null;
    }
    int n = sim.index.size();
    Map<String, Integer> shapeOf = new LinkedHashMap<>();
    List<long[]> shapes = new ArrayList<>();
    List<List<PodState>> byShape = new ArrayList<>();
    for (PodState p : pods) {
      int s =
          shapeOf.computeIfAbsent(
              java.util.Arrays.toString(p.requests),
              k -> {
                shapes.add(p.requests);
                byShape.add(new ArrayList<>());
                return shapes.size() - 1;
              });
      byShape.get(s).add(p);
    }
    // Launch skips exotic (GPU, metal, ...) types while a generic one fits, so exotic types hold
    // only shapes that no generic type fits.
    BitSet all = new BitSet();
    all.set(0, shapes.size());
    BitSet needExotic = new BitSet();
    for (int s = 0; s < shapes.size(); s++) {
      needExotic.set(s);
      for (int t : types) {
        if (!ExoticFilter.isExotic(pi.types[t].type)
            && ResourceIndex.fits(pi.alloc[t], new long[n], shapes.get(s))) {
          needExotic.clear(s);
          break;
        }
      }
    }
    List<PatternLp.Column> columns = new ArrayList<>();
    for (int t : types) {
      boolean exotic = ExoticFilter.isExotic(pi.types[t].type);
      columns.add(new PatternLp.Column(pi.alloc[t], price.get(t), exotic ? needExotic : all));
    }
    int[] demand = new int[shapes.size()];
    for (int s = 0; s < demand.length; s++) {
      demand[s] = byShape.get(s).size();
    }
    PatternLp lp = new PatternLp(shapes, columns, clock, deadline);
    List<PatternLp.Pattern> bins = null;
    double binsCost = Double.MAX_VALUE;
    // Small units also try the other roundings, on the patterns already generated.
    List<PatternLp.Rounding> roundings =
        pods.size() <= MAX_PODS_GREEDY
            ? List.of(PatternLp.Rounding.values())
            : List.of(PatternLp.Rounding.RESIDUAL);
    for (PatternLp.Rounding r : roundings) {
      if (bins != null && clock.millis() > deadline) {
        break;
      }
      List<PatternLp.Pattern> b = lp.round(demand, r);
      if (b == null) {
        return null;
      }
      double cost = 0;
      for (PatternLp.Pattern p : b) {
        cost += columns.get(p.column()).price();
      }
      if (cost < binsCost) {
        bins = b;
        binsCost = cost;
        patternsLate = lp.late();
      }
    }
    int[] next = new int[shapes.size()];
    List<Simulation.Claim> out = new ArrayList<>();
    for (PatternLp.Pattern b : bins) {
      List<PodState> binPods = new ArrayList<>();
      for (int s = 0; s < next.length; s++) {
        for (int k = 0; k < b.counts()[s]; k++) {
          binPods.add(byShape.get(s).get(next[s]++));
        }
      }
      out.add(claimFor(c, price.keySet(), types.get(b.column()), binPods));
    }
    for (int s = 0; s < next.length; s++) {
      if (next[s] != byShape.get(s).size()) {
        LOG.warn("pattern rounding left pods out; keeping the other strategies' plans");
        return null;
      }
    }
    return out;
  }

  private boolean interchangeable(PodState p) {
    if (!p.hostPorts.isEmpty()) {
      return false;
    }
    for (Topology.Constraint k : sim.topology.constraints(p)) {
      if (k.group().key.equals(Labels.HOSTNAME)) {
        return false;
      }
    }
    for (Topology.Group g : sim.topology.matchedBy(p)) {
      if (g.key.equals(Labels.HOSTNAME)) {
        return false;
      }
    }
    return true;
  }

  /** Greedy: repeatedly open the node type with the lowest price per packed share of pods. */
  private List<Simulation.Claim> split(Simulation.Claim c, List<PodState> pods) {
    Simulation.PoolInfo pi = c.pool;
    Map<Integer, Double> price = candidateTypes(c);
    int n = sim.index.size();
    long[] totals = new long[n];
    for (PodState p : pods) {
      ResourceIndex.addInPlace(totals, p.requests);
    }
    List<PodState> remaining = new ArrayList<>(pods);
    remaining.sort(Comparator.comparingDouble((PodState p) -> -share(p, totals)));
    List<Simulation.Claim> out = new ArrayList<>();
    while (!remaining.isEmpty()) {
      double bestScore = Double.MAX_VALUE;
      List<PodState> bestPods = null;
      int bestType = -1;
      for (int t : price.keySet()) {
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
      out.add(claimFor(c, price.keySet(), bestType, bestPods));
      remaining.removeAll(bestPods);
    }
    return out;
  }

  /**
   * LP-guided: solve the packing LP for these pods, open its whole nodes plus, for each fractional
   * node, the cheapest type covering that fraction; place the pods (largest first) where the free
   * capacity best matches their shape, and pack any leftover greedily.
   */
  private List<Simulation.Claim> lpPack(
      Simulation.Claim c, List<PodState> pods, boolean fractionalBins, boolean binCentric) {
    Simulation.PoolInfo pi = c.pool;
    Map<Integer, Double> price = candidateTypes(c);
    List<Integer> types = new ArrayList<>(price.keySet());
    if (types.isEmpty()) {
      return null;
    }
    int n = sim.index.size();
    Map<CostBound.ClassKey, long[]> classes = new LinkedHashMap<>();
    for (PodState p : pods) {
      BitSet compatible = new BitSet();
      for (int i = 0; i < types.size(); i++) {
        if (ResourceIndex.fits(pi.alloc[types.get(i)], new long[n], p.requests)) {
          compatible.set(i);
        }
      }
      if (compatible.isEmpty()) {
        return null;
      }
      ResourceIndex.addInPlace(
          classes.computeIfAbsent(
              new CostBound.ClassKey(compatible, java.util.Arrays.toString(p.requests)),
              k -> new long[n]),
          p.requests);
    }
    List<long[]> alloc = new ArrayList<>();
    List<Double> prices = new ArrayList<>();
    for (int t : types) {
      alloc.add(pi.alloc[t]);
      prices.add(price.get(t));
    }
    if (lpCache == null || lpCacheFor != pods) {
      lpCache =
          PackingLp.solve(
              alloc,
              prices,
              new ArrayList<>(classes.values()),
              classes.keySet().stream().map(CostBound.ClassKey::compatible).toList());
      lpCacheFor = pods;
    }
    PackingLp.Solution lp = lpCache;
    List<Integer> binType = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      double x = lp.nodes()[i];
      int whole = (int) Math.floor(x + 1e-6);
      for (int k = 0; k < whole; k++) {
        binType.add(types.get(i));
      }
      double rest = x - whole;
      if (rest > 1e-6 && fractionalBins) {
        // The fractional node becomes the cheapest type covering that fraction of it, rather
        // than a whole (possibly very large) node.
        long[] need = new long[n];
        for (int k = 0; k < n; k++) {
          need[k] = (long) Math.ceil(rest * pi.alloc[types.get(i)][k]);
        }
        int cheapest = types.get(i);
        for (int t : types) {
          if (ResourceIndex.fits(pi.alloc[t], new long[n], need)
              && price.get(t) < price.get(cheapest)) {
            cheapest = t;
          }
        }
        binType.add(cheapest);
      }
    }
    long[] scale = new long[n];
    for (int t : types) {
      for (int k = 0; k < n; k++) {
        scale[k] = Math.max(scale[k], pi.alloc[t][k]);
      }
    }
    long[] totals = new long[n];
    for (PodState p : pods) {
      ResourceIndex.addInPlace(totals, p.requests);
    }
    List<PodState> sorted = new ArrayList<>(pods);
    sorted.sort(Comparator.comparingDouble((PodState p) -> -share(p, totals)));
    List<long[]> used = new ArrayList<>();
    List<List<PodState>> binPods = new ArrayList<>();
    for (int b = 0; b < binType.size(); b++) {
      used.add(new long[n]);
      binPods.add(new ArrayList<>());
    }
    List<PodState> leftover = new ArrayList<>();
    if (binCentric) {
      // Fill one bin at a time with the pod whose request best matches its free capacity.
      List<PodState> remaining = new ArrayList<>(sorted);
      for (int b = 0; b < binType.size(); b++) {
        long[] a = pi.alloc[binType.get(b)];
        while (true) {
          int best = -1;
          double bestScore = -1;
          for (int i = 0; i < remaining.size(); i++) {
            PodState p = remaining.get(i);
            if (!ResourceIndex.fits(a, used.get(b), p.requests)) {
              continue;
            }
            double score = 0;
            for (int k = 0; k < n; k++) {
              if (scale[k] > 0) {
                score +=
                    (double) p.requests[k]
                        * (a[k] - used.get(b)[k])
                        / ((double) scale[k] * scale[k]);
              }
            }
            if (score > bestScore
                && portsFree(p, portsOf(binPods.get(b)))
                && hostnameCompatible(p, binPods.get(b))) {
              bestScore = score;
              best = i;
            }
          }
          if (best < 0) {
            break;
          }
          PodState p = remaining.remove(best);
          ResourceIndex.addInPlace(used.get(b), p.requests);
          binPods.get(b).add(p);
        }
      }
      leftover.addAll(remaining);
    } else {
      for (PodState p : sorted) {
        int best = -1;
        double bestSlack = Double.MAX_VALUE;
        for (int b = 0; b < binType.size(); b++) {
          long[] a = pi.alloc[binType.get(b)];
          if (!ResourceIndex.fits(a, used.get(b), p.requests)
              || !portsFree(p, portsOf(binPods.get(b)))
              || !hostnameCompatible(p, binPods.get(b))) {
            continue;
          }
          // Prefer the bin whose free capacity points the same way as the pod's request, so that
          // cpu-heavy pods go to cpu-rich types and memory-heavy pods to memory-rich ones.
          double align = 0;
          for (int k = 0; k < n; k++) {
            if (scale[k] > 0) {
              align -=
                  (double) p.requests[k] * (a[k] - used.get(b)[k]) / ((double) scale[k] * scale[k]);
            }
          }
          if (align < bestSlack) {
            bestSlack = align;
            best = b;
          }
        }
        if (best < 0) {
          leftover.add(p);
        } else {
          ResourceIndex.addInPlace(used.get(best), p.requests);
          binPods.get(best).add(p);
        }
      }
    }
    List<Simulation.Claim> out = new ArrayList<>();
    for (int b = 0; b < binType.size(); b++) {
      if (!binPods.get(b).isEmpty()) {
        out.add(claimFor(c, price.keySet(), binType.get(b), binPods.get(b)));
      }
    }
    if (!leftover.isEmpty()) {
      List<Simulation.Claim> rest = split(c, leftover);
      if (rest == null) {
        return null;
      }
      out.addAll(rest);
    }
    return out;
  }

  private static List<String> portsOf(List<PodState> pods) {
    List<String> ports = new ArrayList<>();
    for (PodState p : pods) {
      ports.addAll(p.hostPorts);
    }
    return ports;
  }

  /**
   * A claim for {@code pods} whose options are the types that fit them, none larger than chosen.
   */
  private Simulation.Claim claimFor(
      Simulation.Claim c, java.util.Collection<Integer> types, int chosen, List<PodState> pods) {
    Simulation.PoolInfo pi = c.pool;
    int n = sim.index.size();
    long[] req = new long[n];
    for (PodState p : pods) {
      ResourceIndex.addInPlace(req, p.requests);
    }
    List<Integer> fit = new ArrayList<>();
    for (int t : types) {
      boolean ok = true;
      for (int k = 0; k < n && ok; k++) {
        ok = req[k] <= pi.alloc[t][k];
      }
      if (ok) {
        fit.add(t);
      }
    }
    Simulation.Claim s =
        sim.new Claim(pi, c.requirements, fit.stream().mapToInt(Integer::intValue).toArray(), req);
    s.pods.addAll(pods);
    s.ports.addAll(portsOf(pods));
    return s;
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

  private boolean withinLimits(List<Simulation.Claim> old, List<Simulation.Claim> split) {
    Simulation.PoolInfo pi = old.get(0).pool;
    if (!pi.limited) {
      return true;
    }
    long[] used = pi.used.clone();
    for (Simulation.Claim c : old) {
      for (int k = 0; k < used.length; k++) {
        used[k] -= c.reservation[k];
      }
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
    return pi.reservationOf(Simulation.launchChoice(pi, s.requirements, s.candidates).type());
  }

  private static void applyReservation(List<Simulation.Claim> old, List<Simulation.Claim> split) {
    Simulation.PoolInfo pi = old.get(0).pool;
    if (!pi.limited) {
      return;
    }
    for (int k = 0; k < pi.used.length; k++) {
      for (Simulation.Claim c : old) {
        pi.used[k] -= c.reservation[k];
      }
      for (Simulation.Claim s : split) {
        pi.used[k] += s.reservation[k];
      }
    }
  }
}
