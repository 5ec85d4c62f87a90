package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntime.CelFunctionBinding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.MatchResult;

/**
 * Evaluates the {@code x-kubernetes-validations} CEL rules of a schema with cel-java, the way the
 * API server does on create: every rule at every node the object has, {@code self} bound to that
 * node, the Kubernetes CEL libraries the rules may call (strings extension, regex {@code find}).
 * Transition rules (those reading {@code oldSelf}) only run on update, so they are skipped.
 */
final class CelRules {
  private static final java.util.regex.Pattern FIELD_PATH_SEGMENT =
      java.util.regex.Pattern.compile("\\.([A-Za-z0-9_-]+)|\\['([^']*)'\\]|\\[([0-9]+)\\]");

  private record Compiled(CelRuntime.Program program, boolean transition, String error) {}

  private static final Map<String, Pattern> REGEXES = new ConcurrentHashMap<>();
  private final Cel cel;
  private final Map<String, Compiled> cache = new ConcurrentHashMap<>();

  CelRules() {
    this.cel =
        CelFactory.standardCelBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addCompilerLibraries(CelExtensions.strings())
            .addRuntimeLibraries(CelExtensions.strings())
            .addVar("self", SimpleType.DYN)
            .addVar("oldSelf", SimpleType.DYN)
            .addFunctionDeclarations(
                CelFunctionDecl.newFunctionDeclaration(
                    "find",
                    CelOverloadDecl.newMemberOverload(
                        "string_find_string",
                        SimpleType.STRING,
                        SimpleType.STRING,
                        SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration(
                    "findAll",
                    CelOverloadDecl.newMemberOverload(
                        "string_find_all_string",
                        ListType.create(SimpleType.STRING),
                        SimpleType.STRING,
                        SimpleType.STRING),
                    CelOverloadDecl.newMemberOverload(
                        "string_find_all_string_int",
                        ListType.create(SimpleType.STRING),
                        SimpleType.STRING,
                        SimpleType.STRING,
                        SimpleType.INT)))
            .addFunctionBindings(
                CelFunctionBinding.from(
                    "string_find_string", String.class, String.class, CelRules::find),
                CelFunctionBinding.from(
                    "string_find_all_string",
                    String.class,
                    String.class,
                    (s, re) -> findAll(s, re, -1)),
                CelFunctionBinding.from(
                    "string_find_all_string_int",
                    List.of(String.class, String.class, Long.class),
                    args -> findAll((String) args[0], (String) args[1], (Long) args[2])))
            .build();
  }

  /** Kubernetes' {@code find}: the first match of the RE2 regex, or "" when none. */
  private static String find(String s, String regex) {
    Matcher m = regex(regex).matcher(s);
    return m.find() ? m.group() : "";
  }

  private static Pattern regex(String regex) {
    return REGEXES.computeIfAbsent(regex, Pattern::compile);
  }

  private static List<String> findAll(String s, String regex, long limit) {
    List<String> out = new ArrayList<>();
    Matcher m = regex(regex).matcher(s);
    while ((limit < 0 || out.size() < limit) && m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** Evaluates every rule under {@code schema} against {@code node}; false rules become errors. */
  void evaluate(
      JsonNode schema,
      JsonNode node,
      FieldPath path,
      boolean root,
      List<FieldError> errors,
      List<SkippedRule> skipped) {
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      evaluateRule(schema, rule, node, path, errors, skipped);
    }
    if (node.isObject()) {
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.get("additionalProperties");
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (root
            && (e.getKey().equals("metadata")
                || e.getKey().equals("apiVersion")
                || e.getKey().equals("kind"))) {
          continue;
        }
        if (props.has(e.getKey())) {
          evaluate(
              props.get(e.getKey()), e.getValue(), path.child(e.getKey()), false, errors, skipped);
        } else if (additional != null && additional.isObject()) {
          evaluate(additional, e.getValue(), path.key(e.getKey()), false, errors, skipped);
        }
      }
    } else if (node.isArray() && schema.has("items")) {
      for (int i = 0; i < node.size(); i++) {
        evaluate(schema.get("items"), node.get(i), path.index(i), false, errors, skipped);
      }
    }
  }

  private void evaluateRule(
      JsonNode schema,
      JsonNode rule,
      JsonNode node,
      FieldPath path,
      List<FieldError> errors,
      List<SkippedRule> skipped) {
    String expression = rule.path("rule").asText();
    Compiled compiled = compile(expression);
    if (compiled.error() != null) {
      skipped.add(
          new SkippedRule(
              path, expression, "cannot be evaluated offline: " + compiled.error(), false));
      return;
    }
    if (compiled.transition()) {
      skipped.add(
          new SkippedRule(
              path, expression, "transition rule (oldSelf); only checked on update", true));
      return;
    }
    Map<String, Object> vars = Map.of("self", toCel(schema, node));
    FieldPath at = withFieldPath(path, rule.path("fieldPath").asText(""));
    String type = schema.path("type").asText("");
    try {
      Object result = compiled.program().eval(vars);
      if (Boolean.TRUE.equals(result)) {
        return;
      }
      errors.add(
          failure(at, type, message(rule, expression, vars), rule.path("reason").asText("")));
    } catch (CelEvaluationException | RuntimeException e) {
      errors.add(FieldError.invalid(at, GoFormat.quote(type), e.getMessage()));
    }
  }

  private String message(JsonNode rule, String expression, Map<String, Object> vars) {
    String messageExpression = rule.path("messageExpression").asText("");
    if (!messageExpression.isEmpty()) {
      Compiled m = compile(messageExpression);
      if (m.error() == null && !m.transition()) {
        try {
          Object out = m.program().eval(vars);
          if (out instanceof String s && !s.isBlank()) {
            return s;
          }
        } catch (CelEvaluationException | RuntimeException e) {
          // the server falls back to the static message as well
        }
      }
    }
    String message = rule.path("message").asText("");
    return message.isEmpty() ? "failed rule: " + expression.strip() : message;
  }

  private static FieldError failure(FieldPath at, String type, String message, String reason) {
    return switch (reason) {
      case "FieldValueForbidden" -> FieldError.forbidden(at, message);
      case "FieldValueRequired" -> FieldError.required(at, message);
      case "FieldValueDuplicate" -> FieldError.duplicate(at, GoFormat.quote(type));
      default -> FieldError.invalid(at, GoFormat.quote(type), message);
    };
  }

  private static FieldPath withFieldPath(FieldPath path, String fieldPath) {
    FieldPath out = path;
    java.util.regex.Matcher m = FIELD_PATH_SEGMENT.matcher(fieldPath);
    int end = 0;
    while (m.find() && m.start() == end) {
      MatchResult r = m.toMatchResult();
      if (r.group(1) != null) {
        out = out.child(r.group(1));
      } else if (r.group(2) != null) {
        out = out.key(r.group(2));
      } else {
        out = out.index(Integer.parseInt(r.group(3)));
      }
      end = m.end();
    }
    return end == fieldPath.length() ? out : path;
  }

  private Compiled compile(String expression) {
    return cache.computeIfAbsent(
        expression,
        e -> {
          try {
            CelAbstractSyntaxTree ast = cel.compile(e).getAst();
            boolean transition =
                CelNavigableAst.fromAst(ast)
                    .getRoot()
                    .allNodes()
                    .anyMatch(
                        n ->
                            n.getKind() == CelExpr.ExprKind.Kind.IDENT
                                && n.expr().ident().name().equals("oldSelf"));
            return new Compiled(transition ? null : cel.createProgram(ast), transition, null);
          } catch (CelValidationException | CelEvaluationException | RuntimeException ex) {
            return new Compiled(null, false, ex.getMessage().lines().findFirst().orElse(""));
          }
        });
  }

  /** The CEL value of a node: objects become maps, integers longs, per the schema's types. */
  private static Object toCel(JsonNode schema, JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      JsonNode props = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      node.properties()
          .forEach(
              e ->
                  m.put(
                      e.getKey(),
                      toCel(
                          props.has(e.getKey()) ? props.get(e.getKey()) : additional,
                          e.getValue())));
      return m;
    }
    if (node.isArray()) {
      List<Object> l = new ArrayList<>();
      node.forEach(item -> l.add(toCel(schema.path("items"), item)));
      return l;
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    if (node.isIntegralNumber()
        || ("integer".equals(schema.path("type").asText())
            && node.doubleValue() == Math.rint(node.doubleValue()))) {
      return node.longValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    return dev.cel.common.values.NullValue.NULL_VALUE;
  }
}
