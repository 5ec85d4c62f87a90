package dev.karpenter.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.Rules;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finishes the CRDs that fabric8's crd-generator writes from the model: what its annotations cannot
 * express (list and map types, constraints on map values and list items, printer column order) and
 * what it gets wrong for records (every rule of a record component appears twice, once from the
 * field and once from the accessor). Runs at process-classes; with a second argument it also writes
 * the committed copies under {@code crds/}.
 */
public final class CrdPostProcessor {
  private static final YAMLMapper YAML =
      YAMLMapper.builder(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                  .build())
          .build();

  static final Map<String, Class<?>> KINDS =
      Map.of(
          "nodepools.karpenter.sh", NodePool.class,
          "nodeclaims.karpenter.sh", NodeClaim.class,
          "ec2nodeclasses.karpenter.k8s.aws", EC2NodeClass.class);

  private CrdPostProcessor() {}

  public static void main(String[] args) throws IOException {
    Path generated = Path.of(args[0]);
    Path copyTo =
        args.length > 1 && args[1] != null && !args[1].isBlank() ? Path.of(args[1]) : null;
    for (Map.Entry<String, Class<?>> e : KINDS.entrySet()) {
      Path file = generated.resolve(e.getKey() + "-v1.yml");
      String text = process(Files.readString(file), e.getValue());
      Files.writeString(file, text, StandardCharsets.UTF_8);
      if (copyTo != null) {
        Files.createDirectories(copyTo);
        Files.writeString(copyTo.resolve(e.getKey() + ".yaml"), text, StandardCharsets.UTF_8);
      }
    }
  }

  static String process(String yaml, Class<?> kind) throws IOException {
    ObjectNode crd = (ObjectNode) YAML.readTree(yaml);
    ObjectNode version = (ObjectNode) crd.path("spec").path("versions").get(0);
    orderPrinterColumns(version, kind);
    JsonNode schema = version.path("schema").path("openAPIV3Schema");
    dedupeRules(schema);
    constrainQuantities(schema);
    if (kind == NodePool.class || kind == NodeClaim.class) {
      ObjectNode spec =
          (ObjectNode)
              (kind == NodePool.class
                  ? schema.at("/properties/spec/properties/template/properties/spec")
                  : schema.at("/properties/spec"));
      for (String list : List.of("requirements", "taints", "startupTaints")) {
        ((ObjectNode) spec.path("properties").path(list)).put("x-kubernetes-list-type", "atomic");
      }
      ObjectNode valueItems =
          (ObjectNode) spec.at("/properties/requirements/items/properties/values/items");
      valueItems.put("maxLength", 63).put("pattern", Rules.LABEL_VALUE);
      ((ObjectNode) spec.at("/properties/requirements/items/properties/values"))
          .put("x-kubernetes-list-type", "atomic");
    }
    if (kind == NodePool.class) {
      ObjectNode labels =
          (ObjectNode)
              schema.at(
                  "/properties/spec/properties/template/properties/metadata/properties/labels");
      labels.put("maxProperties", 100).put("x-kubernetes-map-type", "atomic");
      ((ObjectNode) labels.path("additionalProperties"))
          .put("maxLength", 63)
          .put("pattern", Rules.LABEL_VALUE);
      ObjectNode budgets =
          (ObjectNode) schema.at("/properties/spec/properties/disruption/properties/budgets");
      budgets.put("x-kubernetes-list-type", "atomic");
      ((ObjectNode) budgets.at("/items/properties/reasons")).put("x-kubernetes-list-type", "set");
    }
    // As upstream: without it, a server-side apply that only adds a finalizer (JOSDK's way) to an
    // object deleted a moment before creates an empty one that nothing ever removes.
    ((ObjectNode) schema).putArray("required").add("spec");
    JsonNode conditions = schema.at("/properties/status/properties/conditions");
    if (conditions instanceof ObjectNode c) {
      c.put("x-kubernetes-list-type", "map");
      c.putArray("x-kubernetes-list-map-keys").add("type");
      ObjectNode status = (ObjectNode) c.at("/items/properties/status");
      status.putArray("enum").add("True").add("False").add("Unknown");
    }
    return YAML.writeValueAsString(crd);
  }

  private static void orderPrinterColumns(ObjectNode version, Class<?> kind) {
    AdditionalPrinterColumn[] declared = kind.getAnnotationsByType(AdditionalPrinterColumn.class);
    ArrayNode columns = (ArrayNode) version.path("additionalPrinterColumns");
    List<JsonNode> ordered = new ArrayList<>();
    for (AdditionalPrinterColumn a : declared) {
      for (JsonNode c : columns) {
        if (c.path("name").asText().equals(a.name())) {
          ordered.add(c);
        }
      }
    }
    columns.removeAll();
    columns.addAll(ordered);
  }

  /** The Kubernetes quantity syntax, so that "lots" is rejected as a limit. */
  static final String QUANTITY =
      "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

  private static void constrainQuantities(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.path("x-kubernetes-int-or-string").asBoolean(false) && o.has("anyOf")) {
        o.put("pattern", QUANTITY);
      }
      o.forEach(CrdPostProcessor::constrainQuantities);
    } else if (node instanceof ArrayNode a) {
      a.forEach(CrdPostProcessor::constrainQuantities);
    }
  }

  private static void dedupeRules(JsonNode node) {
    if (node instanceof ObjectNode o) {
      JsonNode rules = o.get("x-kubernetes-validations");
      if (rules instanceof ArrayNode a) {
        Set<JsonNode> unique = new LinkedHashSet<>();
        a.forEach(unique::add);
        a.removeAll();
        a.addAll(unique);
      }
      o.forEach(CrdPostProcessor::dedupeRules);
    } else if (node instanceof ArrayNode a) {
      a.forEach(CrdPostProcessor::dedupeRules);
    }
  }
}
