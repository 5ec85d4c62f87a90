package dev.karpenter.provisioning.scheduling;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * The pattern (Gilmore-Gomory) LP of choosing nodes for pods, solved by column generation with
 * ojAlgo. A pattern is how many pods of each shape one node of one column (instance type) holds;
 * the LP buys fractional counts of patterns that cover every shape's demand at least cost. No
 * pattern holds a fraction of a pod or spills over a node, so its optimum is a tighter lower bound
 * than the per-resource LP of {@link PackingLp}, and its patterns, rounded, make a cheap plan.
 */
final class PatternLp {
  static {
    System.setProperty("shut.up.ojAlgo", "true");
  }

  /** A node kind: usable resources, $/h, and the shapes allowed on it. */
  record Column(long[] alloc, double price, BitSet shapes) {}

  /** One node of column {@code column} holding {@code counts[s]} pods of shape {@code s}. */
  record Pattern(int column, int[] counts) {}

  /**
   * Outcome of column generation.
   *
   * @param lpValue optimum of the restricted master LP (the pattern LP when converged)
   * @param lowerBound a proven lower bound on any integer plan (Farley's bound before convergence)
   * @param converged whether no improving pattern was left
   */
  record Bound(double lpValue, double lowerBound, boolean converged) {}

  // Pricing is exhaustive up to this many search nodes per column; beyond, the bound is relaxed.
  private static final int NODE_LIMIT = 300;
  private static final double EPS = 1e-9;

  private final List<long[]> shapes;
  private final List<Column> columns;
  private final Clock clock;
  private final long deadline;
  private final boolean[] dims;
  private final int[] useful;
  private final Integer[] byPrice;

  /**
   * @param shapes request vector of each pod shape
   * @param columns node kinds
   * @param deadline epoch millis after which generation stops early
   */
  PatternLp(List<long[]> shapes, List<Column> columns, Clock clock, long deadline) {
    this.shapes = shapes;
    this.columns = columns;
    this.clock = clock;
    this.deadline = deadline;
    int n = shapes.isEmpty() ? 0 : shapes.get(0).length;
    dims = new boolean[n];
    for (long[] s : shapes) {
      for (int k = 0; k < n; k++) {
        dims[k] |= s[k] > 0;
      }
    }
    useful = undominated();
    byPrice = new Integer[columns.size()];
    for (int i = 0; i < byPrice.length; i++) {
      byPrice[i] = i;
    }
    Arrays.sort(byPrice, Comparator.comparingDouble((Integer i) -> columns.get(i).price()));
  }

  /** Column generation for {@code demand}; returns null when some shape fits no column. */
  Bound bound(int[] demand) {
    List<Pattern> patterns = initial(demand);
    return patterns == null ? null : generate(demand, patterns);
  }

