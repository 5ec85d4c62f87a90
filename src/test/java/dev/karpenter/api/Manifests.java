package dev.karpenter.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads the project's example and test manifests. */
public final class Manifests {
  public static final Path ROOT = Path.of(System.getProperty("user.dir"));
  public static final Path GPU_GUIDE = ROOT.resolve("docs/examples/gpu-guide");
  public static final Path WORKSHOP = ROOT.resolve("docs/examples/trainium-workshop");
  public static final Path COMPANION = ROOT.resolve("docs/examples/companion");
  public static final Path INVALID = ROOT.resolve("src/test/resources/invalid");
  public static final Path CRDS = ROOT.resolve("crds");

  private static final ObjectMapper YAML = new YAMLMapper();

  private Manifests() {}

  /** Every document of every .yaml file under the directories, in file order. */
  public static List<JsonNode> documents(Path... dirs) {
    List<JsonNode> out = new ArrayList<>();
    for (Path dir : dirs) {
      for (Path f : yamlFiles(dir)) {
        out.addAll(documents(f));
      }
    }
    return out;
  }

  public static List<JsonNode> documents(Path file) {
    try (var parser = new YAMLFactory().createParser(file.toFile())) {
      List<JsonNode> docs = new ArrayList<>();
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode n = it.next();
        if (n != null && !n.isMissingNode() && !n.isNull()) {
          docs.add(n);
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<Path> yamlFiles(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The header lines of an invalid manifest: {@code # field:} the field its mistake is reported at,
   * {@code # message:} a part of that message, {@code # also:} further fields the API server
   * reports for the same mistake (e.g. a pattern on a value besides a rule on its list).
   */
  public record Expectation(Path file, String field, String message, List<String> alsoFields) {
    public Expectation(Path file, String field, String message) {
      this(file, field, message, List.of());
    }

    /** Every field the API server names for this manifest. */
    public java.util.Set<String> fields() {
      java.util.Set<String> all = new java.util.TreeSet<>(alsoFields);
      all.add(field);
      return all;
    }
  }

  public static Expectation expectation(Path file) {
    String field = null;
    String message = "";
    List<String> also = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith("# field: ")) {
          field = line.substring("# field: ".length()).trim();
        } else if (line.startsWith("# message: ")) {
          message = line.substring("# message: ".length()).trim();
        } else if (line.startsWith("# also: ")) {
          also.add(line.substring("# also: ".length()).trim());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (field == null) {
      throw new IllegalStateException(file + " has no '# field: ' header");
    }
    return new Expectation(file, field, message, List.copyOf(also));
  }
}
