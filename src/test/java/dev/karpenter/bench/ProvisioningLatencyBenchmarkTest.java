package dev.karpenter.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ProvisioningLatencyBenchmarkTest {
  static final List<Double> ONE_TO_200 =
      IntStream.rangeClosed(1, 200).mapToObj(i -> (double) i).toList();

  @Test
  void percentilesAreNearestRank() {
    assertEquals(100.0, ProvisioningLatencyBenchmark.percentile(ONE_TO_200, 50));
    assertEquals(198.0, ProvisioningLatencyBenchmark.percentile(ONE_TO_200, 99));
    assertEquals(7.0, ProvisioningLatencyBenchmark.percentile(List.of(3.0, 7.0), 99));
  }

  @Test
  void noSamplesGiveNaNRatherThanZero() {
    assertTrue(Double.isNaN(ProvisioningLatencyBenchmark.percentile(List.of(), 50)));
  }
}
