package dev.karpenter.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Prometheus (Debian 2.42, {@code hack/provision.sh prometheus}, or {@code
 * KARPENTER_PROMETHEUS}) scraping one loopback target, with a PromQL query helper. Tag tests that
 * use it {@code @Tag("prometheus")}.
 */
public final class Prometheus implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STARTUP = Duration.ofSeconds(60);

  /** One sample of an instant-vector result. */
  public record Sample(Map<String, String> labels, double value, Instant timestamp) {}

  private final Process process;
  private final Path workDir;
  private final URI baseUri;
  private final HttpClient http = HttpClient.newHttpClient();

  private Prometheus(Process process, Path workDir, URI baseUri) {
    this.process = process;
    this.workDir = workDir;
    this.baseUri = baseUri;
  }

  /**
   * Starts Prometheus with a generated config whose only job, {@code jobName}, scrapes {@code
   * target} ({@code host:port}, metrics at /metrics) every {@code scrapeInterval}; returns once it
   * is ready.
   */
  public static Prometheus start(String jobName, String target, Duration scrapeInterval) {
    Path binary = binary();
    try {
      Files.createDirectories(Harness.buildDir("prometheus"));
      Path dir = Files.createTempDirectory(Harness.buildDir("prometheus"), "run-");
      String interval = scrapeInterval.toMillis() + "ms";
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          """
          global:
            scrape_interval: %s
            evaluation_interval: %s
          scrape_configs:
            - job_name: %s
              static_configs:
                - targets: ['%s']
          """
              .formatted(interval, interval, jobName, target));
      int port = Harness.freePort();
      Process process =
          new ProcessBuilder(
                  binary.toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      Prometheus prometheus =
          new Prometheus(process, dir, URI.create("http://127.0.0.1:" + port + "/"));
      prometheus.awaitReady();
      return prometheus;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + binary, e);
    }
  }

  private static Path binary() {
    String env = Harness.env("KARPENTER_PROMETHEUS");
    if (env != null) {
      return checked(Path.of(env));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "prometheus");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return checked(Path.of("/usr/bin/prometheus"));
  }

  private static Path checked(Path path) {
    if (!Files.isExecutable(path)) {
      throw Harness.missing(
          "Prometheus (" + path + ")",
          "prometheus",
          "set KARPENTER_PROMETHEUS to an existing binary");
    }
    return path;
  }

  public URI baseUri() {
    return baseUri;
  }

  /** Runs an instant PromQL query and returns its vector samples (empty when nothing matches). */
  public List<Sample> query(String promql) {
    URI uri =
        baseUri.resolve("api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
      return parseVector(response.statusCode(), response.body(), promql);
    } catch (IOException e) {
      throw new UncheckedIOException("Prometheus query failed: " + promql, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Polls {@link #query} until it returns at least one sample, or fails after {@code timeout}. */
  public List<Sample> awaitSamples(String promql, Duration timeout) {
    try {
      return Awaitility.await("samples for " + promql)
          .atMost(timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(250))
          .until(() -> query(promql), samples -> !samples.isEmpty());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "no samples for `" + promql + "` within " + timeout + "; see " + workDir, e);
    }
  }

  static List<Sample> parseVector(int httpStatus, String body, String promql) throws IOException {
    JsonNode root = JSON.readTree(body);
    if (httpStatus != 200 || !"success".equals(root.path("status").asText())) {
      throw new IllegalArgumentException(
          "Prometheus rejected `" + promql + "` (HTTP " + httpStatus + "): " + root.path("error"));
    }
    JsonNode data = root.path("data");
    if (!"vector".equals(data.path("resultType").asText())) {
      throw new IllegalArgumentException(
          "`"
              + promql
              + "` gave a "
              + data.path("resultType").asText()
              + ", not an instant vector");
    }
    List<Sample> samples = new ArrayList<>();
    for (JsonNode r : data.path("result")) {
      Map<String, String> labels = new LinkedHashMap<>();
      r.path("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      JsonNode value = r.path("value");
      double seconds = value.get(0).asDouble();
      samples.add(
          new Sample(
              Map.copyOf(labels),
              Double.parseDouble(value.get(1).asText()),
              Instant.ofEpochMilli(Math.round(seconds * 1000))));
    }
    return List.copyOf(samples);
  }

  private void awaitReady() {
    Instant deadline = Instant.now().plus(STARTUP);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Prometheus exited with "
                + process.exitValue()
                + "; see "
                + workDir.resolve("prometheus.log"));
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(baseUri.resolve("-/ready")).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      sleep(Duration.ofMillis(100));
    }
    close();
    throw new IllegalStateException("Prometheus was not ready within " + STARTUP);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    http.close();
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(workDir.resolve("data"))) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // the TSDB is scratch space under target/
    }
  }
}
