package dev.karpenter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Where the provisioned parts live and how to run the project's {@code hack/} scripts. */
public final class Harness {
  private Harness() {}

  /**
   * The cache that {@code hack/lib.sh} fills: {@code $KARPENTER_CACHE} or ~/.cache/karpenter-java.
   */
  public static Path cacheDir() {
    String env = System.getenv("KARPENTER_CACHE");
    return env != null && !env.isBlank()
        ? Path.of(env)
        : Path.of(System.getProperty("user.home"), ".cache", "karpenter-java");
  }

  /**
   * The project root: the nearest directory upwards from the working directory with hack/lib.sh.
   */
  public static Path projectDir() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("hack/lib.sh"))) {
        return d;
      }
    }
    throw new IllegalStateException("no hack/lib.sh found above " + dir);
  }

  /** A directory under target/ for state that belongs to this build only. */
  public static Path buildDir(String name) {
    return projectDir().resolve("target").resolve(name);
  }

  /** The error for a part that is not provisioned: what is missing and how to provide it. */
  public static IllegalStateException missing(String what, String part, String alternative) {
    return new IllegalStateException(
        what
            + " is missing: run `hack/provision.sh "
            + part
            + "` (or `hack/test.sh`, which provisions everything), or "
            + alternative
            + "; see docs/development.md");
  }

  /** An environment variable, or {@code null} when unset or blank. */
  static String env(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? null : v;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The outcome of a finished command. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** The last non-empty stdout line. */
    public String lastLine() {
      List<String> lines = stdout.strip().lines().toList();
      return lines.isEmpty() ? "" : lines.getLast();
    }
  }

  /**
   * Runs a command to completion; stdout and stderr go through files so daemons it forks never
   * block us.
   */
  public static Result run(List<String> command, Map<String, String> env, Duration timeout) {
    try {
      Path out = Files.createTempFile("harness-", ".out");
      Path err = Files.createTempFile("harness-", ".err");
      try {
        ProcessBuilder pb =
            new ProcessBuilder(command)
                .directory(projectDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(
              String.join(" ", command)
                  + " did not finish within "
                  + timeout
                  + "; stderr: "
                  + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Result(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
    }
  }
}
