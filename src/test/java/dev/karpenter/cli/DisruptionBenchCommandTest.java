package dev.karpenter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DisruptionBenchCommandTest {
  @Test
  void lastLineIsTheJsonContractAndEveryCandidateIsConsidered() throws Exception {
    CliRunner.Result r =
        CliRunner.run(
            "bench", "disruption", "--nodes", "60", "--pods", "400", "--warmup", "0", "-o", "json");
    assertThat(r.exitCode()).as(r.err()).isZero();
    String[] lines = r.out().strip().split("\n");
    JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
    List<String> fields = new ArrayList<>();
    j.fieldNames().forEachRemaining(fields::add);
    assertThat(fields)
        .containsExactly(
            "nodes", "pods", "seconds", "candidatesConsidered", "decisions", "heapMiB");
    assertThat(j.get("nodes").asInt()).isEqualTo(60);
    assertThat(j.get("pods").asInt()).isEqualTo(400);
    // No blockers in the synthetic cluster: all 60 nodes are candidates, and the underutilized
    // ones make a consolidation decision.
    assertThat(j.get("candidatesConsidered").asInt()).isEqualTo(60);
    assertThat(j.get("decisions").asInt()).isEqualTo(1);
  }

  @Test
  void rejectsNonsense() {
    CliRunner.Result r = CliRunner.run("bench", "disruption", "--nodes", "1", "--pods", "0");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("--nodes must be at least 2");
  }
}
