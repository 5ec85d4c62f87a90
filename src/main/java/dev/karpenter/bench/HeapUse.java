package dev.karpenter.bench;

import java.lang.management.ManagementFactory;

/** Heap measurements for the benchmarks. */
final class HeapUse {
  private HeapUse() {}

  /**
   * Bytes of heap in use after full collections, i.e. what live objects retain. Two collections,
   * because one may leave objects that only became unreachable during it.
   */
  static long usedAfterGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
