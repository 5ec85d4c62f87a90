package dev.karpenter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.karpenter.api.validation.CrdSchemas;
import dev.karpenter.api.validation.Finding;
import dev.karpenter.api.validation.Finding.Severity;
import dev.karpenter.api.validation.ManifestValidator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter validate -f FILE|DIR...}: the API server's checks of our CRDs, offline. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Check NodePool, NodeClaim and EC2NodeClass manifests offline, as kube-apiserver would on"
          + " create: schema defaults, types, enums, patterns, bounds and the CRDs' CEL rules.",
      "Prints file:line: field: message for each error; exit 0 when all are valid, 1 on any error."
    })
public final class ValidateCommand implements Callable<Integer> {

  enum Output {
    text,
    json
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      arity = "1..*",
      paramLabel = "FILE|DIR",
      description =
          "Manifest files, or directories searched recursively for *.yaml, *.yml and *.json;"
              + " '-' reads standard input.")
  List<String> files;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "text",
      paramLabel = "text|json",
      description = "Output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Output output;

  @Option(
      names = {"-v", "--verbose"},
      description = "Also list the rules not checked offline (transition rules on oldSelf).")
  boolean verbose;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ManifestValidator validator = new ManifestValidator(CrdSchemas.bundled());
    List<ManifestValidator.FileResult> results = new ArrayList<>();
    boolean failed = false;
    for (String name : files) {
      if (name.equals("-")) {
        results.add(validator.validateText("<stdin>", readStdin()));
        continue;
      }
      Path path = Path.of(name);
      if (!Files.exists(path)) {
        err.println("error: " + name + ": no such file or directory");
        failed = true;
        continue;
      }
      for (Path f : manifests(path)) {
        results.add(validator.validateFile(f, f.toString()));
      }
    }
    List<Finding> shown = new ArrayList<>();
    for (var r : results) {
      for (Finding f : r.findings()) {
        if (verbose || f.severity() != Severity.NOTE) {
          shown.add(f);
        }
      }
    }
    int objects = results.stream().mapToInt(ManifestValidator.FileResult::objects).sum();
    int notChecked = results.stream().mapToInt(ManifestValidator.FileResult::notChecked).sum();
    long invalid = results.stream().mapToLong(ManifestValidator.FileResult::invalidObjects).sum();
    long errors = results.stream().mapToLong(ManifestValidator.FileResult::errorCount).sum();
    failed |= errors > 0;
    if (output == Output.json) {
      out.println(json(shown, results.size(), objects, invalid, notChecked));
    } else {
      shown.forEach(f -> out.println(f.format()));
      out.println(summary(results.size(), objects, invalid, errors, notChecked));
    }
    out.flush();
    return failed ? CliErrors.INVALID_INPUT : 0;
  }

  private static String summary(int files, int objects, long invalid, long errors, int notChecked) {
    List<String> parts = new ArrayList<>();
    if (errors == 0) {
      parts.add(plural(objects, "object") + " valid");
    } else {
      if (objects > 0) {
        parts.add(invalid + " of " + plural(objects, "object") + " invalid");
      }
      parts.add(plural(errors, "error"));
    }
    if (notChecked > 0) {
      parts.add(
          notChecked + " other " + (notChecked == 1 ? "document" : "documents") + " not checked");
    }
    return String.join(", ", parts) + " (" + plural(files, "file") + ")";
  }

  private static String plural(long n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  private static String json(
      List<Finding> findings, int files, int objects, long invalid, int notChecked) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Finding f : findings) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", f.file());
      m.put("line", f.line());
      m.put("severity", f.severity().name().toLowerCase(Locale.ROOT));
      m.put("object", f.object());
      m.put("field", f.field());
      m.put("message", f.message());
      list.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("files", files);
    doc.put("objects", objects);
    doc.put("invalid", invalid);
    doc.put("notChecked", notChecked);
    doc.put("findings", list);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> manifests(Path path) {
    if (!Files.isDirectory(path)) {
      return List.of(path);
    }
    try (Stream<Path> s = Files.walk(path)) {
      return s.filter(Files::isRegularFile)
          .filter(
              p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
              })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new CliErrors.UserException(path + ": cannot list directory: " + e.getMessage());
    }
  }

  private static String readStdin() {
    try {
      return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliErrors.UserException("cannot read standard input: " + e.getMessage());
    }
  }
}
