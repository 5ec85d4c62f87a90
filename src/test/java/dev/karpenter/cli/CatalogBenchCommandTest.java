package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class CatalogBenchCommandTest {
  private static JsonNode lastLineJson(String out) throws Exception {
    String[] lines = out.strip().split("\n");
    return new ObjectMapper().readTree(lines[lines.length - 1]);
  }

  @Test
  void measuresAFreshJvmWithinFiftyMegabytesAndReportsJsonLast() throws Exception {
    CliRunner.Result r = CliRunner.run("bench", "catalog", "--runs", "1", "--warmup", "1");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("fresh JVM  1:"), r.out());
    JsonNode j = lastLineJson(r.out());
    assertTrue(j.path("types").asInt() >= 1300, j.toString());
    assertEquals("50m", j.path("maxHeap").asText());
    JsonNode cold = j.path("cold");
    assertEquals(1, cold.path("runs").asInt());
    assertTrue(cold.path("wallMs").path("median").asDouble() > 0, j.toString());
    assertTrue(cold.path("cpuMs").path("median").asDouble() > 0, j.toString());
    double retained = cold.path("retainedMiB").path("max").asDouble();
    assertTrue(retained > 0.5 && retained < 50, "retained " + retained);
    assertTrue(j.path("warm").path("wallMs").path("median").asDouble() > 0, j.toString());
    assertTrue(j.path("target").has("met"), j.toString());
  }

  @Test
  void zeroRunsIsAUsageError() {
    CliRunner.Result r = CliRunner.run("bench", "catalog", "--runs", "0");
    assertEquals(CliErrors.USAGE, r.exitCode());
    assertTrue(r.err().contains("--runs must be between 1 and 1000"), r.err());
  }

  @Test
  void malformedHeapSizeIsAUsageError() {
    CliRunner.Result r = CliRunner.run("bench", "catalog", "--max-heap", "lots");
    assertEquals(CliErrors.USAGE, r.exitCode());
    assertTrue(r.err().contains("--max-heap must be a JVM size"), r.err());
  }

  @Test
  void unknownRegionIsAUsageError() {
    CliRunner.Result r = CliRunner.run("bench", "catalog", "--region", "mars-north-1");
    assertEquals(CliErrors.USAGE, r.exitCode());
    assertTrue(r.err().contains("unknown region 'mars-north-1'"), r.err());
  }

  @Test
  void aChildJvmThatCannotStartIsReportedWithItsOwnMessage() {
    CliRunner.Result r = CliRunner.run("bench", "catalog", "--runs", "1", "--max-heap", "1k");
    assertEquals(CliErrors.INVALID_INPUT, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: baseline JVM: the child JVM"), r.err());
    assertTrue(r.err().toLowerCase().contains("heap"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void benchWithoutABenchmarkNamesBoth() {
    CliRunner.Result r = CliRunner.run("bench");
    assertEquals(CliErrors.USAGE, r.exitCode());
    assertTrue(r.err().contains("scheduling, catalog"), r.err());
  }
}
