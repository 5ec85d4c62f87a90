package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTest {

  @Test
  void vectorResultBecomesSamplesWithLabelsValueAndTime() throws Exception {
    String body =
        """
        {"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"__name__":"karpenter_nodes_created_total","job":"k"},"value":[1700000000.5,"3"]}]}}
        """;

    List<Prometheus.Sample> samples = Prometheus.parseVector(200, body, "q");

    assertEquals(
        List.of(
            new Prometheus.Sample(
                Map.of("__name__", "karpenter_nodes_created_total", "job", "k"),
                3.0,
                Instant.ofEpochMilli(1_700_000_000_500L))),
        samples);
  }

  @Test
  void aRejectedQueryNamesTheQueryAndPrometheusError() {
    String body =
        """
        {"status":"error","errorType":"bad_data","error":"parse error at char 5"}
        """;

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Prometheus.parseVector(400, body, "rate(x[)"));
    assertTrue(e.getMessage().contains("rate(x[)"), e.getMessage());
    assertTrue(e.getMessage().contains("parse error at char 5"), e.getMessage());
  }
}