  /**
   * Nodes that hold exactly {@code demand}: column generation, then residual rounding (buy the
   * whole part of the LP's pattern counts, solve again for the rest, round the largest count up
   * when none is whole). Returns null when some shape fits no column; when the deadline passes, the
   * pods not yet placed are missing from the result.
   */
  List<Pattern> round(int[] demand) {
    int[] residual = demand.clone();
    List<Pattern> pool = initial(residual);
    if (pool == null) {
      return null;
    }
    Set<String> inPool = new HashSet<>();
    pool.forEach(p -> inPool.add(key(p)));
    List<Pattern> bins = new ArrayList<>();
    while (Arrays.stream(residual).sum() > 0 && clock.millis() <= deadline) {
      List<Pattern> cands = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Pattern p : pool) {
        Pattern q = capped(p, residual);
        if (q != null && seen.add(key(q))) {
          cands.add(q);
        }
      }
      generate(residual, cands);
      for (Pattern p : cands) {
        if (inPool.add(key(p))) {
          pool.add(p);
        }
      }
      double[] x = primal(residual, cands);
      Integer[] order = new Integer[cands.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -x[i]));
      boolean bought = false;
      for (int i : order) {
        for (int k = 0; k < (int) Math.floor(x[i] + 1e-6); k++) {
          Pattern q = capped(cands.get(i), residual);
          if (q != null) {
            buy(q, residual, bins);
            bought = true;
          }
        }
      }
      if (!bought && order.length > 0) {
        Pattern q = capped(cands.get(order[0]), residual);
        if (q == null) {
          break;
        }
        buy(q, residual, bins);
      }
    }
    return bins;
  }

  private static void buy(Pattern p, int[] residual, List<Pattern> bins) {
    for (int s = 0; s < residual.length; s++) {
      residual[s] -= p.counts[s];
    }
    bins.add(p);
  }

  private static String key(Pattern p) {
    return p.column + Arrays.toString(p.counts);
  }

  /** The pattern cut down to {@code residual}, on the cheapest column that holds it, or null. */
  private Pattern capped(Pattern p, int[] residual) {
    int[] c = new int[residual.length];
    boolean any = false;
    for (int s = 0; s < c.length; s++) {
      c[s] = Math.min(p.counts[s], residual[s]);
      any |= c[s] > 0;
    }
    if (!any) {
      return null;
    }
    long[] load = load(c);
    for (int col : byPrice) {
      if (admits(col, c, load)) {
        return new Pattern(col, c);
      }
    }
    return new Pattern(p.column, c);
  }

  private long[] load(int[] counts) {
    long[] load = new long[dims.length];
    for (int s = 0; s < counts.length; s++) {
      for (int k = 0; k < load.length && counts[s] > 0; k++) {
        load[k] += counts[s] * shapes.get(s)[k];
      }
    }
    return load;
  }

  private boolean admits(int col, int[] counts, long[] load) {
    Column c = columns.get(col);
    for (int s = 0; s < counts.length; s++) {
      if (counts[s] > 0 && !c.shapes.get(s)) {
        return false;
      }
    }
    for (int k = 0; k < load.length; k++) {
      if (load[k] > c.alloc[k]) {
        return false;
      }
    }
    return true;
  }

  /** One single-shape pattern per demanded shape on the column cheapest per pod; null if none. */
  private List<Pattern> initial(int[] demand) {
    List<Pattern> out = new ArrayList<>();
    for (int s = 0; s < demand.length; s++) {
      if (demand[s] <= 0) {
        continue;
      }
      Pattern best = null;
      double bestPerPod = Double.MAX_VALUE;
      for (int col : useful) {
        int m = Math.min(demand[s], maxCount(col, s, columns.get(col).alloc));
        if (m > 0 && columns.get(col).price / m < bestPerPod) {
          int[] counts = new int[demand.length];
          counts[s] = m;
          best = new Pattern(col, counts);
          bestPerPod = columns.get(col).price / m;
        }
      }
      if (best == null) {
        return null;
      }
      out.add(best);
    }
    return out;
  }

  private int maxCount(int col, int s, long[] room) {
    if (!columns.get(col).shapes.get(s)) {
      return 0;
    }
    long m = Integer.MAX_VALUE;
    long[] r = shapes.get(s);
    for (int k = 0; k < r.length; k++) {
      if (r[k] > 0) {
        m = Math.min(m, Math.max(0, room[k]) / r[k]);
      }
    }
    return (int) m;
  }

  private Bound generate(int[] demand, List<Pattern> patterns) {
    Set<String> seen = new HashSet<>();
    for (Pattern p : patterns) {
      seen.add(key(p));
    }
    double best = 0;
    while (true) {
      double[] pi = new double[demand.length];
      double value = duals(demand, patterns, pi);
      double theta = 1;
      int added = 0;
      for (int col : useful) {
        Priced r = new Pricing(col, pi, demand).run();
        double price = columns.get(col).price;
        theta = Math.max(theta, r.upper / price);
        if (r.value > price * (1 + EPS) + EPS) {
          Pattern p = new Pattern(col, r.counts);
          if (seen.add(key(p))) {
            patterns.add(p);
            added++;
          }
        }
      }
      // Farley: the duals scaled by theta are feasible for every pattern, so this bounds the LP.
      best = Math.max(best, value / theta);
      if (added == 0) {
        return new Bound(value, best, theta <= 1 + 1e-6);
      }
      if (clock.millis() > deadline) {
        return new Bound(value, best, false);
      }
    }
  }

  /** Solves the dual of the restricted master; fills {@code pi} and returns the LP value. */
  private double duals(int[] demand, List<Pattern> patterns, double[] pi) {
    ExpressionsBasedModel model = new ExpressionsBasedModel();
    Variable[] v = new Variable[demand.length];
    for (int s = 0; s < demand.length; s++) {
      if (demand[s] > 0) {
        v[s] = model.addVariable("pi" + s).lower(0).weight(demand[s]);
      }
    }
    for (int i = 0; i < patterns.size(); i++) {
      Pattern p = patterns.get(i);
      Expression e = model.addExpression("p" + i).upper(columns.get(p.column).price);
      for (int s = 0; s < demand.length; s++) {
        if (v[s] != null && p.counts[s] > 0) {
          e.set(v[s], p.counts[s]);
        }
      }
    }
    Optimisation.Result r = model.maximise();
    if (!r.getState().isFeasible()) {
      throw new IllegalStateException("pattern dual LP failed: " + r.getState());
    }
    int idx = 0;
    for (int s = 0; s < demand.length; s++) {
      pi[s] = v[s] == null ? 0 : Math.max(0, r.get(idx++).doubleValue());
    }
    return r.getValue();
  }

  /** Pattern counts of the restricted master's optimum. */
  private double[] primal(int[] demand, List<Pattern> patterns) {
    ExpressionsBasedModel model = new ExpressionsBasedModel();
    Variable[] x = new Variable[patterns.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = model.addVariable("x" + i).lower(0).weight(columns.get(patterns.get(i).column).price);
    }
    for (int s = 0; s < demand.length; s++) {
      if (demand[s] <= 0) {
        continue;
      }
      Expression e = model.addExpression("d" + s).lower(demand[s]);
      for (int i = 0; i < x.length; i++) {
        if (patterns.get(i).counts[s] > 0) {
          e.set(x[i], patterns.get(i).counts[s]);
        }
      }
    }
    Optimisation.Result r = model.minimise();
    if (!r.getState().isFeasible()) {
      throw new IllegalStateException("pattern LP failed: " + r.getState());
    }
    double[] out = new double[x.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.get(i).doubleValue();
    }
    return out;
  }

  /**
   * Columns no other column beats outright (at least as large in every demanded resource, allowing
   * every shape it allows, and no dearer): only those can be in a cheapest pattern.
   */
  private int[] undominated() {
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      Column a = columns.get(i);
      boolean dominated = false;
      for (int j = 0; j < columns.size() && !dominated; j++) {
        if (i == j) {
          continue;
        }
        Column b = columns.get(j);
        if (b.price > a.price + 1e-12) {
          continue;
        }
        boolean covers = true;
        boolean larger = false;
        for (int k = 0; k < dims.length && covers; k++) {
          if (dims[k]) {
            covers = b.alloc[k] >= a.alloc[k];
            larger |= b.alloc[k] > a.alloc[k];
          }
        }
        BitSet missing = (BitSet) a.shapes.clone();
        missing.andNot(b.shapes);
        dominated =
            covers
                && missing.isEmpty()
                && (larger || b.price < a.price - 1e-12 || (j < i && b.shapes.equals(a.shapes)));
      }
      if (!dominated) {
        keep.add(i);
      }
    }
    return keep.stream().mapToInt(Integer::intValue).toArray();
  }

  private record Priced(int[] counts, double value, double upper) {}

  /** Bounded multi-resource knapsack by depth-first branch and bound: the most valuable pattern. */
  private final class Pricing {
    private final long[] alloc;
    private final double[] pi;
    private final int[] cap;
    private final int[] items;
    private final int[][] dimOrder;
    private final int[] activeDims;
    private final int[] cur;
    private int[] best;
    private double bestValue;
    private int nodes;
    private boolean truncated;
    private double[] lambda;
    private double[] netProfit;

    Pricing(int col, double[] pi, int[] demand) {
      this.alloc = columns.get(col).alloc;
      this.pi = pi;
      this.cap = demand;
      this.cur = new int[demand.length];
      this.best = new int[demand.length];
      activeDims = java.util.stream.IntStream.range(0, dims.length).filter(k -> dims[k]).toArray();
      List<Integer> list = new ArrayList<>();
      for (int s = 0; s < demand.length; s++) {
        if (demand[s] > 0 && pi[s] > EPS && maxCount(col, s, alloc) > 0) {
          list.add(s);
        }
      }
      // Densest first (value per share of the node), so the first dive is a good greedy pattern.
      list.sort(Comparator.comparingDouble((Integer s) -> -pi[s] / size(s)));
      items = list.stream().mapToInt(Integer::intValue).toArray();
      dimOrder = new int[activeDims.length][];
      for (int d = 0; d < activeDims.length; d++) {
        int k = activeDims[d];
        Integer[] pos = new Integer[items.length];
        for (int i = 0; i < pos.length; i++) {
          pos[i] = i;
        }
        Arrays.sort(
            pos,
            Comparator.comparingDouble(
                (Integer i) -> -pi[items[i]] / Math.max(1, shapes.get(items[i])[k])));
        dimOrder[d] = Arrays.stream(pos).mapToInt(Integer::intValue).toArray();
      }
      multipliers(col);
    }

    /**
     * Lagrangian multipliers of the resources from the dual of the knapsack's LP relaxation (in
     * units of this column's allocatable), and each item's profit net of them: with these, {@link
     * #bound} at the root is the LP bound, and stays valid deeper down.
     */
    private void multipliers(int col) {
      lambda = new double[activeDims.length];
      netProfit = new double[items.length];
      if (items.length == 0) {
        return;
      }
      ExpressionsBasedModel model = new ExpressionsBasedModel();
      Variable[] l = new Variable[activeDims.length];
      for (int d = 0; d < l.length; d++) {
        l[d] = model.addVariable("l" + d).lower(0).weight(1);
      }
      for (int i = 0; i < items.length; i++) {
        int s = items[i];
        Variable mu =
            model.addVariable("mu" + i).lower(0).weight(Math.min(cap[s], maxCount(col, s, alloc)));
        Expression e = model.addExpression("item" + i).lower(pi[s]);
        e.set(mu, 1);
        for (int d = 0; d < l.length; d++) {
          int k = activeDims[d];
          if (alloc[k] > 0 && shapes.get(s)[k] > 0) {
            e.set(l[d], (double) shapes.get(s)[k] / alloc[k]);
          }
        }
      }
      Optimisation.Result r = model.minimise();
      if (r.getState().isFeasible()) {
        for (int d = 0; d < l.length; d++) {
          lambda[d] = Math.max(0, r.get(d).doubleValue());
        }
      }
      for (int i = 0; i < items.length; i++) {
        int s = items[i];
        double used = 0;
        for (int d = 0; d < activeDims.length; d++) {
          int k = activeDims[d];
          if (alloc[k] > 0) {
            used += lambda[d] * shapes.get(s)[k] / alloc[k];
          }
        }
        netProfit[i] = Math.max(0, pi[s] - used);
      }
    }

    /**
     * The incumbent: items in order of value per resource priced at the multipliers (the order in
     * which the LP relaxation takes them), each as many as still fit.
     */
    private void greedy() {
      double[] ratio = new double[items.length];
      Integer[] order = new Integer[items.length];
      for (int i = 0; i < items.length; i++) {
        order[i] = i;
        double used = 0;
        for (int d = 0; d < activeDims.length; d++) {
          int k = activeDims[d];
          if (alloc[k] > 0) {
            used += lambda[d] * shapes.get(items[i])[k] / alloc[k];
          }
        }
        ratio[i] = pi[items[i]] / Math.max(used, 1e-12);
      }
      Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -ratio[i]));
      long[] room = alloc.clone();
      int[] counts = new int[cap.length];
      double value = 0;
      for (int i : order) {
        int s = items[i];
        int m = Math.min(cap[s], maxCountIn(s, room));
        counts[s] = m;
        value += m * pi[s];
        for (int k = 0; k < room.length; k++) {
          room[k] -= m * shapes.get(s)[k];
        }
      }
      if (value > bestValue) {
        bestValue = value;
        best = counts;
      }
    }

    private double size(int s) {
      double z = 0;
      for (int k : activeDims) {
        if (alloc[k] > 0) {
          z += (double) shapes.get(s)[k] / alloc[k];
        }
      }
      return Math.max(z, 1e-12);
    }

    Priced run() {
      double root = bound(0, alloc.clone());
      long[] room = alloc.clone();
      greedy();
      dfs(0, room, 0);
      return new Priced(best.clone(), bestValue, truncated ? Math.max(root, bestValue) : bestValue);
    }

    /**
     * The least of the Lagrangian bound and the fractional single-resource knapsack bounds over
     * items from {@code from}.
     */
    private double bound(int from, long[] room) {
      double b = 0;
      for (int d = 0; d < activeDims.length; d++) {
        int k = activeDims[d];
        if (alloc[k] > 0) {
          b += lambda[d] * Math.max(0, room[k]) / alloc[k];
        }
      }
      for (int i = from; i < items.length; i++) {
        if (netProfit[i] > 0) {
          b += netProfit[i] * Math.min(cap[items[i]], maxCountIn(items[i], room));
        }
      }
      for (int d = 0; d < activeDims.length; d++) {
        int k = activeDims[d];
        double left = room[k];
        double v = 0;
        for (int i : dimOrder[d]) {
          if (i < from) {
            continue;
          }
          int s = items[i];
          long r = shapes.get(s)[k];
          if (r == 0) {
            v += pi[s] * cap[s];
            continue;
          }
          double take = Math.min(cap[s], left / r);
          v += take * pi[s];
          left -= take * r;
          if (left <= 0) {
            break;
          }
        }
        b = Math.min(b, v);
      }
      return b;
    }

    private void dfs(int i, long[] room, double value) {
      if (++nodes > NODE_LIMIT) {
        truncated = true;
        return;
      }
      if (value > bestValue) {
        bestValue = value;
        best = cur.clone();
      }
      if (i == items.length || value + bound(i, room) <= bestValue + EPS) {
        return;
      }
      int s = items[i];
      long[] r = shapes.get(s);
      int m = Math.min(cap[s], maxCountIn(s, room));
      for (int k = 0; k < room.length; k++) {
        room[k] -= m * r[k];
      }
      int c = m;
      while (true) {
        cur[s] = c;
        dfs(i + 1, room, value + c * pi[s]);
        if (truncated || c == 0) {
          break;
        }
        c--;
        for (int k = 0; k < room.length; k++) {
          room[k] += r[k];
        }
      }
      for (int k = 0; k < room.length; k++) {
        room[k] += (long) c * r[k];
      }
      cur[s] = 0;
    }

    private int maxCountIn(int s, long[] room) {
      long m = Integer.MAX_VALUE;
      long[] r = shapes.get(s);
      for (int k : activeDims) {
        if (r[k] > 0) {
          m = Math.min(m, Math.max(0, room[k]) / r[k]);
        }
      }
      return (int) m;
    }
  }
}
