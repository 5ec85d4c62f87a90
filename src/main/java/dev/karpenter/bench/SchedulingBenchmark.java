package dev.karpenter.bench;

import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.Pod;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/** Times {@link Scheduler#solve} on Karpenter's synthetic benchmark, as Karpenter times Solve. */
public final class SchedulingBenchmark {
  /**
   * One measured run. {@code cpuSeconds} is the CPU time of the solving thread: on a machine shared
   * with other work, wall time counts the time the thread waited for a core, CPU time does not.
   */
  public record Report(
      int pods,
      int nodes,
      int unschedulable,
      double seconds,
      double podsPerSecond,
      long heapMiB,
      double cpuSeconds) {
    public double podsPerCpuSecond() {
      return cpuSeconds > 0 ? pods / cpuSeconds : 0;
    }

    public String json() {
      return String.format(
          java.util.Locale.ROOT,
          "{\"pods\": %d, \"nodes\": %d, \"unschedulable\": %d, \"seconds\": %.3f,"
              + " \"podsPerSecond\": %.1f, \"heapMiB\": %d, \"cpuSeconds\": %.3f,"
              + " \"podsPerCpuSecond\": %.1f}",
          pods,
          nodes,
          unschedulable,
          seconds,
          podsPerSecond,
          heapMiB,
          cpuSeconds,
          podsPerCpuSecond());
    }
  }

  private SchedulingBenchmark() {}

  public static SchedulingInput diverseInput(int pods, int types) {
    List<Pod> podList = new BenchmarkWorkloads().diversePods(pods);
    return input(podList, types);
  }

  public static SchedulingInput preferenceInput(int pods, int types) {
    return input(new BenchmarkWorkloads().preferencePods(pods), types);
  }

  public static SchedulingInput upstreamPreferenceInput(int pods, int types) {
    return input(new BenchmarkWorkloads().upstreamPreferencePods(pods), types);
  }

  private static SchedulingInput input(List<Pod> pods, int types) {
    SchedulingNodePool pool =
        SchedulingNodePool.of(
            "default", 0, Requirements.NONE, BenchmarkWorkloads.fakeInstanceTypes(types));
    return SchedulingInput.of(pods, List.of(pool));
  }

  /** Runs the scheduler once on {@code input} and measures time and peak heap. */
  public static Report measure(Scheduler scheduler, SchedulingInput input) {
    System.gc();
    List<MemoryPoolMXBean> heap =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .toList();
    heap.forEach(MemoryPoolMXBean::resetPeakUsage);
    var threads = ManagementFactory.getThreadMXBean();
    long cpuStart = threads.getCurrentThreadCpuTime();
    long start = System.nanoTime();
    SchedulingResult r = scheduler.solve(input);
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean p : heap) {
      peak += p.getPeakUsage().getUsed();
    }
    int n = input.pendingPods().size();
    return new Report(
        n,
        r.nodeClaims().size(),
        r.unschedulable().size(),
        seconds,
        n / seconds,
        peak / (1024 * 1024),
        cpu);
  }
}
