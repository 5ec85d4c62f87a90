package dev.karpenter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateDisruptionTest {
  static final String DIR = "docs/examples/disruption/";

  static JsonNode json(String at, String... files) throws Exception {
    List<String> args = new ArrayList<>(List.of("simulate", "--disruption", "-o", "json"));
    args.addAll(List.of("--at", at));
    for (String f : files) {
      args.add("-f");
      args.add(f);
    }
    CliRunner.Result r = CliRunner.run(args.toArray(new String[0]));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  static List<String> fields(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  static String reasonOf(JsonNode doc, String node) {
    for (JsonNode b : doc.get("blocked")) {
      if (b.get("node").asText().equals(node)) {
        return b.get("reason").asText();
      }
    }
    return null;
  }

  static double onDemand(String type) {
    for (Offering o : Catalog.load("us-east-1").get(type).orElseThrow().offerings()) {
      if (o.zone().equals("us-east-1a") && o.capacityType().equals("on-demand")) {
        return o.price();
      }
    }
    throw new AssertionError(type);
  }

  @Test
  void insideTheBusinessHoursFreezeTheIdleGpuNodeStaysAndTheCpuNodesConsolidate() throws Exception {
    JsonNode d = json("2026-12-02T10:00:00Z", DIR); // Wednesday 10:00 UTC
    assertThat(fields(d)).containsExactly("decisions", "blocked", "nextBudgetWindow");
    assertThat(d.get("decisions")).hasSize(1);
    JsonNode dec = d.get("decisions").get(0);
    assertThat(fields(dec))
        .containsExactly("method", "reason", "nodes", "replacements", "savingsPerHour");
    assertThat(dec.get("method").asText()).isEqualTo("MultiNodeConsolidation");
    assertThat(dec.get("reason").asText()).isEqualTo("Underutilized");
    assertThat(dec.get("nodes").toString()).isEqualTo("[\"cpu-a\",\"cpu-b\"]");
    // Their two 1-CPU pods fit on cpu-job and cpu-pdb, so nothing replaces them.
    assertThat(dec.get("replacements")).isEmpty();
    assertThat(dec.get("savingsPerHour").asDouble())
        .isCloseTo(2 * onDemand("m5.4xlarge"), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(reasonOf(d, "gpu-idle")).contains("budget").contains("0 9 * * MON-FRI");
    assertThat(reasonOf(d, "gpu-train")).contains("karpenter.sh/do-not-disrupt=true");
    assertThat(reasonOf(d, "cpu-job")).contains("running Job nightly-etl");
    assertThat(reasonOf(d, "cpu-pdb")).contains("PDB default/api allows no disruption");
    assertThat(d.get("nextBudgetWindow").asText()).isEqualTo("2026-12-02T19:00:00Z");
  }

  @Test
  void afterTheFreezeTheIdleGpuNodeGoesFirstByEmptiness() throws Exception {
    JsonNode d = json("2026-12-02T20:00:00Z", DIR);
    JsonNode dec = d.get("decisions").get(0);
    assertThat(dec.get("method").asText()).isEqualTo("Emptiness");
    assertThat(dec.get("reason").asText()).isEqualTo("Empty");
    assertThat(dec.get("nodes").toString()).isEqualTo("[\"gpu-idle\"]");
    assertThat(dec.get("savingsPerHour").asDouble())
        .isCloseTo(onDemand("g5.xlarge"), org.assertj.core.data.Offset.offset(1e-6));
    // The training pool is still blocked until its 23:00 maintenance window.
    assertThat(d.get("nextBudgetWindow").asText()).isEqualTo("2026-12-02T23:00:00Z");
  }

  @Test
  void tableExplainsDecisionsBlockersBudgetsAndTheNextWindow() {
    CliRunner.Result r =
        CliRunner.run("simulate", "--disruption", "-f", DIR, "--at", "2026-12-02T10:00:00Z");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out())
        .contains("MultiNodeConsolidation")
        .contains("STAYS BECAUSE")
        .contains("IN FORCE")
        .contains("Next budget window: 2026-12-02T19:00:00Z");
  }

  @Test
  void oldNodesExpireForcefullyEvenInsideTheFreeze() throws Exception {
    // 720h (the default expireAfter) after 2026-12-01: every node expires.
    JsonNode d = json("2026-12-31T00:00:00Z", DIR);
    List<String> methods = new ArrayList<>();
    d.get("decisions").forEach(x -> methods.add(x.get("method").asText()));
    assertThat(methods).containsOnly("Expiration").hasSize(7);
    assertThat(d.get("decisions").get(0).get("reason").asText()).isEqualTo("Expired");
  }

  @Test
  void aNodeClaimWithAnOldTemplateHashDriftsAndDriftActsBeforeConsolidation(@TempDir Path tmp)
      throws Exception {
    Path claim = tmp.resolve("nodeclaim.yaml");
    Files.writeString(
        claim,
        """
        apiVersion: karpenter.sh/v1
        kind: NodeClaim
        metadata:
          name: general-abc12
          creationTimestamp: "2026-12-01T00:00:00Z"
          labels: {karpenter.sh/nodepool: general}
          annotations:
            karpenter.sh/nodepool-hash: "1234"
            karpenter.sh/nodepool-hash-version: v3
        spec:
          nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
          requirements: []
          expireAfter: Never
        status:
          nodeName: cpu-a
          conditions:
            - {type: Initialized, status: "True", reason: Initialized, message: "", lastTransitionTime: "2026-12-01T00:01:00Z"}
        """);
    JsonNode d = json("2026-12-02T10:00:00Z", DIR, claim.toString());
    JsonNode dec = d.get("decisions").get(0);
    assertThat(dec.get("method").asText()).isEqualTo("Drift");
    assertThat(dec.get("reason").asText()).isEqualTo("Drifted");
    assertThat(dec.get("nodes").toString()).isEqualTo("[\"cpu-a\"]");
    assertThat(reasonOf(d, "cpu-b")).isEqualTo("not evaluated: Drift acted");
  }

  @Test
  void badInputIsNamedNotAStackTrace(@TempDir Path tmp) throws Exception {
    CliRunner.Result at = CliRunner.run("simulate", "--disruption", "-f", DIR, "--at", "tomorrow");
    assertThat(at.exitCode()).isNotZero();
    assertThat(at.err()).contains("--at 'tomorrow'").doesNotContain("Exception");
    Path pools = tmp.resolve("pools.yaml");
    Files.writeString(
        pools,
        Files.readString(Path.of(DIR, "nodepools.yaml"))
            .replace("'0 9 * * MON-FRI'", "'CRON_TZ=Nowhere/Land 0 9 * * MON-FRI'"));
    CliRunner.Result bad =
        CliRunner.run(
            "simulate", "--disruption", "-f", pools.toString(), "-f", DIR + "cluster.yaml");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.err())
        .contains("pools.yaml:3")
        .contains("spec.disruption.budgets[1]")
        .contains("unknown time zone Nowhere/Land")
        .doesNotContain("Exception");
  }
}
