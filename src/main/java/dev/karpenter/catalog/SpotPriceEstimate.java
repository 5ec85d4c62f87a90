package dev.karpenter.catalog;

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
    BigDecimal p =
        BigDecimal.valueOf(onDemandPrice)
            .multiply(BigDecimal.ONE.subtract(BigDecimal.valueOf(discount(instanceType))));
    return p.setScale(6, RoundingMode.HALF_UP).doubleValue();
  }
}
