package dev.karpenter.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.bench.CatalogLoadBenchmark;
import dev.karpenter.bench.CatalogLoadBenchmark.ColdRun;
import dev.karpenter.bench.CatalogLoadBenchmark.WarmRun;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter bench catalog}: the cost of loading the embedded catalog, last line JSON. */
@Command(
    name = "catalog",
    mixinStandardHelpOptions = true,
    description =
        "Measure loading the embedded catalog plus the first instanceTypes(): in N fresh JVMs"
            + " (java -Xmx<max-heap>, class loading and JIT warm-up included) and warm in this"
            + " JVM. Reports median and p90 wall and CPU time and the heap retained after GC"
            + " against the target (< 200 ms, < 50 MiB); the last stdout line is JSON.")
public final class CatalogBenchCommand implements Runnable {
  static final double TARGET_MS = 200;
  static final double TARGET_HEAP_MIB = 50;
  private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");
  private static final double MIB = 1024 * 1024;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--runs", defaultValue = "10", description = "Fresh JVMs, and warm runs.")
  int runs;

  @Option(
      names = "--warmup",
      defaultValue = "10",
      description = "Unmeasured in-process runs before the warm ones.")
  int warmup;

  @Option(names = "--region", defaultValue = "us-east-1", description = "Catalog region.")
  String region;

  @Option(
      names = "--max-heap",
      defaultValue = "50m",
      description = "-Xmx of the fresh JVMs (default: 50m, the target).")
  String maxHeap;

  @Option(names = "-o", defaultValue = "table", description = "table or json.")
  String output;

