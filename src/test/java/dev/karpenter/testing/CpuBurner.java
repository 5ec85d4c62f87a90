package dev.karpenter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps every core busy so timing-sensitive tests run on a loaded machine: {@code stress-ng --cpu
 * N} when it is installed ({@code apt-get install stress-ng}), else N busy-loop {@code sh}
 * processes. Separate processes, like the other tenants of a shared machine, not threads of the
 * test JVM. {@link #close()} (and a shutdown hook) always stops them.
 *
 * <p>As a JUnit extension ({@code @RegisterExtension static CpuBurner.Extension burner = new
 * CpuBurner.Extension(true)}) it burns for the whole test class; with {@code false} only when the
 * system property {@code karpenter.test.cpuBurner=true} is set, so any IT can be audited under
 * load.
 */
public final class CpuBurner implements AutoCloseable {
  public static final String PROPERTY = "karpenter.test.cpuBurner";

  private final List<Process> processes;
  private final String how;
  private final Thread hook;

  private CpuBurner(List<Process> processes, String how) {
    this.processes = processes;
    this.how = how;
    this.hook = new Thread(this::stop, "cpu-burner-stop");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** One burner per available core. */
  public static CpuBurner start() {
    return start(Runtime.getRuntime().availableProcessors());
  }

  public static CpuBurner start(int workers) {
    List<Process> ps = new ArrayList<>();
    try {
      if (stressNg() != null) {
        ps.add(
            new ProcessBuilder(
                    stressNg(), "--cpu", String.valueOf(workers), "--timeout", "2h", "--quiet")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
        return new CpuBurner(ps, "stress-ng --cpu " + workers);
      }
      for (int i = 0; i < workers; i++) {
        ps.add(
            new ProcessBuilder("sh", "-c", "while :; do :; done")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
      }
      return new CpuBurner(ps, workers + " busy-loop sh processes");
    } catch (IOException e) {
      ps.forEach(Process::destroyForcibly);
      throw new UncheckedIOException("starting the CPU burner failed", e);
    }
  }

  private static String stressNg() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, "stress-ng");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /** What is burning, e.g. {@code stress-ng --cpu 2}. */
  public String description() {
    return how;
  }

  /** Whether every burner process is still running. */
  public boolean alive() {
    return processes.stream().allMatch(Process::isAlive);
  }

  private void stop() {
    for (Process p : processes) {
      // stress-ng forks its workers: stop them too.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs stop() again, harmlessly
    }
  }

  /** Burns for a whole test class. */
  public static final class Extension implements BeforeAllCallback, AfterAllCallback {
    private final boolean always;
    private CpuBurner burner;

    /**
     * @param always burn even without {@code -Dkarpenter.test.cpuBurner=true}
     */
    public Extension(boolean always) {
      this.always = always;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
      if (always || Boolean.getBoolean(PROPERTY)) {
        burner = CpuBurner.start();
        System.out.println("CPU burner: " + burner.description());
      }
    }

    @Override
    public void afterAll(ExtensionContext context) {
      if (burner != null) {
        burner.close();
        burner = null;
      }
    }

    /** Whether the burner is running (null when this class runs without one). */
    public Boolean alive() {
      return burner == null ? null : burner.alive();
    }
  }
}
