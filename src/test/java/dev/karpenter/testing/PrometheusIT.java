package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("prometheus")
class PrometheusIT {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private HttpServer endpoint;

  @BeforeEach
  void serveMetrics() throws IOException {
    endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    endpoint.createContext(
        "/metrics",
        exchange -> {
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    endpoint.start();
  }

  @AfterEach
  void stop() {
    endpoint.stop(0);
    registry.close();
  }

  @Test
  void promqlReadsBackACounterScrapedFromAMicrometerEndpoint() {
    Counter.builder("karpenter.harness.launches")
        .tag("nodepool", "gpu")
        .register(registry)
        .increment(7);
    String target = "127.0.0.1:" + endpoint.getAddress().getPort();

    try (Prometheus prometheus =
        Prometheus.start("karpenter-java", target, Duration.ofMillis(500))) {
      List<Prometheus.Sample> samples =
          prometheus.awaitSamples(
              "karpenter_harness_launches_total{nodepool=\"gpu\"}", Duration.ofSeconds(30));

      assertEquals(1, samples.size());
      assertEquals(7.0, samples.getFirst().value());
      assertEquals("karpenter-java", samples.getFirst().labels().get("job"));
      assertEquals(target, samples.getFirst().labels().get("instance"));
    }
  }
}
