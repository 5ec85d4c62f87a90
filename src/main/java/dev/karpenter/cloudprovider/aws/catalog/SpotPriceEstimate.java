package dev.karpenter.cloudprovider.aws.catalog;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/**
 * Offline spot prices: on-demand price times (1 - discount). Spot prices move hourly, so without
 * DescribeSpotPriceHistory these are estimates and are flagged as such everywhere they are shown.
 *
 * <p>The GPU guide quotes roughly 70% below on-demand for g4dn, g5 and p3; those families carry
 * that figure. Other families have no published figure in our sources, so they use the same 70% as
 * an explicit assumption ({@link #DEFAULT_DISCOUNT}); docs/catalog.md says so.
 */
public final class SpotPriceEstimate {
  /** Families whose discount comes from a source (the GPU guide's spot table). */
  public static final Map<String, Double> FAMILY_DISCOUNT =
      Map.of("g4dn", 0.70, "g5", 0.70, "p3", 0.70);

  /** Assumed discount for families without a sourced figure. */
  public static final double DEFAULT_DISCOUNT = 0.70;

  private SpotPriceEstimate() {}

  public static double discount(String instanceType) {
    int dot = instanceType.indexOf('.');
    String family = dot < 0 ? instanceType : instanceType.substring(0, dot);
    return FAMILY_DISCOUNT.getOrDefault(family, DEFAULT_DISCOUNT);
  }

  /** Estimated spot $/h, rounded to 6 decimals so binary floating point noise never shows. */
  public static double estimate(String instanceType, double onDemandPrice) {
    return estimate(onDemandPrice, discount(instanceType));
  }

  static double estimate(double onDemandPrice, double discount) {
    double exact = estimateExactly(onDemandPrice, discount);
    return Double.isNaN(exact) ? estimateWithBigDecimal(onDemandPrice, discount) : exact;
  }

  /**
   * The decimal arithmetic of {@link #estimateWithBigDecimal} in longs, for prices and discounts
   * with few decimals (all real ones); NaN when they do not fit. BigDecimal's class initialisation
   * alone took tens of milliseconds of a fresh JVM's catalog load.
   */
  static double estimateExactly(double onDemandPrice, double discount) {
    long[] price = decimal(onDemandPrice);
    long[] off = decimal(discount);
    if (price == null || off == null || off[1] > 6 || off[0] > POW10[(int) off[1]]) {
      return Double.NaN;
    }
    long keep = POW10[(int) off[1]] - off[0];
    int scale = (int) (price[1] + off[1]);
    long product;
    try {
      product = Math.multiplyExact(price[0], keep);
      if (scale <= 6) {
        product = Math.multiplyExact(product, POW10[6 - scale]);
      } else {
        long unit = POW10[scale - 6];
        long q = product / unit;
        product = 2 * (product % unit) >= unit ? q + 1 : q;
      }
    } catch (ArithmeticException e) {
      return Double.NaN;
    }
    // Both operands are exact doubles below 2^53, so the division is the correctly rounded value,
    // as BigDecimal.doubleValue() is.
    return product < (1L << 53) ? product / 1e6 : Double.NaN;
  }

  static double estimateWithBigDecimal(double onDemandPrice, double discount) {
    BigDecimal p =
        BigDecimal.valueOf(onDemandPrice)
            .multiply(BigDecimal.ONE.subtract(BigDecimal.valueOf(discount)));
    return p.setScale(6, RoundingMode.HALF_UP).doubleValue();
  }

  private static final long[] POW10 = new long[19];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  /**
   * {@code {unscaled, scale}} of {@code BigDecimal.valueOf(v)}, the shortest decimal that rounds to
   * {@code v}, for {@code 0 <= v < 1024} with at most 9 decimals; null otherwise. Below 1024 one
   * ulp times 10^9 is under 0.001, so the rounded {@code v * 10^k} is the only k-decimal candidate,
   * and the first k whose candidate converts back to {@code v} gives the shortest one (what {@link
   * Double#toString} prints, without its cost in a cold JVM).
   */
  static long[] decimal(double v) {
    if (!(v >= 0 && v < 1024)) {
      return null;
    }
    for (int k = 0; k <= 9; k++) {
      long m = Math.round(v * POW10[k]);
      if (m / (double) POW10[k] == v) {
        return new long[] {m, k};
      }
    }
    return null;
  }
}
