package dev.karpenter.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.karpenter.metrics.KarpenterMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/** /metrics (Prometheus text), /healthz and /readyz on one JDK HTTP server. */
public final class HttpEndpoints implements AutoCloseable {
  private final HttpServer server;

  public HttpEndpoints(int port, KarpenterMetrics metrics, BooleanSupplier ready)
      throws IOException {
    this(port, metrics, ready, "metrics-http");
  }

  /**
   * Only /healthz and /readyz, for the kubelet's probes on their own port (the chart's {@code
   * controller.healthProbe.port}), so a slow scrape never fails a probe.
   */
  public static HttpEndpoints health(int port, BooleanSupplier ready) throws IOException {
    return new HttpEndpoints(port, null, ready, "health-http");
  }

  private HttpEndpoints(int port, KarpenterMetrics metrics, BooleanSupplier ready, String thread)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    if (metrics != null) {
      server.createContext(
          "/metrics",
          ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    }
    server.createContext("/healthz", ex -> respond(ex, 200, "text/plain", "ok"));
    server.createContext(
        "/readyz",
        ex -> {
          boolean ok = ready.getAsBoolean();
          respond(ex, ok ? 200 : 503, "text/plain", ok ? "ok" : "not ready");
        });
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, thread);
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange ex, int code, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
