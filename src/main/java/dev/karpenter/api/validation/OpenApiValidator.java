package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The API server's handling of a custom resource against its structural {@code openAPIV3Schema}, in
 * the server's order: drop nulls and unknown fields (pruning), apply defaults, then check types,
 * enums, patterns, bounds, sizes and required fields. Messages are worded as kube-apiserver's.
 */
final class OpenApiValidator {
  private static final Set<String> ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");
  // Go's regexp is RE2; re2j has the same syntax and semantics.
  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  private OpenApiValidator() {}

  /** Removes nulls and the fields the schema does not know; returns the paths of the latter. */
  static List<FieldPath> prune(JsonNode schema, JsonNode node, FieldPath path, boolean root) {
    List<FieldPath> pruned = new ArrayList<>();
    pruneInto(schema, node, path, root, pruned);
    return pruned;
  }

  private static void pruneInto(
      JsonNode schema, JsonNode node, FieldPath path, boolean root, List<FieldPath> pruned) {
    if (node.isObject()) {
      ObjectNode o = (ObjectNode) node;
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.get("additionalProperties");
      boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
      for (Iterator<Map.Entry<String, JsonNode>> it = o.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = e.getKey();
        if (root && ROOT_FIELDS.contains(name)) {
          continue;
        }
        // The server drops nulls of non-nullable fields; a default, if any, then fills the gap.
        if (e.getValue().isNull() && !schemaFor(schema, name).path("nullable").asBoolean(false)) {
          it.remove();
        } else if (props.has(name)) {
          pruneInto(props.get(name), e.getValue(), path.child(name), false, pruned);
        } else if (additional != null && additional.isObject()) {
          pruneInto(additional, e.getValue(), path.child(name), false, pruned);
        } else if (!preserve && (additional == null || !additional.asBoolean(false))) {
          pruned.add(path.child(name));
          it.remove();
        }
      }
    } else if (node.isArray() && schema.has("items")) {
      for (int i = 0; i < node.size(); i++) {
        pruneInto(schema.get("items"), node.get(i), path.index(i), false, pruned);
      }
    }
  }

  private static JsonNode schemaFor(JsonNode objectSchema, String name) {
    JsonNode p = objectSchema.path("properties").path(name);
    return p.isMissingNode() ? objectSchema.path("additionalProperties") : p;
  }

