package dev.karpenter.api.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.Manifests;
import dev.karpenter.cli.KarpenterCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code karpenter validate}, offline, on the project's example manifests and invalid corpus. */
class ValidateCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  record Run(int exit, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    String summary() {
      List<String> lines = outLines();
      return lines.get(lines.size() - 1);
    }
  }

  private static Run validate(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = KarpenterCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of("validate"));
    all.addAll(List.of(args));
    int exit = cl.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  private Path write(String name, String text) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  @Test
  void guideWorkshopAndCompanionManifestsAreValid() {
    List<String> args = new ArrayList<>();
    for (Path dir : List.of(Manifests.GPU_GUIDE, Manifests.WORKSHOP, Manifests.COMPANION)) {
      for (Path f : Manifests.yamlFiles(dir)) {
        args.add("-f");
        args.add(f.toString());
      }
    }
    long karpenterObjects =
        Manifests.documents(Manifests.GPU_GUIDE, Manifests.WORKSHOP, Manifests.COMPANION).stream()
            .filter(d -> d.path("apiVersion").asText().startsWith("karpenter."))
            .count();

    Run run = validate(args.toArray(String[]::new));

    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(karpenterObjects >= 13, "expected the guide's NodePools and EC2NodeClasses");
    assertTrue(
        run.summary().startsWith(karpenterObjects + " objects valid"), "summary: " + run.summary());
  }

  @TestFactory
  Stream<DynamicTest> everyInvalidManifestIsRejectedNamingItsField() {
    List<Path> files = Manifests.yamlFiles(Manifests.INVALID);
    assertTrue(files.size() >= 40, "the invalid corpus has " + files.size() + " files");
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(),
                    () -> {
                      Manifests.Expectation e = Manifests.expectation(f);
                      Run run = validate("-o", "json", "-f", f.toString());
                      assertEquals(1, run.exit(), run.out() + run.err());
                      JsonNode report = JSON.readTree(run.out());
                      Set<String> fields = new TreeSet<>();
                      List<String> messagesOfField = new ArrayList<>();
                      for (JsonNode finding : report.path("findings")) {
                        if (finding.path("severity").asText().equals("error")
                            && !finding.path("field").isNull()) {
                          fields.add(finding.path("field").asText());
                          if (finding.path("field").asText().equals(e.field())) {
                            messagesOfField.add(finding.path("message").asText());
                          }
                        }
                      }
                      assertEquals(e.fields(), fields, run.out());
                      assertTrue(
                          messagesOfField.stream().anyMatch(m -> m.contains(e.message())),
                          "expected '" + e.message() + "' in " + messagesOfField);
                    }));
  }

  @ParameterizedTest
  @CsvSource({
    "np-weight-101.yaml, spec.weight, 'weight: 101'",
    "np-unknown-operator.yaml, spec.template.spec.requirements[1].operator, 'operator: Equals'",
    "nc-malformed-subnet-id.yaml, spec.subnetSelectorTerms[0].id, '- id: sn-1234'",
    "np-label-bad-value.yaml, spec.template.metadata.labels.team, 'team: '",
    "np-requirements-missing.yaml, spec.template.spec.requirements, '    spec:'",
    "np-budget-duration-without-schedule.yaml, spec.disruption.budgets, 'budgets:'",
  })
  void errorsPointAtTheLineOfTheOffendingNode(String file, String field, String lineText)
      throws IOException {
    Path f = Manifests.INVALID.resolve(file);
    List<String> lines = Files.readAllLines(f);
    int expected = 0;
    for (int i = 0; i < lines.size() && expected == 0; i++) {
      String line = lines.get(i);
      if (lineText.startsWith(" ") ? line.startsWith(lineText) : line.trim().startsWith(lineText)) {
        expected = i + 1;
      }
    }
    assertTrue(expected > 0, lineText + " not in " + file);

    Run run = validate("-f", f.toString());

    assertTrue(
        run.out().contains(f + ":" + expected + ": " + field + ": "),
        "expected " + f + ":" + expected + ": " + field + " in:\n" + run.out());
  }

  @Test
  void textOutputIsFileLineFieldMessageLikeTheApiServer() {
    Path f = Manifests.INVALID.resolve("np-weight-101.yaml");

    Run run = validate("-f", f.toString());

    assertEquals(
        f
            + ":19: spec.weight: Invalid value: 101: spec.weight in body should be less than or"
            + " equal to 100",
        run.outLines().get(0));
    assertEquals("1 of 1 object invalid, 1 error (1 file)", run.summary());
  }

  @Test
  void aYamlSyntaxErrorIsReportedWithItsLine() throws IOException {
    Path f =
        write(
            "broken.yaml",
            "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata\n  name: x\nspec: {}\n");

    Run run = validate("-f", f.toString());

    assertEquals(1, run.exit());
    assertEquals(
        List.of(
            f + ":4: could not find expected ':' (while scanning a simple key at line 3)",
            "1 error (1 file)"),
        run.outLines());
    assertFalse((run.out() + run.err()).contains("Exception"), run.out() + run.err());
  }

  @Test
  void aMissingFileIsAClearErrorWithoutAStackTrace() {
    Run run = validate("-f", tmp.resolve("nope.yaml").toString());

    assertEquals(1, run.exit());
    assertEquals("error: " + tmp.resolve("nope.yaml") + ": no such file or directory\n", run.err());
  }

  @Test
  void withoutFilesItIsAUsageError() {
    Run run = validate();

    assertEquals(2, run.exit());
    assertTrue(run.err().contains("Missing required option"), run.err());
  }

  @Test
  void otherKindsAreCountedAsNotChecked() throws IOException {
    Path f =
        write(
            "mixed.yaml",
            """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
            spec:
              containers: [{name: c, image: busybox}]
            ---
            apiVersion: karpenter.k8s.aws/v1
            kind: EC2NodeClass
            metadata:
              name: default
            spec:
              amiSelectorTerms: [{alias: al2023@latest}]
              role: KarpenterNodeRole
              subnetSelectorTerms: [{tags: {karpenter.sh/discovery: c}}]
              securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: c}}]
            """);

    Run run = validate("-f", f.toString());

    assertEquals(0, run.exit(), run.out());
    assertEquals("1 object valid, 1 other document not checked (1 file)", run.summary());
  }

  @Test
  void defaultsAreAppliedBeforeValidationAsTheServerDoes() throws IOException {
    // budgets[].nodes is required but defaults to 10%, so a budget without it is accepted
    Path f =
        write(
            "budget.yaml",
            """
            apiVersion: karpenter.sh/v1
            kind: NodePool
            metadata:
              name: default
            spec:
              template:
                spec:
                  requirements: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
                  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              disruption:
                budgets:
                - schedule: "0 9 * * *"
                  duration: 8h
            """);

    Run run = validate("-f", f.toString());

    assertEquals(0, run.exit(), run.out());
    assertEquals("1 object valid (1 file)", run.summary());
  }

  @Test
  void anUnknownFieldIsOnlyAWarningBecauseTheServerDropsIt() throws IOException {
    Path f =
        write(
            "unknown.yaml",
            """
            apiVersion: karpenter.k8s.aws/v1
            kind: EC2NodeClass
            metadata:
              name: default
            spec:
              amiSelectorTerms: [{alias: al2023@latest}]
              role: KarpenterNodeRole
              subnetSelectorTerms: [{tags: {karpenter.sh/discovery: c}}]
              securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: c}}]
              amiSelector: {id: ami-123}
            """);

    Run run = validate("-f", f.toString());

    assertEquals(0, run.exit(), run.out());
    assertTrue(run.out().contains(f + ":10: warning: spec.amiSelector: unknown field"), run.out());
  }

  @Test
  void anUnknownVersionOfOurGroupIsAnError() throws IOException {
    Path f =
        write(
            "old.yaml",
            "apiVersion: karpenter.sh/v1beta1\nkind: NodePool\nmetadata:\n  name: x\nspec: {}\n");

    Run run = validate("-f", f.toString());

    assertEquals(1, run.exit());
    assertTrue(
        run.out()
            .contains(":2: no matches for kind \"NodePool\" in version \"karpenter.sh/v1beta1\""),
        run.out());
  }

  @Test
  void transitionRulesAreSkippedAndSaidSoOnlyWhenVerbose() {
    String f = Manifests.GPU_GUIDE.resolve("02-gpu-nodepools.yaml").toString();

    Run quiet = validate("-f", f);
    Run verbose = validate("-v", "-f", f);

    assertFalse(quiet.out().contains("oldSelf"), quiet.out());
    assertTrue(
        verbose.out().contains("note: spec.template.spec.nodeClassRef: rule not checked"),
        verbose.out());
    assertEquals(0, verbose.exit());
  }

  @Test
  void aDirectoryIsSearchedRecursively() throws IOException {
    Files.createDirectories(tmp.resolve("a/b"));
    Files.copy(
        Manifests.INVALID.resolve("np-weight-101.yaml"), tmp.resolve("a/b/np-weight-101.yaml"));
    write("notes.txt", "not a manifest");

    Run run = validate("-f", tmp.toString());

    assertEquals(1, run.exit());
    assertEquals("1 of 1 object invalid, 1 error (1 file)", run.summary());
  }
}
