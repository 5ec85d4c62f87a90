package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalClusterExtension;
import dev.karpenter.testing.Prometheus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real Prometheus scrapes the running operator during a small GPU-guide scenario (one GPU pod on
 * gpu-general, one pod pinned to an instance type that has no capacity anywhere), then every query
 * of the guide's dashboard and every alert expression of its rules is evaluated.
 *
 * <p>{@code DCGM_FI_DEV_GPU_UTIL} (the dashboard's utilisation panel and the LowGPUUtilization
 * alert) is NVIDIA's DCGM exporter's metric, not the autoscaler's: those two are skipped, by name,
 * and nothing else is.
 */
@Tag("local-cluster")
@Tag("prometheus")
@ExtendWith(LocalClusterExtension.class)
class GuideMetricsIT {
  // -Dkarpenter.test.cpuBurner=true runs this class with both cores busy (the loaded-machine
  // audit).
  @RegisterExtension static final CpuBurner.Extension BURNER = new CpuBurner.Extension(false);

  static final String NS = "e2e-guide-metrics";
  static final Path MONITORING = Path.of("docs/examples/gpu-guide/monitoring");
  static final String NVIDIA_EXPORTER_METRIC = "DCGM_FI_DEV_GPU_UTIL";
  static final Duration WAIT = Duration.ofSeconds(180);

  static KubernetesClient client;
  static SimulatedCloudProvider cloud;
  static KarpenterOperator operator;
  static Prometheus prometheus;

  @BeforeAll
  static void scenario(KubernetesClient c) {
    client = c;
    E2E.installCrds(client);
    E2E.applyFile(client, "docs/examples/gpu-guide/02-gpu-nodepools.yaml");
    E2E.namespace(client, NS);
    OperatorConfig config = E2E.config("guide-metrics-it", "guide-metrics-it").withMetricsPort(0);
    cloud = E2E.cloud(client, config);
    operator = E2E.operator(client, config, cloud);
    prometheus =
        Prometheus.start(
            "karpenter", "127.0.0.1:" + operator.metricsPort(), Duration.ofMillis(500));
    // The failure counter must be scraped at zero before it moves, or increase() has one sample.
    prometheus.awaitSamples(
        "karpenter_nodeclaims_terminated_total{nodepool=\"gpu-general\",reason=\"ProvisioningFailed\"}",
        WAIT);
    for (Offering o : E2E.CATALOG.get("g5.xlarge").orElseThrow().offerings()) {
      cloud.injectInsufficientCapacity(o.capacityType(), "g5.xlarge", o.zone());
    }
    client.resource(gpuPod("trainer", null)).create();
    client.resource(gpuPod("pinned-to-g5-xlarge", "g5.xlarge")).create();
    E2E.await(
        "the GPU pod Running",
        WAIT,
        () -> E2E.running(client.pods().inNamespace(NS).withName("trainer").get()));
  }

  @AfterAll
  static void stop() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (operator != null) {
      try {
        E2E.cleanUp(client, NS, List.of("gpu-general", "gpu-inference", "gpu-training"));
      } finally {
        operator.close();
        cloud.close();
      }
    }
  }

  static Pod gpuPod(String name, String instanceType) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put("karpenter.sh/nodepool", "gpu-general");
    if (instanceType != null) {
      selector.put("node.kubernetes.io/instance-type", instanceType);
    }
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(selector)
        .withTerminationGracePeriodSeconds(0L)
        .addNewToleration()
        .withKey("nvidia.com/gpu")
        .withOperator("Exists")
        .withEffect("NoSchedule")
        .endToleration()
        .addNewContainer()
        .withName("cuda")
        .withImage("nvidia/cuda:12.4.1-base-ubuntu22.04")
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("2"), "nvidia.com/gpu", new Quantity("1")))
        .withLimits(Map.of("nvidia.com/gpu", new Quantity("1")))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  /** The dashboard's queries: blocks separated by blank lines, without their comment lines. */
  static List<String> dashboardQueries() throws IOException {
    List<String> queries = new ArrayList<>();
    for (String block :
        Files.readString(MONITORING.resolve("09-dashboard-queries.promql")).split("\\n\\s*\\n")) {
      String q =
          String.join("\n", block.lines().filter(l -> !l.strip().startsWith("#")).toList()).strip();
      if (!q.isEmpty()) {
        queries.add(q);
      }
    }
    return queries;
  }

  /** Alert name to expression, from the guide's PrometheusRule. */
  static Map<String, String> alertExpressions() throws IOException {
    JsonNode doc = new YAMLMapper().readTree(MONITORING.resolve("09-alert-rules.yaml").toFile());
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode group : doc.path("spec").path("groups")) {
      for (JsonNode r : group.path("rules")) {
        out.put(r.path("alert").asText(), r.path("expr").asText().strip());
      }
    }
    return out;
  }

  @Test
  void everyDashboardQueryReturnsData() throws IOException {
    List<String> queries = dashboardQueries();
    assertEquals(4, queries.size(), "the guide's dashboard has four queries: " + queries);
    int evaluated = 0;
    for (String q : queries) {
      if (q.contains(NVIDIA_EXPORTER_METRIC)) {
        continue;
      }
      List<Prometheus.Sample> samples = prometheus.awaitSamples(q, WAIT);
      assertTrue(
          samples.stream().anyMatch(s -> !Double.isNaN(s.value())),
          "`" + q + "` returned only NaN: " + samples);
      evaluated++;
    }
    assertEquals(3, evaluated, "only the DCGM query is skipped");
  }

  @Test
  void everyAlertExpressionEvaluatesAndTheKarpenterOnesSeeTheScenario() throws IOException {
    Map<String, String> alerts = alertExpressions();
    assertEquals(
        List.of("GPUNodePoolNearLimit", "LowGPUUtilization", "KarpenterProvisioningFailed"),
        List.copyOf(alerts.keySet()));
    alerts.forEach(
        (name, expr) -> {
          if (!expr.contains(NVIDIA_EXPORTER_METRIC)) {
            prometheus.query(expr); // throws when Prometheus rejects the expression
          }
        });

    String nearLimit = alerts.get("GPUNodePoolNearLimit");
    String ratio = nearLimit.substring(0, nearLimit.lastIndexOf('>')).strip();
    List<Prometheus.Sample> ratios = prometheus.awaitSamples(ratio, WAIT);
    assertTrue(
        ratios.stream()
            .anyMatch(s -> "gpu-general".equals(s.labels().get("nodepool")) && s.value() > 0),
        "gpu-general's GPU usage/limit ratio, now that it has a GPU node: " + ratios);

    List<Prometheus.Sample> failed =
        prometheus.awaitSamples(alerts.get("KarpenterProvisioningFailed"), WAIT);
    assertTrue(
        failed.stream().anyMatch(s -> "gpu-general".equals(s.labels().get("nodepool"))),
        "the launch with no capacity fires the alert for gpu-general: " + failed);
  }

  @Test
  void everyGuideFamilyHasSeriesWhileTheScenarioRuns() {
    for (Map.Entry<String, String> f : KarpenterMetrics.GUIDE_FAMILIES.entrySet()) {
      String series = f.getValue().equals("histogram") ? f.getKey() + "_count" : f.getKey();
      prometheus.awaitSamples(series, WAIT);
    }
  }
}
