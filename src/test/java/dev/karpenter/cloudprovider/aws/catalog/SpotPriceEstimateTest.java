package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.karpenter.cloudprovider.InstanceType;
import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpotPriceEstimateTest {
  @Test
  void g5XlargeSpotIsSeventyPercentBelowOnDemand() {
    assertEquals(0.3018, SpotPriceEstimate.estimate("g5.xlarge", 1.006));
  }

  @Test
  void everyEmbeddedPriceTakesTheLongPathWithTheBigDecimalResult() {
    for (String region : Catalog.regions()) {
      Catalog c = Catalog.load(region);
      for (InstanceType t : c.instanceTypes()) {
        if (c.onDemandPrice(t.name()).isEmpty()) {
          continue;
        }
        double od = c.onDemandPrice(t.name()).getAsDouble();
        double d = SpotPriceEstimate.discount(t.name());
        double fast = SpotPriceEstimate.estimateExactly(od, d);
        assertFalse(Double.isNaN(fast), t.name() + " " + od + " fell back to BigDecimal");
        assertEquals(SpotPriceEstimate.estimateWithBigDecimal(od, d), fast, t.name() + " " + od);
      }
    }
  }

  @Test
  void matchesBigDecimalOnPricesWithUpToNineDecimalsIncludingRoundingTies() {
    Random rnd = new Random(7);
    double[] discounts = {0.7, 0.65, 0.123456, 0.5, 0.0, 1.0};
    for (int i = 0; i < 200_000; i++) {
      int decimals = rnd.nextInt(10);
      double price = rnd.nextLong(1, 200_000_000_000L) / Math.pow(10, decimals) % 1500;
      double d = discounts[i % discounts.length];
      assertEquals(
          SpotPriceEstimate.estimateWithBigDecimal(price, d),
          SpotPriceEstimate.estimate(price, d),
          price + " at " + d);
    }
  }

  @Test
  void halfWayAtTheSixthDecimalRoundsUpAsBigDecimalHalfUp() {
    // 0.0000025 * (1 - 0.8) = 0.0000005 exactly.
    assertEquals(0.000001, SpotPriceEstimate.estimate(0.0000025, 0.8));
    assertEquals(0.000001, SpotPriceEstimate.estimateWithBigDecimal(0.0000025, 0.8));
  }

  @Test
  void shortestDecimalIsWhatBigDecimalValueOfSees() {
    Random rnd = new Random(11);
    for (int i = 0; i < 100_000; i++) {
      double v = rnd.nextDouble() * 1023;
      long[] dec = SpotPriceEstimate.decimal(v);
      if (dec != null) {
        assertEquals(
            0, BigDecimal.valueOf(v).compareTo(BigDecimal.valueOf(dec[0], (int) dec[1])), "" + v);
      }
    }
    assertNull(SpotPriceEstimate.decimal(0.1 + 0.2), "needs 17 digits");
    assertNull(SpotPriceEstimate.decimal(2048.5), "outside the exact range");
    assertNull(SpotPriceEstimate.decimal(-1));
  }
}
