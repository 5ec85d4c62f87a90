package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CatalogCommandTest {
  record Result(int exit, String out, String err) {}

  @TempDir Path tmp;

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = KarpenterCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  private static String row(String out, String type) {
    return out.lines()
        .filter(l -> l.startsWith(type + " "))
        .findFirst()
        .orElseThrow(() -> new AssertionError(type + " missing from:\n" + out));
  }

  @Test
  void gpuTableReadsLikeTheGuide() {
    Result r = run("catalog", "--gpu");
    assertEquals(0, r.exit(), r.err());
    List<String> header = List.of(r.out().lines().findFirst().orElseThrow().split("\\s{2,}"));
    assertEquals("TYPE", header.get(0));
    assertTrue(header.contains("ALLOC MEMORY"), header.toString());
    List<String> g5 = List.of(row(r.out(), "g5.xlarge").split("\\s{2,}"));
    assertEquals(
        List.of(
            "g5.xlarge",
            "A10G",
            "1",
            "22.4 GiB",
            "4",
            "16 GiB",
            "3920m",
            "14162Mi",
            "58",
            "1.006",
            "~0.3018"),
        g5.subList(0, 11));
    assertTrue(row(r.out(), "p4d.24xlarge").contains("320 GiB (40 GiB x8)"));
    assertTrue(r.out().contains("~ estimate: offline spot"), r.out());
    assertTrue(r.out().lines().noneMatch(l -> l.startsWith("m5.large ")), "non-GPU type listed");
  }

  @Test
  void jsonFollowsTheContract() throws Exception {
    Result r = run("catalog", "-o", "json");
    assertEquals(0, r.exit(), r.err());
    JsonNode list = new ObjectMapper().readTree(r.out());
    assertTrue(list.isArray());
    assertTrue(list.size() >= 1300, "" + list.size());
    JsonNode g4dn = null;
    for (JsonNode n : list) {
      assertTrue(
          n.has("name")
              && n.has("labels")
              && n.has("capacity")
              && n.has("allocatable")
              && n.has("offerings"));
      if (n.get("name").asText().equals("g4dn.xlarge")) {
        g4dn = n;
      }
    }
    assertEquals("14481Mi", g4dn.at("/allocatable/memory").asText());
    assertEquals("3920m", g4dn.at("/allocatable/cpu").asText());
    assertEquals("1", g4dn.at("/capacity/nvidia.com~1gpu").asText());
    assertEquals("t4", g4dn.at("/labels/karpenter.k8s.aws~1instance-gpu-name").asText());
    JsonNode offering = g4dn.at("/offerings/0");
    for (String field : List.of("zone", "capacityType", "price", "available")) {
      assertTrue(offering.has(field), field);
    }
    assertTrue(offering.get("price").isNumber());
  }

  @Test
  void selectorsFilter() throws Exception {
    Result r =
        run(
            "catalog",
            "-o",
            "json",
            "-l",
            "instance-gpu-name=t4,a10g",
            "-l",
            "instance-gpu-count>4");
    assertEquals(0, r.exit(), r.err());
    List<String> names = new ArrayList<>();
    new ObjectMapper().readTree(r.out()).forEach(n -> names.add(n.get("name").asText()));
    assertTrue(names.contains("g5.48xlarge"), names.toString());
    assertTrue(
        names.stream().allMatch(n -> n.startsWith("g4dn.") || n.startsWith("g5.")),
        names.toString());
    assertFalse(names.contains("g5.12xlarge"), names.toString());
  }

  @Test
  void acceleratorIncludesNeuron() {
    Result r = run("catalog", "--accelerator", "-l", "instance-family=trn1");
    assertEquals(0, r.exit(), r.err());
    assertTrue(row(r.out(), "trn1.32xlarge").contains("Trainium"));
  }

  @Test
  void usWest2MarksOnDemandPricesAsEstimates() {
    Result r =
        run("catalog", "--region", "us-west-2", "-l", "node.kubernetes.io/instance-type=g5.xlarge");
    assertEquals(0, r.exit(), r.err());
    assertTrue(row(r.out(), "g5.xlarge").contains("~1.006"), r.out());
    assertTrue(r.out().contains("on-demand prices are us-east-1's"), r.out());
  }

  @Test
  void badSelectorIsAUsageErrorWithoutStackTrace() {
    Result r = run("catalog", "-l", "instance-gpu-name>2");
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("error: label selector 'instance-gpu-name>2'"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void unknownRegionIsAUsageErrorNamingKnownRegions() {
    Result r = run("catalog", "--region", "mars-1");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("us-east-1, us-west-2"), r.err());
  }

  @Test
  void unknownOutputFormatIsAUsageError() {
    Result r = run("catalog", "-o", "yaml");
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("error:"), r.err());
  }

  @Test
  void generateWithMissingFileIsBadInput() {
    Path missing = tmp.resolve("nope.json");
    Result r =
        run(
            "catalog",
            "generate",
            "--instance-types",
            missing.toString(),
            "--offerings",
            "us-east-1=" + missing,
            "--prices",
            missing.toString(),
            "-o",
            tmp.resolve("out.json.gz").toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().startsWith("error: "), r.err());
    assertTrue(r.err().contains("nope.json"), r.err());
  }

  @Test
  void generateRejectsOfferingsWithoutRegion() {
    Result r =
        run(
            "catalog",
            "generate",
            "--instance-types",
            "a",
            "--offerings",
            "file.json",
            "--prices",
            "b",
            "-o",
            "c");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--offerings: expected REGION=FILE"), r.err());
  }

  @Test
  void typesWithoutZonesShowTheirListPriceButNoZones() {
    Result r = run("catalog", "-l", "instance-family=p3");
    assertEquals(0, r.exit(), r.err());
    String p3 = row(r.out(), "p3.2xlarge");
    assertTrue(p3.contains(" 3.06 "), p3);
    assertTrue(p3.endsWith(" -"), p3);
  }
}
