package dev.karpenter.provisioning.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * The LP relaxation of choosing instance types for pods: fractional node counts {@code x[t]} per
 * column (instance type) and fractions of each pod class's demand served by each compatible column,
 * minimising price. Solved with ojAlgo.
 */
final class PackingLp {
  static {
    // ojAlgo prints a hardware-profile notice on stdout when its class loads; it would corrupt
    // the JSON that simulate and bench print.
    System.setProperty("shut.up.ojAlgo", "true");
  }

  /** Optimal value and node counts. */
  record Solution(double cost, double[] nodes) {}

  private PackingLp() {}

  /**
   * @param alloc usable resources per column
   * @param price $/h per column
   * @param demand summed requests per class
   * @param compatible columns each class may use
   */
  static Solution solve(
      List<long[]> alloc, List<Double> price, List<long[]> demand, List<BitSet> compatible) {
    int n = alloc.isEmpty() ? 0 : alloc.get(0).length;
    boolean[] demanded = new boolean[n];
    for (long[] d : demand) {
      for (int k = 0; k < n; k++) {
        demanded[k] |= d[k] > 0;
      }
    }
    boolean[] keep = undominated(alloc, price, compatible, demanded);
    double[] scale = new double[n];
    for (long[] a : alloc) {
      for (int k = 0; k < n; k++) {
        scale[k] = Math.max(scale[k], a[k]);
      }
    }
    ExpressionsBasedModel model = new ExpressionsBasedModel();
    Variable[] nodes = new Variable[alloc.size()];
    for (int i = 0; i < nodes.length; i++) {
      if (keep[i]) {
        nodes[i] = model.addVariable("x" + i).lower(0).weight(price.get(i));
      }
    }
    List<List<Variable>> shares = new ArrayList<>();
    List<List<long[]>> shareDemand = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      shares.add(new ArrayList<>());
      shareDemand.add(new ArrayList<>());
    }
    for (int c = 0; c < demand.size(); c++) {
      Expression all = model.addExpression("class" + c).level(1);
      BitSet cols = compatible.get(c);
      for (int col = cols.nextSetBit(0); col >= 0; col = cols.nextSetBit(col + 1)) {
        if (!keep[col]) {
          continue;
        }
        Variable z = model.addVariable("z" + c + "_" + col).lower(0);
        all.set(z, 1);
        shares.get(col).add(z);
        shareDemand.get(col).add(demand.get(c));
      }
    }
    for (int col = 0; col < nodes.length; col++) {
      if (!keep[col]) {
        continue;
      }
      long[] a = alloc.get(col);
      for (int k = 0; k < n; k++) {
        if (scale[k] <= 0) {
          continue;
        }
        Expression cap = null;
        for (int i = 0; i < shares.get(col).size(); i++) {
          long d = shareDemand.get(col).get(i)[k];
          if (d > 0) {
            if (cap == null) {
              cap = model.addExpression("cap" + col + "_" + k).upper(0);
              cap.set(nodes[col], -a[k] / scale[k]);
            }
            cap.set(shares.get(col).get(i), d / scale[k]);
          }
        }
      }
    }
    Optimisation.Result result = model.minimise();
    if (!result.getState().isFeasible()) {
      throw new IllegalStateException("packing LP is infeasible: " + result.getState());
    }
    double[] x = new double[nodes.length];
    int v = 0; // node variables were added first, in column order
    for (int i = 0; i < x.length; i++) {
      x[i] = keep[i] ? result.get(v++).doubleValue() : 0;
    }
    return new Solution(result.getValue(), x);
  }

  /**
   * Drops columns that a scaled copy of another column beats: another type at least as large in
   * every demanded resource (so every class that fits the first fits it), usable by every class
   * that may use the first, whose price scaled down to cover the first is no higher. Such a column
   * never lowers the optimum, and removing it keeps the LP small (hundreds of types collapse to a
   * few per family).
   */
  private static boolean[] undominated(
      List<long[]> alloc, List<Double> price, List<BitSet> compatible, boolean[] demanded) {
    int m = alloc.size();
    BitSet[] usedBy = new BitSet[m];
    for (int i = 0; i < m; i++) {
      usedBy[i] = new BitSet();
    }
    for (int c = 0; c < compatible.size(); c++) {
      BitSet cols = compatible.get(c);
      for (int col = cols.nextSetBit(0); col >= 0; col = cols.nextSetBit(col + 1)) {
        usedBy[col].set(c);
      }
    }
    boolean[] keep = new boolean[m];
    for (int i = 0; i < m; i++) {
      keep[i] = !usedBy[i].isEmpty();
    }
    for (int i = 0; i < m; i++) {
      if (!keep[i]) {
        continue;
      }
      for (int j = 0; j < m && keep[i]; j++) {
        if (i == j || !keep[j]) {
          continue;
        }
        double alpha = 0;
        boolean covers = true;
        for (int k = 0; k < demanded.length && covers; k++) {
          if (!demanded[k]) {
            continue;
          }
          long a = alloc.get(i)[k];
          long b = alloc.get(j)[k];
          if (b < a) {
            covers = false;
          } else if (b > 0) {
            alpha = Math.max(alpha, (double) a / b);
          }
        }
        if (!covers) {
          continue;
        }
        BitSet missing = (BitSet) usedBy[i].clone();
        missing.andNot(usedBy[j]);
        double scaled = alpha * price.get(j);
        boolean strictlyBetter =
            scaled < price.get(i) - 1e-12 || (scaled <= price.get(i) + 1e-12 && j < i);
        if (missing.isEmpty() && strictlyBetter) {
          keep[i] = false;
        }
      }
    }
    return keep;
  }
}
