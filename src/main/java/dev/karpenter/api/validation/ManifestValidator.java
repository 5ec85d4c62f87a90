package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Pattern;
import dev.karpenter.api.validation.Finding.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Validates manifests offline as kube-apiserver would on create: for each document whose apiVersion
 * and kind are one of our CRDs, prune, default, check the schema and then the CEL rules. Other
 * documents (Pods, Deployments, ...) are counted as not checked.
 */
public final class ManifestValidator {
  static final String RULES_NOT_CHECKED =
      "some validation rules were not checked because the object was invalid; correct the existing"
          + " errors to complete validation";
  private static final Pattern DNS1123_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

  private final CrdSchemas crds;
  private final CelRules cel = new CelRules();

  public ManifestValidator(CrdSchemas crds) {
    this.crds = crds;
  }

  /**
   * What the API server would say about one object. {@code errors} are worded as the server's
   * StatusCauses; a null path is the server's {@code <nil>} field (rules not checked).
   */
  public record ObjectResult(
      String kind,
      String name,
      List<FieldError> errors,
      List<FieldPath> unknownFields,
      List<SkippedRule> skippedRules) {
    public boolean valid() {
      return errors.isEmpty();
    }
  }

  /** The findings of one file and how many of its documents were (not) checked. */
  public record FileResult(String file, List<Finding> findings, int objects, int notChecked) {
    public long errorCount() {
      return findings.stream().filter(f -> f.severity() == Severity.ERROR).count();
    }

    public long invalidObjects() {
      return findings.stream()
          .filter(f -> f.severity() == Severity.ERROR && f.object() != null)
          .map(Finding::object)
          .distinct()
          .count();
    }
  }

  /**
   * Validates one object against its CRD; empty when the document is not one of our kinds. The
   * object is not modified.
   */
  public Optional<ObjectResult> validate(JsonNode object) {
    String apiVersion = object.path("apiVersion").asText("");
    String kind = object.path("kind").asText("");
    Optional<CrdSchemas.Version> crd = crds.find(apiVersion, kind);
    if (crd.isEmpty()) {
      return Optional.empty();
    }
    JsonNode schema = crd.get().schema();
    ObjectNode copy = object.deepCopy();
    if (crd.get().statusSubresource()) {
      // With a status subresource the server ignores status on create.
      copy.remove("status");
    }
    List<FieldPath> unknown = OpenApiValidator.prune(schema, copy, FieldPath.ROOT, true);
    OpenApiValidator.applyDefaults(schema, copy);
    List<FieldError> errors = new ArrayList<>(metadataErrors(copy.path("metadata")));
    errors.addAll(OpenApiValidator.validate(schema, copy));
    List<SkippedRule> skipped = new ArrayList<>();
    if (errors.stream().anyMatch(e -> e.type().blocksCel())) {
      errors.add(
          new FieldError(
              null, FieldError.Type.INVALID, "Invalid value: \"null\": " + RULES_NOT_CHECKED));
    } else {
      cel.evaluate(schema, copy, FieldPath.ROOT, true, errors, skipped);
    }
    return Optional.of(
        new ObjectResult(
            kind, copy.at("/metadata/name").asText(""), List.copyOf(errors), unknown, skipped));
  }

  private static List<FieldError> metadataErrors(JsonNode metadata) {
    FieldPath name = FieldPath.ROOT.child("metadata").child("name");
    String value = metadata.path("name").asText("");
    if (value.isEmpty()) {
      return metadata.path("generateName").asText("").isEmpty()
          ? List.of(FieldError.required(name, "name or generateName is required"))
          : List.of();
    }
    if (value.length() > 253 || !DNS1123_SUBDOMAIN.matcher(value).matches()) {
      return List.of(
          FieldError.invalid(
              name,
              GoFormat.quote(value),
              value.length() > 253
                  ? "must be no more than 253 characters"
                  : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                      + " characters, '-' or '.', and must start and end with an alphanumeric"
                      + " character (e.g. 'example.com', regex used for validation is"
                      + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
    }
    return List.of();
  }

  /** Validates every document of a file; an unreadable file or bad YAML is one error finding. */
  public FileResult validateFile(Path path, String displayName) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException | java.io.UncheckedIOException e) {
      return new FileResult(
          displayName,
          List.of(new Finding(displayName, 0, Severity.ERROR, null, null, "cannot read: " + e)),
          0,
          0);
    }
    return validateText(displayName, text);
  }

