package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The probe port the chart points the kubelet at: /healthz always, /readyz once ready, no /metrics.
 */
class HttpEndpointsTest {
  static int get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void readinessFollowsTheSupplierAndLivenessAlwaysAnswers() throws Exception {
    AtomicBoolean ready = new AtomicBoolean();
    try (HttpEndpoints health = HttpEndpoints.health(0, ready::get)) {
      assertEquals(200, get(health.port(), "/healthz"));
      assertEquals(503, get(health.port(), "/readyz"));
      ready.set(true);
      assertEquals(200, get(health.port(), "/readyz"));
      assertEquals(404, get(health.port(), "/metrics"));
    }
  }
}
