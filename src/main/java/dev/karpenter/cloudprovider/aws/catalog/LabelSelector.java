package dev.karpenter.cloudprovider.aws.catalog;

import dev.karpenter.api.v1.Labels;
import java.util.List;
import java.util.Map;

/**
 * One label condition for filtering instance types, written as on the command line: {@code
 * key=v1,v2} (In), {@code key!=v} (NotIn), {@code key>N}, {@code key<N}, {@code key>=N}, {@code
 * key<=N}, {@code key} (Exists) or {@code !key} (DoesNotExist). Keys may drop the {@code
 * karpenter.k8s.aws/} prefix ({@code instance-gpu-name=t4}). A key an instance type has no value
 * for matches only NotIn and DoesNotExist, as in Karpenter's requirements.
 */
public record LabelSelector(String key, Operator operator, List<String> values) {
  public enum Operator {
    IN,
    NOT_IN,
    EXISTS,
    DOES_NOT_EXIST,
    GT,
    LT,
    GTE,
    LTE
  }

  public LabelSelector {
    values = List.copyOf(values);
  }

  /**
   * @throws IllegalArgumentException with a message naming the expression when it is not valid
   */
  public static LabelSelector parse(String expression) {
    String e = expression == null ? "" : expression.trim();
    if (e.isEmpty()) {
      throw new IllegalArgumentException("empty label selector");
    }
    if (e.startsWith("!")) {
      return new LabelSelector(key(expression, e.substring(1)), Operator.DOES_NOT_EXIST, List.of());
    }
    int i = 0;
    while (i < e.length() && "=!<>".indexOf(e.charAt(i)) < 0) {
      i++;
    }
    if (i == e.length()) {
      return new LabelSelector(key(expression, e), Operator.EXISTS, List.of());
    }
    String op = e.substring(i, Math.min(i + 2, e.length()));
    Operator operator;
    int len = 2;
    switch (op) {
      case "!=" -> operator = Operator.NOT_IN;
      case ">=" -> operator = Operator.GTE;
      case "<=" -> operator = Operator.LTE;
      case "==" -> operator = Operator.IN;
      default -> {
        len = 1;
        operator =
            switch (e.charAt(i)) {
              case '=' -> Operator.IN;
              case '>' -> Operator.GT;
              case '<' -> Operator.LT;
              default ->
                  throw new IllegalArgumentException(
                      "label selector '" + expression + "': '!' must be followed by '='");
            };
      }
    }
    String key = key(expression, e.substring(0, i));
    String rest = e.substring(i + len).trim();
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("label selector '" + expression + "': missing value");
    }
    List<String> values = List.of(rest.split(",", -1));
    if (values.stream().anyMatch(String::isBlank)) {
      throw new IllegalArgumentException("label selector '" + expression + "': empty value");
    }
    if (operator == Operator.GT
        || operator == Operator.LT
        || operator == Operator.GTE
        || operator == Operator.LTE) {
      if (!Labels.NUMERIC.contains(key)) {
        throw new IllegalArgumentException(
            "label selector '" + expression + "': " + key + " is not a numeric label");
      }
      if (values.size() != 1 || !rest.matches("\\d{1,18}")) {
        throw new IllegalArgumentException(
            "label selector '" + expression + "': '" + rest + "' is not a non-negative integer");
      }
    }
    return new LabelSelector(key, operator, values.stream().map(String::trim).toList());
  }

  private static String key(String expression, String raw) {
    String k = Labels.resolve(raw.trim());
    if (k.isEmpty()) {
      throw new IllegalArgumentException("label selector '" + expression + "': missing key");
    }
    if (!Labels.ALL.contains(k)) {
      throw new IllegalArgumentException(
          "label selector '"
              + expression
              + "': unknown label key '"
              + raw.trim()
              + "' (try e.g. instance-gpu-name, instance-family, kubernetes.io/arch)");
    }
    if (Labels.PER_OFFERING.contains(k)) {
      throw new IllegalArgumentException(
          "label selector '"
              + expression
              + "': "
              + k
              + " varies per offering, not per instance type");
    }
    return k;
  }

  /** Whether an instance type with these labels satisfies the condition. */
  public boolean matches(Map<String, String> labels) {
    String v = labels.get(key);
    return switch (operator) {
      case EXISTS -> v != null;
      case DOES_NOT_EXIST -> v == null;
      case IN -> v != null && values.contains(v);
      case NOT_IN -> v == null || !values.contains(v);
      case GT, LT, GTE, LTE -> v != null && compare(v);
    };
  }

  private boolean compare(String v) {
    long have;
    try {
      have = Long.parseLong(v);
    } catch (NumberFormatException e) {
      return false;
    }
    long want = Long.parseLong(values.get(0));
    return switch (operator) {
      case GT -> have > want;
      case LT -> have < want;
      case GTE -> have >= want;
      case LTE -> have <= want;
      default -> throw new IllegalStateException(operator.name());
    };
  }
}