  public FileResult validateText(String file, String text) {
    List<LocatedDocument> docs;
    try {
      docs = YamlDocuments.parse(text);
    } catch (YamlSyntaxException e) {
      return new FileResult(
          file,
          List.of(new Finding(file, e.line(), Severity.ERROR, null, null, e.getMessage())),
          0,
          0);
    }
    List<Finding> findings = new ArrayList<>();
    Tally tally = new Tally();
    for (LocatedDocument doc : docs) {
      check(file, doc, findings, tally);
    }
    return new FileResult(file, List.copyOf(findings), tally.objects, tally.notChecked);
  }

  private void check(String file, LocatedDocument doc, List<Finding> all, Tally tally) {
    List<Finding> findings = new ArrayList<>();
    checkObject(file, doc, findings, tally);
    // errors in file order; the "rules not checked" note, which has no line of its own, last
    findings.sort(
        Comparator.comparing((Finding f) -> f.field() == null).thenComparingInt(Finding::line));
    all.addAll(findings);
  }

  private void checkObject(String file, LocatedDocument doc, List<Finding> findings, Tally tally) {
    JsonNode root = doc.root();
    if (!root.isObject()) {
      findings.add(
          new Finding(
              file,
              doc.startLine(),
              Severity.ERROR,
              null,
              null,
              "document is not a Kubernetes object (a mapping with apiVersion and kind)"));
      return;
    }
    String apiVersion = root.path("apiVersion").asText("");
    String kind = root.path("kind").asText("");
    if (kind.endsWith("List") && root.path("items").isArray()) {
      for (int i = 0; i < root.path("items").size(); i++) {
        checkObject(file, doc.sub("/items/" + i, i), findings, tally);
      }
      return;
    }
    Optional<ObjectResult> result = validate(root);
    if (result.isEmpty()) {
      if (crds.ownsGroup(apiVersion)) {
        tally.objects++;
        findings.add(
            new Finding(
                file,
                doc.lineOf("/kind"),
                Severity.ERROR,
                kind,
                null,
                "no matches for kind \""
                    + kind
                    + "\" in version \""
                    + apiVersion
                    + "\" (this build knows "
                    + String.join(", ", crds.known())
                    + ")"));
      } else {
        tally.notChecked++;
      }
      return;
    }
    tally.objects++;
    ObjectResult r = result.get();
    String object = r.kind() + "/" + r.name();
    boolean rulesNotChecked = false;
    for (FieldError e : r.errors()) {
      if (e.path() == null) {
        rulesNotChecked = true;
      } else {
        findings.add(
            new Finding(
                file,
                doc.lineOf(e.path().pointer()),
                Severity.ERROR,
                object,
                e.path().field(),
                e.body()));
      }
    }
    if (rulesNotChecked) {
      findings.add(
          new Finding(file, doc.startLine(), Severity.ERROR, object, null, RULES_NOT_CHECKED));
    }
    for (FieldPath p : r.unknownFields()) {
      findings.add(
          new Finding(
              file,
              doc.lineOf(p.pointer()),
              Severity.WARNING,
              object,
              p.field(),
              "unknown field; the API server drops it (kubectl apply with strict field validation"
                  + " rejects it)"));
    }
    Set<String> seen = new LinkedHashSet<>();
    for (SkippedRule s : r.skippedRules()) {
      boolean unsupported = !s.transition();
      if (seen.add(s.path().field() + " " + s.rule())) {
        findings.add(
            new Finding(
                file,
                doc.lineOf(s.path().pointer()),
                unsupported ? Severity.WARNING : Severity.NOTE,
                object,
                s.path().field(),
                "rule not checked, " + s.reason() + ": " + s.rule()));
      }
    }
  }

  private static final class Tally {
    int objects;
    int notChecked;
  }
}
