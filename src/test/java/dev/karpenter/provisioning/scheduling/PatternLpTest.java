package dev.karpenter.provisioning.scheduling;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PatternLpTest {
  private static final Clock NOW =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
  private static final long LATER = NOW.millis() + 60_000;

  /** {cpu milli, memory MiB, pods} */
  private static long[] shape(long cpu, long mem) {
    return new long[] {cpu, mem, 1};
  }

  private static PatternLp.Column column(long cpu, long mem, double price, BitSet shapes) {
    return new PatternLp.Column(new long[] {cpu, mem, 110}, price, shapes);
  }

  private static BitSet all(int n) {
    BitSet b = new BitSet();
    b.set(0, n);
    return b;
  }

  private static double cost(List<PatternLp.Column> columns, List<PatternLp.Pattern> bins) {
    return bins.stream().mapToDouble(b -> columns.get(b.column()).price()).sum();
  }

  @Test
  void roundedNodesHoldExactlyTheDemandAndFitTheirColumns() {
    Random r = new Random(3);
    List<long[]> shapes = new ArrayList<>();
    int[] demand = new int[12];
    for (int s = 0; s < demand.length; s++) {
      shapes.add(shape(250L * (1 + r.nextInt(16)), 512L * (1 + r.nextInt(16))));
      demand[s] = 1 + r.nextInt(40);
    }
    List<PatternLp.Column> columns = new ArrayList<>();
    for (int size = 1; size <= 64; size *= 2) {
      columns.add(column(1900L * size, 3500L * size, 0.04 * size, all(shapes.size())));
      columns.add(column(1900L * size, 7600L * size, 0.05 * size, all(shapes.size())));
    }
    PatternLp lp = new PatternLp(shapes, columns, NOW, LATER);
    for (PatternLp.Rounding rounding : PatternLp.Rounding.values()) {
      List<PatternLp.Pattern> bins = lp.round(demand, rounding);
      int[] placed = new int[demand.length];
      for (PatternLp.Pattern b : bins) {
        long[] load = new long[3];
        for (int s = 0; s < demand.length; s++) {
          placed[s] += b.counts()[s];
          for (int k = 0; k < 3; k++) {
            load[k] += b.counts()[s] * shapes.get(s)[k];
          }
        }
        for (int k = 0; k < 3; k++) {
          assertTrue(load[k] <= columns.get(b.column()).alloc()[k], rounding + " overfills " + b);
        }
      }
      assertArrayEquals(demand, placed, rounding.toString());
    }
  }

  @Test
  void balancesCpuHeavyAndMemoryHeavyPodsOverMatchingTypes() {
    // Each compute node holds two cpu-heavy pods, each memory node two memory-heavy ones; no node
    // holds one of each, so four nodes at $1 are optimal where one big node would cost $6.
    List<long[]> shapes = List.of(shape(2000, 1024), shape(500, 8192));
    List<PatternLp.Column> columns =
        List.of(
            column(4000, 8192, 1, all(2)),
            column(2000, 16384, 1, all(2)),
            column(16000, 65536, 6, all(2)));
    List<PatternLp.Pattern> bins =
        new PatternLp(shapes, columns, NOW, LATER)
            .round(new int[] {4, 4}, PatternLp.Rounding.RESIDUAL);
    assertEquals(4, cost(columns, bins), 1e-9);
  }

  @Test
  void restrictedColumnsHoldOnlyTheShapesTheyAllow() {
    // The cheap column may hold only shape 1 (as exotic types hold only pods no generic type fits).
    BitSet onlySecond = new BitSet();
    onlySecond.set(1);
    List<long[]> shapes = List.of(shape(1000, 1024), shape(1000, 1024));
    List<PatternLp.Column> columns =
        List.of(column(8000, 16384, 0.1, onlySecond), column(8000, 16384, 1, all(2)));
    List<PatternLp.Pattern> bins =
        new PatternLp(shapes, columns, NOW, LATER)
            .round(new int[] {5, 5}, PatternLp.Rounding.RESIDUAL);
    for (PatternLp.Pattern b : bins) {
      if (b.column() == 0) {
        assertEquals(0, b.counts()[0], "shape 0 on a column that does not allow it: " + b);
      }
    }
    assertEquals(1.1, cost(columns, bins), 1e-9);
  }

  @Test
  void pastTheDeadlineStillPlacesEveryPod() {
    List<long[]> shapes = List.of(shape(1500, 3000), shape(700, 6000));
    List<PatternLp.Column> columns =
        List.of(column(4000, 8000, 0.2, all(2)), column(16000, 32000, 0.8, all(2)));
    PatternLp lp = new PatternLp(shapes, columns, NOW, NOW.millis() - 1);
    List<PatternLp.Pattern> bins = lp.round(new int[] {30, 17}, PatternLp.Rounding.RESIDUAL);
    assertTrue(lp.late());
    int[] placed = new int[2];
    for (PatternLp.Pattern b : bins) {
      placed[0] += b.counts()[0];
      placed[1] += b.counts()[1];
    }
    assertArrayEquals(new int[] {30, 17}, placed);
  }

  @Test
  void shapeThatFitsNoColumnGivesNoPlan() {
    List<long[]> shapes = List.of(shape(1000, 1024), shape(9000, 1024));
    List<PatternLp.Column> columns = List.of(column(8000, 16384, 1, all(2)));
    assertNull(
        new PatternLp(shapes, columns, NOW, LATER)
            .round(new int[] {3, 1}, PatternLp.Rounding.RESIDUAL));
  }
}