  @Override
  public void run() {
    if (runs < 1 || runs > 1000) {
      throw usage("--runs must be between 1 and 1000");
    }
    if (warmup < 0) {
      throw usage("--warmup must be >= 0");
    }
    if (!HEAP.matcher(maxHeap).matches()) {
      throw usage("--max-heap must be a JVM size such as 50m or 1g, got '" + maxHeap + "'");
    }
    if (!output.equals("table") && !output.equals("json")) {
      throw usage("-o must be table or json");
    }
    if (!Catalog.regions().contains(region)) {
      throw usage(
          "unknown region '" + region + "' (the embedded catalog has " + Catalog.regions() + ")");
    }
    boolean table = output.equals("table");
    PrintWriter out = spec.commandLine().getOut();

    long baseline;
    try {
      baseline = CatalogLoadBenchmark.baselineHeapBytes(maxHeap);
    } catch (CatalogLoadBenchmark.ChildFailedException e) {
      throw new CliErrors.UserException("baseline JVM: " + e.getMessage());
    }
    List<ColdRun> cold = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      ColdRun r;
      try {
        r = CatalogLoadBenchmark.cold(region, maxHeap, baseline);
      } catch (CatalogLoadBenchmark.ChildFailedException e) {
        throw new CliErrors.UserException("fresh JVM run " + (i + 1) + ": " + e.getMessage());
      }
      cold.add(r);
      if (table) {
        out.printf(
            Locale.ROOT,
            "fresh JVM %2d: load %6.1f ms + first instanceTypes() %6.1f ms = %6.1f ms wall,"
                + " %6.1f ms CPU (process %6.1f ms), retained %5.1f MiB%n",
            i + 1,
            r.loadMs(),
            r.firstInstanceTypesMs(),
            r.wallMs(),
            r.cpuMs(),
            r.processCpuMs(),
            r.retainedBytes() / MIB);
        out.flush();
      }
    }
    for (int i = 0; i < warmup; i++) {
      CatalogLoadBenchmark.warm(region);
    }
    List<WarmRun> warm = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      warm.add(CatalogLoadBenchmark.warm(region));
    }

    Map<String, Object> report = report(cold, warm);
    if (table) {
      printTable(out, report);
    }
    try {
      out.println(new ObjectMapper().writeValueAsString(report));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }

  private Map<String, Object> report(List<ColdRun> cold, List<WarmRun> warm) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("runs", cold.size());
    c.put("wallMs", stats(cold, ColdRun::wallMs));
    c.put("cpuMs", stats(cold, ColdRun::cpuMs));
    c.put("processCpuMs", stats(cold, ColdRun::processCpuMs));
    c.put("loadMs", stats(cold, ColdRun::loadMs));
    c.put("firstInstanceTypesMs", stats(cold, ColdRun::firstInstanceTypesMs));
    c.put("jvmTotalMs", stats(cold, ColdRun::jvmTotalMs));
    c.put("retainedMiB", stats(cold, r -> r.retainedBytes() / MIB));
    c.put("heapUsedAfterGcMiB", stats(cold, r -> r.heapUsedAfterGcBytes() / MIB));
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("runs", warm.size());
    w.put("warmup", warmup);
    w.put("wallMs", stats(warm, WarmRun::wallMs));
    w.put("cpuMs", stats(warm, WarmRun::cpuMs));

    double medianWall = CatalogLoadBenchmark.median(values(cold, ColdRun::wallMs));
    double maxHeapMiB = max(values(cold, r -> r.heapUsedAfterGcBytes() / MIB));
    Map<String, Object> target = new LinkedHashMap<>();
    target.put("wallMs", TARGET_MS);
    target.put("heapMiB", TARGET_HEAP_MIB);
    target.put("met", medianWall < TARGET_MS && maxHeapMiB < TARGET_HEAP_MIB);

    Map<String, Object> r = new LinkedHashMap<>();
    r.put("benchmark", "catalog");
    r.put("region", region);
    r.put("types", cold.get(0).types());
    r.put("maxHeap", maxHeap);
    r.put("cold", c);
    r.put("warm", w);
    r.put("target", target);
    r.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    r.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    return r;
  }

  @SuppressWarnings("unchecked")
  private void printTable(PrintWriter out, Map<String, Object> report) {
    Map<String, Object> c = (Map<String, Object>) report.get("cold");
    Map<String, Object> w = (Map<String, Object>) report.get("warm");
    Map<String, Object> target = (Map<String, Object>) report.get("target");
    out.printf(
        Locale.ROOT,
        "%n%s: %s types; %d fresh JVMs with -Xmx%s, %d warm runs%n",
        region,
        report.get("types"),
        runs,
        maxHeap,
        runs);
    out.printf(Locale.ROOT, "%-46s %10s %10s%n", "", "median", "p90");
    row(out, "cold wall, load + first instanceTypes() (ms)", c.get("wallMs"));
    row(out, "  of which Catalog.load (ms)", c.get("loadMs"));
    row(out, "  of which first instanceTypes() (ms)", c.get("firstInstanceTypesMs"));
    row(out, "cold CPU, main thread (ms)", c.get("cpuMs"));
    row(out, "cold CPU, whole process incl. JIT/GC (ms)", c.get("processCpuMs"));
    row(out, "child JVM lifetime, start to exit (ms)", c.get("jvmTotalMs"));
    row(out, "heap retained by the catalog after GC (MiB)", c.get("retainedMiB"));
    row(out, "heap used after GC, whole JVM (MiB)", c.get("heapUsedAfterGcMiB"));
    row(out, "warm wall (ms)", w.get("wallMs"));
    row(out, "warm CPU (ms)", w.get("cpuMs"));
    out.printf(
        Locale.ROOT,
        "target: median cold wall < %.0f ms and heap < %.0f MiB: %s%n",
        TARGET_MS,
        TARGET_HEAP_MIB,
        (Boolean) target.get("met") ? "MET" : "NOT MET");
  }

  @SuppressWarnings("unchecked")
  private static void row(PrintWriter out, String label, Object stats) {
    Map<String, Double> s = (Map<String, Double>) stats;
    out.printf(Locale.ROOT, "%-46s %10.1f %10.1f%n", label, s.get("median"), s.get("p90"));
  }

  private static <T> Map<String, Double> stats(List<T> runs, ToDoubleFunction<T> f) {
    double[] v = values(runs, f);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("median", round(CatalogLoadBenchmark.median(v)));
    m.put("p90", round(CatalogLoadBenchmark.p90(v)));
    m.put("min", round(min(v)));
    m.put("max", round(max(v)));
    return m;
  }

  private static <T> double[] values(List<T> runs, ToDoubleFunction<T> f) {
    return runs.stream().mapToDouble(f).toArray();
  }

  private static double min(double[] v) {
    double m = Double.POSITIVE_INFINITY;
    for (double x : v) {
      m = Math.min(m, x);
    }
    return m;
  }

  private static double max(double[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
