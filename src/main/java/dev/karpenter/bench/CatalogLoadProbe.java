package dev.karpenter.bench;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;

/**
 * The child process of {@code karpenter bench catalog}: in a fresh JVM, loads the embedded catalog
 * and derives its instance types once, as a user's first call does, then prints one JSON line with
 * the wall time, the main thread's CPU time, the whole process's CPU time (JIT and GC threads
 * included) and the heap still used after a full GC while the catalog is reachable. With {@value
 * #BASELINE} it reports only the heap used after GC without a catalog.
 */
public final class CatalogLoadProbe {
  private CatalogLoadProbe() {}

  /** Argument {@code --baseline}: only report the heap a JVM uses after GC without a catalog. */
  public static final String BASELINE = "--baseline";

  public static void main(String[] args) {
    String region = args.length > 0 ? args[0] : "us-east-1";
    if (region.equals(BASELINE)) {
      System.out.println("{\"heapUsedAfterGcBytes\": " + HeapUse.usedAfterGc() + "}");
      return;
    }
    // The MXBeans are created before the clock starts so their own class loading is not counted.
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    // No collection before the clock starts: a full GC shrinks the heap, and a user's first call
    // does not start with one. The retained size is taken against a --baseline JVM instead.

    long cpu0 = threads.getCurrentThreadCpuTime();
    long process0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Catalog catalog = Catalog.load(region);
    long t1 = System.nanoTime();
    List<InstanceType> types = catalog.instanceTypes();
    long t2 = System.nanoTime();
    long cpu2 = threads.getCurrentThreadCpuTime();
    long process2 = os.getProcessCpuTime();

    long heapAfter = HeapUse.usedAfterGc();
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"types\": %d, \"loadMs\": %.3f, \"firstInstanceTypesMs\": %.3f, \"wallMs\": %.3f,"
                + " \"cpuMs\": %.3f, \"processCpuMs\": %.3f, \"heapUsedAfterGcBytes\": %d}",
            types.size(),
            (t1 - t0) / 1e6,
            (t2 - t1) / 1e6,
            (t2 - t0) / 1e6,
            (cpu2 - cpu0) / 1e6,
            (process2 - process0) / 1e6,
            heapAfter));
    // Keeps the catalog reachable until after the heap measurement.
    java.lang.ref.Reference.reachabilityFence(types);
  }
}
