package dev.karpenter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.CatalogData;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Measures what loading the embedded catalog costs: cold, in fresh JVMs running {@link
 * CatalogLoadProbe} (class loading, interpretation and JIT warm-up included, as a user's first call
 * sees them), and warm, in this JVM after warm-up runs.
 */
public final class CatalogLoadBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long CHILD_TIMEOUT_SECONDS = 120;

  /** One fresh-JVM run, as {@link CatalogLoadProbe} reports it; times in milliseconds. */
  public record ColdRun(
      int types,
      double loadMs,
      double firstInstanceTypesMs,
      double wallMs,
      double cpuMs,
      double processCpuMs,
      long heapUsedAfterGcBytes,
      long retainedBytes,
      double jvmTotalMs) {}

  /** One in-process run after warm-up: read, decompress and derive every instance type. */
  public record WarmRun(int types, double wallMs, double cpuMs) {}

  /** Thrown when a child JVM fails; the message carries its exit code and standard error. */
  public static final class ChildFailedException extends RuntimeException {
    public ChildFailedException(String message) {
      super(message);
    }
  }

  private CatalogLoadBenchmark() {}

  /**
   * Starts {@code java -Xmx<maxHeap> -cp <this classpath> CatalogLoadProbe <region>} and returns
   * what it measured, plus the child's whole lifetime as seen from here ({@code jvmTotalMs}).
   *
   * @param baselineBytes heap a fresh JVM uses after GC without a catalog ({@link
   *     #baselineHeapBytes}), subtracted to get the catalog's retained size
   */
  public static ColdRun cold(String region, String maxHeap, long baselineBytes) {
    long start = System.nanoTime();
    JsonNode n = runProbe(maxHeap, region);
    double total = (System.nanoTime() - start) / 1e6;
    if (!n.has("wallMs")) {
      throw new ChildFailedException("the child JVM printed no measurement: " + n);
    }
    long heap = n.path("heapUsedAfterGcBytes").asLong();
    return new ColdRun(
        n.path("types").asInt(),
        n.path("loadMs").asDouble(),
        n.path("firstInstanceTypesMs").asDouble(),
        n.path("wallMs").asDouble(),
        n.path("cpuMs").asDouble(),
        n.path("processCpuMs").asDouble(),
        heap,
        heap - baselineBytes,
        total);
  }

  /** Heap a fresh JVM with the same settings uses after GC before it touches the catalog. */
  public static long baselineHeapBytes(String maxHeap) {
    JsonNode n = runProbe(maxHeap, CatalogLoadProbe.BASELINE);
    if (!n.has("heapUsedAfterGcBytes")) {
      throw new ChildFailedException("the child JVM printed no measurement: " + n);
    }
    return n.path("heapUsedAfterGcBytes").asLong();
  }

  private static JsonNode runProbe(String maxHeap, String argument) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        List.of(
            java.toString(),
            "-Xmx" + maxHeap,
            "-cp",
            System.getProperty("java.class.path"),
            CatalogLoadProbe.class.getName(),
            argument);
    Path err = null;
    try {
      err = Files.createTempFile("karpenter-bench-catalog", ".err");
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      p.getOutputStream().close();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new ChildFailedException(
            "the child JVM did not finish within " + CHILD_TIMEOUT_SECONDS + " s");
      }
      String stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
      if (stderr.isEmpty()) {
        // The JVM reports start-up failures such as a too small heap on standard output.
        stderr = out.strip();
      }
      if (p.exitValue() != 0) {
        throw new ChildFailedException(
            "the child JVM ("
                + String.join(" ", command.subList(0, 2))
                + " ...) exited with "
                + p.exitValue()
                + (stderr.isEmpty() ? "" : ": " + lastLines(stderr, 3)));
      }
      return parse(lastLine(out));
    } catch (IOException e) {
      throw new UncheckedIOException("running " + java, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChildFailedException("interrupted while waiting for the child JVM");
    } finally {
      if (err != null) {
        try {
          Files.deleteIfExists(err);
        } catch (IOException ignored) {
          // A leftover empty temp file is harmless.
        }
      }
    }
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      if (n != null && n.isObject()) {
        return n;
      }
    } catch (IOException e) {
      // Reported below with the line itself.
    }
    throw new ChildFailedException("the child JVM printed no result: '" + line + "'");
  }

  /**
   * Reads, decompresses and derives the catalog in this JVM, bypassing the per-process caches of
   * {@link Catalog#load}, so each run does the work a fresh process does.
   */
  public static WarmRun warm(String region) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    CatalogData data;
    try (InputStream in = Catalog.class.getResourceAsStream(CatalogData.RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(CatalogData.RESOURCE + " is missing from the classpath");
      }
      data = CatalogData.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<InstanceType> types = Catalog.of(data, region).instanceTypes();
    long t1 = System.nanoTime();
    long cpu1 = threads.getCurrentThreadCpuTime();
    return new WarmRun(types.size(), (t1 - t0) / 1e6, (cpu1 - cpu0) / 1e6);
  }

  /** The median of {@code values} (mean of the middle two for an even count). */
  public static double median(double... values) {
    double[] v = sorted(values);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** The nearest-rank 90th percentile: the smallest value at least 90% of the values are ≤ to. */
  public static double p90(double... values) {
    double[] v = sorted(values);
    int rank = (int) Math.ceil(0.9 * v.length);
    return v[Math.max(rank, 1) - 1];
  }

  private static double[] sorted(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    double[] v = values.clone();
    Arrays.sort(v);
    return v;
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  private static String lastLines(String text, int n) {
    String[] lines = text.split("\n");
    List<String> tail = new ArrayList<>();
    for (int i = Math.max(0, lines.length - n); i < lines.length; i++) {
      tail.add(lines[i].strip());
    }
    return String.join(" | ", tail);
  }
}
