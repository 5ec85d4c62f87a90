package dev.karpenter.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class KarpenterMetricsTest {
  static final Path MONITORING = Path.of("docs/examples/gpu-guide/monitoring");

  /** Every karpenter_* family the guide's dashboard queries and alert rules use. */
  static Set<String> guideFamilies() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String file : new String[] {"09-dashboard-queries.promql", "09-alert-rules.yaml"}) {
      Matcher m =
          Pattern.compile("karpenter_[a-z_]+").matcher(Files.readString(MONITORING.resolve(file)));
      while (m.find()) {
        names.add(m.group().replaceFirst("_bucket$", ""));
      }
    }
    return names;
  }

  static long typeLines(String scrape, String family) {
    return scrape.lines().filter(l -> l.startsWith("# TYPE " + family + " ")).count();
  }

  @Test
  void everyFamilyTheGuideQueriesIsDeclaredFromStartUp() throws IOException {
    String scrape = new KarpenterMetrics().scrape();
    Set<String> families = guideFamilies();
    assertTrue(families.size() >= 4, "found the guide's metric names: " + families);
    for (String family : families) {
      assertEquals(1, typeLines(scrape, family), family + " is declared exactly once");
    }
  }

  @Test
  void everyGuideFamilyOfTheIssueIsDeclaredExactlyOnceAfterItHasSeries() {
    KarpenterMetrics metrics = new KarpenterMetrics();
    metrics.registerNodePool("gpu-general");
    metrics.nodeClaimLaunched("gpu-general");
    String scrape = metrics.scrape();
    KarpenterMetrics.GUIDE_FAMILIES.forEach(
        (family, type) ->
            assertTrue(
                scrape.lines().filter(l -> l.equals("# TYPE " + family + " " + type)).count() == 1,
                family + " declared once as " + type));
    assertTrue(
        scrape.contains("karpenter_nodeclaims_launched_total{nodepool=\"gpu-general\"} 1.0"));
  }

  @Test
  void aNodePoolGetsAProvisioningFailedSeriesAtZeroSoTheAlertEvaluates() {
    KarpenterMetrics metrics = new KarpenterMetrics();
    metrics.registerNodePool("gpu-general");
    assertTrue(
        metrics
            .scrape()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("karpenter_nodeclaims_terminated_total{")
                        && l.contains("nodepool=\"gpu-general\"")
                        && l.contains("reason=\"ProvisioningFailed\"")
                        && l.endsWith(" 0.0")),
        metrics.scrape());
  }

  @Test
  void createdCountersKeepKarpentersCreatedTotalNames() {
    KarpenterMetrics metrics = new KarpenterMetrics();
    metrics.nodeClaimsCreated("gpu-general", "provisioned", 2);
    metrics.nodeCreated("gpu-general", "us-east-1a");
    String scrape = metrics.scrape();
    assertEquals(1, typeLines(scrape, "karpenter_nodeclaims_created_total"));
    assertEquals(1, typeLines(scrape, "karpenter_nodes_created_total"));
    assertTrue(
        scrape
            .lines()
            .anyMatch(
                l -> l.startsWith("karpenter_nodeclaims_created_total{") && l.endsWith(" 2.0")));
    assertFalse(scrape.contains("karpenter_nodeclaims_total"), "no truncated name");
    assertFalse(scrape.contains("karpenter_nodes_total{"), "no truncated name");
  }
}
