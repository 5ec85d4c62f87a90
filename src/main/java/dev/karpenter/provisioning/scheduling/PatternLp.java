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

  // Pricing is exhaustive up to this many search nodes per column; beyond, the bound is relaxed.
  private static final int NODE_LIMIT = 300;
  private static final double EPS = 1e-9;
  // Improving patterns per pricing round, and pricing rounds per residual problem.
  private static final int BATCH = 8;
  private static final int RESIDUAL_ROUNDS = 10;
  private static final int MIX_STEPS = 10;

  private final List<long[]> shapes;
  private final List<Column> columns;
  private final Clock clock;
  private final long deadline;
  private final boolean[] dims;
  private final int[] useful;
  private final Integer[] byPrice;
  private int cursor;

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
    while (Arrays.stream(residual).sum() > 0) {
      boolean late = clock.millis() > deadline;
      List<Pattern> cands = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (Pattern p : pool) {
        Pattern q = capped(p, residual);
        if (q != null && seen.add(key(q))) {
          cands.add(q);
        }
      }
      if (!late) {
        generate(residual, cands, bins.isEmpty() ? Integer.MAX_VALUE : RESIDUAL_ROUNDS);
      }
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
      if (late) {
        // Out of time: round every count up; the capped copies cover the rest in one pass.
        for (int i : order) {
          for (int k = 0; k < (int) Math.ceil(x[i] - 1e-6); k++) {
            Pattern q = capped(cands.get(i), residual);
            if (q != null) {
              buy(q, residual, bins);
            }
          }
        }
        break;
      }
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

  /**
   * Column generation: adds patterns to {@code patterns} while some column has one that lowers the
   * LP. Partial pricing: each round prices columns, resuming where the last stopped, until a few
   * improving patterns are found.
   */
  private void generate(int[] demand, List<Pattern> patterns, int maxRounds) {
    Set<String> seen = new HashSet<>();
    for (Pattern p : patterns) {
      seen.add(key(p));
    }
    for (int round = 0; round < maxRounds && clock.millis() <= deadline; round++) {
      double[] pi = new double[demand.length];
      duals(demand, patterns, pi);
      int added = 0;
      // Cheap multipliers first; once those find nothing, the exact ones (an LP per column) for
      // the columns whose search was cut short.
      boolean[] cut = new boolean[columns.size()];
      for (int pass = 0; pass < 2 && added == 0; pass++) {
        for (int i = 0; i < useful.length && added < BATCH; i++) {
          int col = useful[(cursor + i) % useful.length];
          if (pass == 1 && !cut[col]) {
            continue;
          }
          Pricing pricing = new Pricing(col, pi, demand, pass == 1);
          Priced r = pricing.run();
          cut[col] = pricing.truncated;
          double price = columns.get(col).price;
          if (r.value > price * (1 + EPS) + EPS && seen.add(key(new Pattern(col, r.counts)))) {
            patterns.add(new Pattern(col, r.counts));
            added++;
            cursor = (cursor + i + 1) % useful.length;
          }
        }
      }
      if (added == 0) {
        return;
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

  private record Priced(int[] counts, double value) {}

  /** Bounded multi-resource knapsack by depth-first branch and bound: the most valuable pattern. */
  private final class Pricing {
    private final long[] alloc;
    private final double[] pi;
    private final int[] cap;
    private final int[] items;
    private final int[] activeDims;
    private final int[] cur;
    private int[] best;
    private double bestValue;
    private int nodes;
    private boolean truncated;
    private double[] lambda;
    private double[] netProfit;
    private final boolean exact;

    Pricing(int col, double[] pi, int[] demand, boolean exact) {
      this.exact = exact;
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
      multipliers(col);
    }

    /**
     * Lagrangian multipliers of the resources (per unit of this column's allocatable) and each
     * item's profit net of them. The multipliers minimise the Lagrangian bound {@code sum(lambda) +
     * sum_s m_s * max(0, pi_s - lambda . w_s)} by coordinate descent with exact line search; any
     * non-negative multipliers give a valid bound, and near-optimal ones make {@link #bound} close
     * to the LP bound and order {@link #greedy} as the LP relaxation would. (A small ojAlgo LP per
     * pricing call gave the exact optimum but dominated the run time.)
     */
    private void multipliers(int col) {
      int dn = activeDims.length;
      lambda = new double[dn];
      netProfit = new double[items.length];
      double[][] w = new double[items.length][dn];
      double[] m = new double[items.length];
      for (int i = 0; i < items.length; i++) {
        int s = items[i];
        m[i] = Math.min(cap[s], maxCount(col, s, alloc));
        for (int d = 0; d < dn; d++) {
          int k = activeDims[d];
          w[i][d] = alloc[k] > 0 ? (double) shapes.get(s)[k] / alloc[k] : 0;
        }
      }
      double[] c = new double[items.length];
      Integer[] order = new Integer[items.length];
      for (int sweep = 0; sweep < 8; sweep++) {
        boolean moved = false;
        for (int d = 0; d < dn; d++) {
          for (int i = 0; i < items.length; i++) {
            c[i] = pi[items[i]];
            for (int e = 0; e < dn; e++) {
              if (e != d) {
                c[i] -= lambda[e] * w[i][e];
              }
            }
            order[i] = i;
          }
          // The bound along lambda_d has slope 1 - sum(m_i w_id) over items still profitable;
          // items drop out at t = c_i / w_id. Stop at the first point where the slope turns >= 0.
          final int dd = d;
          double slope = 1;
          List<Integer> active = new ArrayList<>();
          for (int i = 0; i < items.length; i++) {
            if (w[i][d] > 0 && c[i] > 0) {
              slope -= m[i] * w[i][d];
              active.add(i);
            }
          }
          double t = 0;
          if (slope < 0) {
            active.sort(Comparator.comparingDouble((Integer i) -> c[i] / w[i][dd]));
            for (int i : active) {
              t = c[i] / w[i][d];
              slope += m[i] * w[i][d];
              if (slope >= 0) {
                break;
              }
            }
          }
          if (Math.abs(t - lambda[d]) > 1e-12) {
            moved = true;
          }
          lambda[d] = t;
        }
        if (!moved) {
          break;
        }
      }
      if (exact && items.length > 0) {
        exactMultipliers(col);
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

    /** The optimal multipliers, from the dual of the knapsack's LP relaxation solved by ojAlgo. */
    private void exactMultipliers(int col) {
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
    }

    /**
     * The incumbent: the best of greedy fills that take items in order of value per resource, with
     * resources priced at the multipliers, at each single resource, and at mixes of two.
     */
    private void greedy() {
      int dn = activeDims.length;
      List<double[]> weights = new ArrayList<>();
      weights.add(lambda);
      for (int d = 0; d < dn; d++) {
        double[] e = new double[dn];
        e[d] = 1;
        weights.add(e);
        for (int f = d + 1; f < dn; f++) {
          for (int step = 1; step < MIX_STEPS; step++) {
            double[] mix = new double[dn];
            mix[d] = (double) step / MIX_STEPS;
            mix[f] = 1 - mix[d];
            weights.add(mix);
          }
        }
      }
      double[] ratio = new double[items.length];
      Integer[] order = new Integer[items.length];
      for (double[] wt : weights) {
        for (int i = 0; i < items.length; i++) {
          order[i] = i;
          double used = 0;
          for (int d = 0; d < dn; d++) {
            int k = activeDims[d];
            if (alloc[k] > 0) {
              used += wt[d] * shapes.get(items[i])[k] / alloc[k];
            }
          }
          ratio[i] = pi[items[i]] / Math.max(used, 1e-12);
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -ratio[i]));
        fill(order);
      }
    }

    private void fill(Integer[] order) {
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
      long[] room = alloc.clone();
      greedy();
      dfs(0, room, 0);
      return new Priced(best, bestValue);
    }

    /** Lagrangian bound on what items from {@code from} can add in {@code room}. */
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