  /** Fills in schema defaults where a field is absent, then defaults inside what is there. */
  static void applyDefaults(JsonNode schema, JsonNode node) {
    if (node.isObject()) {
      ObjectNode o = (ObjectNode) node;
      JsonNode props = schema.path("properties");
      for (Map.Entry<String, JsonNode> p : props.properties()) {
        if (!o.has(p.getKey()) && p.getValue().has("default")) {
          o.set(p.getKey(), p.getValue().get("default").deepCopy());
        }
      }
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        JsonNode s = props.get(e.getKey());
        if (s == null && schema.path("additionalProperties").isObject()) {
          s = schema.get("additionalProperties");
        }
        if (s != null) {
          applyDefaults(s, e.getValue());
        }
      }
    } else if (node.isArray() && schema.has("items")) {
      for (JsonNode item : node) {
        applyDefaults(schema.get("items"), item);
      }
    }
  }

  /** The schema errors of a pruned and defaulted object. */
  static List<FieldError> validate(JsonNode schema, JsonNode object) {
    List<FieldError> errors = new ArrayList<>();
    check(schema, object, FieldPath.ROOT, true, errors);
    return errors;
  }

  private static void check(
      JsonNode schema, JsonNode node, FieldPath path, boolean root, List<FieldError> errors) {
    String actual = jsonType(node);
    if (!typeMatches(schema, node)) {
      String expected =
          schema.path("x-kubernetes-int-or-string").asBoolean(false)
              ? "integer,string"
              : schema.path("type").asText();
      errors.add(
          FieldError.typeInvalid(
              path,
              actual,
              path.field()
                  + " in body must be of type "
                  + expected
                  + ": "
                  + GoFormat.quote(actual)));
      return;
    }
    JsonNode enumValues = schema.get("enum");
    if (enumValues != null && enumValues.isArray() && !contains(enumValues, node)) {
      List<String> supported = new ArrayList<>();
      enumValues.forEach(v -> supported.add(v.isTextual() ? v.asText() : v.toString()));
      errors.add(FieldError.notSupported(path, node, supported));
    }
    if (node.isTextual()) {
      checkString(schema, node, path, errors);
    } else if (node.isNumber()) {
      checkNumber(schema, node, path, errors);
    } else if (node.isArray()) {
      checkArray(schema, (ArrayNode) node, path, errors);
    } else if (node.isObject()) {
      checkObject(schema, (ObjectNode) node, path, root, errors);
    }
  }

  private static void checkString(
      JsonNode schema, JsonNode node, FieldPath path, List<FieldError> errors) {
    String s = node.asText();
    int length = s.codePointCount(0, s.length());
    if (schema.has("maxLength") && length > schema.get("maxLength").asLong()) {
      errors.add(FieldError.tooLong(path, schema.get("maxLength").asLong()));
    }
    if (schema.has("minLength") && length < schema.get("minLength").asLong()) {
      errors.add(
          FieldError.invalid(
              path,
              GoFormat.badValue(node),
              path.field()
                  + " in body should be at least "
                  + schema.get("minLength").asLong()
                  + " chars long"));
    }
    if (schema.has("pattern")) {
      String pattern = schema.get("pattern").asText();
      if (!PATTERNS.computeIfAbsent(pattern, Pattern::compile).matcher(s).find()) {
        errors.add(
            FieldError.invalid(
                path,
                GoFormat.badValue(node),
                path.field() + " in body should match '" + pattern + "'"));
      }
    }
  }

  private static void checkNumber(
      JsonNode schema, JsonNode node, FieldPath path, List<FieldError> errors) {
    double v = node.doubleValue();
    if (schema.has("maximum")) {
      double max = schema.get("maximum").doubleValue();
      boolean exclusive = schema.path("exclusiveMaximum").asBoolean(false);
      if (exclusive ? v >= max : v > max) {
        errors.add(
            FieldError.invalid(
                path,
                GoFormat.badValue(node),
                path.field()
                    + " in body should be less than "
                    + (exclusive ? "" : "or equal to ")
                    + GoFormat.number(max)));
      }
    }
    if (schema.has("minimum")) {
      double min = schema.get("minimum").doubleValue();
      boolean exclusive = schema.path("exclusiveMinimum").asBoolean(false);
      if (exclusive ? v <= min : v < min) {
        errors.add(
            FieldError.invalid(
                path,
                GoFormat.badValue(node),
                path.field()
                    + " in body should be greater than "
                    + (exclusive ? "" : "or equal to ")
                    + GoFormat.number(min)));
      }
    }
    if (schema.has("multipleOf")) {
      double m = schema.get("multipleOf").doubleValue();
      if (m != 0 && Math.abs(v / m - Math.rint(v / m)) > 1e-9) {
        errors.add(
            FieldError.invalid(
                path,
                GoFormat.badValue(node),
                path.field() + " in body should be a multiple of " + GoFormat.number(m)));
      }
    }
  }

  private static void checkArray(
      JsonNode schema, ArrayNode node, FieldPath path, List<FieldError> errors) {
    if (schema.has("maxItems") && node.size() > schema.get("maxItems").asLong()) {
      errors.add(FieldError.tooMany(path, node.size(), schema.get("maxItems").asLong()));
    }
    if (schema.has("minItems") && node.size() < schema.get("minItems").asLong()) {
      errors.add(
          FieldError.invalid(
              path,
              String.valueOf(node.size()),
              path.field()
                  + " in body should have at least "
                  + schema.get("minItems").asLong()
                  + " items"));
    }
    if (schema.has("items")) {
      for (int i = 0; i < node.size(); i++) {
        check(schema.get("items"), node.get(i), path.index(i), false, errors);
      }
    }
    if ("set".equals(schema.path("x-kubernetes-list-type").asText())) {
      Set<JsonNode> seen = new HashSet<>();
      for (int i = 0; i < node.size(); i++) {
        if (!seen.add(node.get(i))) {
          errors.add(FieldError.duplicate(path.index(i), GoFormat.badValue(node.get(i))));
        }
      }
    } else if ("map".equals(schema.path("x-kubernetes-list-type").asText())) {
      Set<List<JsonNode>> seen = new HashSet<>();
      for (int i = 0; i < node.size(); i++) {
        List<JsonNode> key = new ArrayList<>();
        for (JsonNode name : schema.path("x-kubernetes-list-map-keys")) {
          key.add(node.get(i).path(name.asText()));
        }
        if (!seen.add(key)) {
          errors.add(FieldError.duplicate(path.index(i), GoFormat.goSyntax(node.get(i))));
        }
      }
    }
  }

  private static void checkObject(
      JsonNode schema, ObjectNode node, FieldPath path, boolean root, List<FieldError> errors) {
    int size = root ? countNonRootFields(node) : node.size();
    if (schema.has("maxProperties") && size > schema.get("maxProperties").asLong()) {
      errors.add(FieldError.tooMany(path, size, schema.get("maxProperties").asLong()));
    }
    if (schema.has("minProperties") && size < schema.get("minProperties").asLong()) {
      errors.add(
          FieldError.invalid(
              path,
              String.valueOf(size),
              path.field()
                  + " in body should have at least "
                  + schema.get("minProperties").asLong()
                  + " properties"));
    }
    for (JsonNode required : schema.path("required")) {
      if (!node.has(required.asText())) {
        errors.add(FieldError.required(path.child(required.asText()), ""));
      }
    }
    JsonNode props = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (root && ROOT_FIELDS.contains(e.getKey())) {
        continue;
      }
      if (props.has(e.getKey())) {
        check(props.get(e.getKey()), e.getValue(), path.child(e.getKey()), false, errors);
      } else if (additional != null && additional.isObject()) {
        check(additional, e.getValue(), path.child(e.getKey()), false, errors);
      }
    }
  }

  private static int countNonRootFields(ObjectNode node) {
    int n = 0;
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      if (!ROOT_FIELDS.contains(it.next())) {
        n++;
      }
    }
    return n;
  }

  private static boolean typeMatches(JsonNode schema, JsonNode node) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return node.isTextual() || isInteger(node);
    }
    String type = schema.path("type").asText("");
    return switch (type) {
      case "object" -> node.isObject();
      case "array" -> node.isArray();
      case "string" -> node.isTextual();
      case "integer" -> isInteger(node);
      case "number" -> node.isNumber();
      case "boolean" -> node.isBoolean();
      default -> true;
    };
  }

  private static boolean isInteger(JsonNode node) {
    return node.isIntegralNumber()
        || (node.isFloatingPointNumber() && node.doubleValue() == Math.rint(node.doubleValue()));
  }

  /** The JSON type of a value as the server names it in type errors. */
  static String jsonType(JsonNode node) {
    if (node.isObject()) {
      return "object";
    }
    if (node.isArray()) {
      return "array";
    }
    if (node.isTextual()) {
      return "string";
    }
    if (node.isIntegralNumber()) {
      return "integer";
    }
    if (node.isNumber()) {
      return "number";
    }
    if (node.isBoolean()) {
      return "boolean";
    }
    return "null";
  }

  private static boolean contains(JsonNode values, JsonNode node) {
    for (JsonNode v : values) {
      if (v.equals(node)
          || (v.isNumber() && node.isNumber() && v.doubleValue() == node.doubleValue())) {
        return true;
      }
    }
    return false;
  }
}
