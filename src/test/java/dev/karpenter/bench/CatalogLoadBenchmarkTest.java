package dev.karpenter.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CatalogLoadBenchmarkTest {
  @Test
  void medianOfOddAndEvenCounts() {
    assertEquals(3, CatalogLoadBenchmark.median(5, 1, 3));
    assertEquals(2.5, CatalogLoadBenchmark.median(4, 1, 3, 2));
  }

  @Test
  void p90IsTheNearestRank() {
    double[] ten = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    assertEquals(9, CatalogLoadBenchmark.p90(ten));
    assertEquals(42, CatalogLoadBenchmark.p90(42));
    assertEquals(20, CatalogLoadBenchmark.p90(10, 20));
  }

  @Test
  void noValuesIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> CatalogLoadBenchmark.median());
  }
}
