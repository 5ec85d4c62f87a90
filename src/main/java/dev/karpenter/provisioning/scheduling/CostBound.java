package dev.karpenter.provisioning.scheduling;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A lower bound on the $/h of any plan that places the pending pods on new nodes: the LP relaxation
 * of instance-type selection. Variables are fractional node counts per (NodePool, instance type)
 * and the fraction of each pod class (pods with the same compatible types) served by each type;
 * every resource of a type must cover what is assigned to it. Topology, host ports, limits and
 * integrality are relaxed, so the bound is never above the true optimum.
 */
public final class CostBound {
  private CostBound() {}

  /** The bound in $/h, over the pods that have at least one compatible instance type. */
  public static double lowerBound(SchedulingInput input) {
    Simulation sim = new Simulation(input, Scheduler.Options.defaults());
    sim.init();
    List<int[]> columns = new ArrayList<>(); // {pool, type}
    List<Double> prices = new ArrayList<>();
    Map<Long, Integer> columnIndex = new LinkedHashMap<>();
    Map<ClassKey, long[]> classes = new LinkedHashMap<>();
    int n = sim.index.size();
    for (PodState p : sim.pending) {
      BitSet compatible = new BitSet();
      for (int pi = 0; pi < sim.pools.size(); pi++) {
        Simulation.PoolInfo pool = sim.pools.get(pi);
        if (Pods.untolerated(p.tolerations, pool.pool.taints(), false) != null
            || pool.requirements.incompatibility(p.requirements()) != null) {
          continue;
        }
        Requirements req = pool.requirements.and(p.requirements());
        for (int t = 0; t < pool.types.length; t++) {
          if (!Simulation.compatible(pool.types[t], req) || !fits(pool.alloc[t], p.requests)) {
            continue;
          }
          long key = ((long) pi << 32) | t;
          Integer col = columnIndex.get(key);
          if (col == null) {
            col = columns.size();
            columnIndex.put(key, col);
            columns.add(new int[] {pi, t});
            prices.add(price(pool.types[t], pool.requirements));
          }
          compatible.set(col);
        }
      }
      if (compatible.isEmpty()) {
        continue;
      }
      // A class is pods of one shape: the LP may split a class's demand over types only in
      // proportion, which is a relaxation only when its pods are identical.
      long[] demand =
          classes.computeIfAbsent(
              new ClassKey(compatible, java.util.Arrays.toString(p.requests)), k -> new long[n]);
      ResourceIndex.addInPlace(demand, p.requests);
    }
    if (classes.isEmpty()) {
      return 0;
    }
    List<long[]> alloc = new ArrayList<>();
    for (int[] col : columns) {
      alloc.add(sim.pools.get(col[0]).alloc[col[1]]);
    }
    List<BitSet> compat = new ArrayList<>();
    for (ClassKey k : classes.keySet()) {
      compat.add(k.compatible());
    }
    return PackingLp.solve(alloc, prices, new ArrayList<>(classes.values()), compat).cost();
  }

  /** Pods with the same compatible columns and the same requests. */
  record ClassKey(BitSet compatible, String shape) {}

  private static boolean fits(long[] alloc, long[] req) {
    for (int k = 0; k < alloc.length; k++) {
      if (req[k] > alloc[k]) {
        return false;
      }
    }
    return true;
  }

  private static double price(Simulation.TypeInfo t, Requirements req) {
    Requirement zone = req.get(Labels.ZONE);
    Requirement ct = req.get(Labels.CAPACITY_TYPE);
    Offering o = t.cheapest(zone, ct);
    return o.price();
  }
}
