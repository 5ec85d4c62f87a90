package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Prints values the way the API server's messages print them (Go's {@code %v}, {@code %q} and
 * {@code %#v} of decoded JSON), so offline messages read like the server's.
 */
final class GoFormat {
  private GoFormat() {}

  /** A rejected value as {@code field.Error} shows it: numbers bare, strings quoted. */
  static String badValue(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return quote("null");
    }
    if (v.isTextual()) {
      return quote(v.asText());
    }
    if (v.isNumber() || v.isBoolean()) {
      return scalar(v);
    }
    return goSyntax(v);
  }

  /** Go's {@code %v} of a number or boolean. */
  static String scalar(JsonNode v) {
    if (v.isIntegralNumber() || v.isBoolean()) {
      return v.asText();
    }
    return number(v.doubleValue());
  }

  static String number(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e21) {
      return new BigDecimal(d).toBigInteger().toString();
    }
    String s = BigDecimal.valueOf(d).stripTrailingZeros().toString();
    return s.replace("E", "e");
  }

  /** Go's {@code strconv.Quote}. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                  if (c < 0x20 || c == 0x7f) {
                    sb.append(String.format("\\x%02x", c));
                  } else {
                    sb.appendCodePoint(c);
                  }
                }
              }
            });
    return sb.append('"').toString();
  }

  /** Go's {@code %#v} of decoded JSON ({@code map[string]interface {}}, {@code []interface {}}). */
  static String goSyntax(JsonNode v) {
    if (v.isObject()) {
      List<String> entries = new ArrayList<>();
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      fields.addAll(v.properties());
      fields.sort(Map.Entry.comparingByKey());
      for (var e : fields) {
        entries.add(quote(e.getKey()) + ":" + goSyntax(e.getValue()));
      }
      return "map[string]interface {}{" + String.join(", ", entries) + "}";
    }
    if (v.isArray()) {
      List<String> items = new ArrayList<>();
      for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
        items.add(goSyntax(it.next()));
      }
      return "[]interface {}{" + String.join(", ", items) + "}";
    }
    if (v.isNull()) {
      return "interface {}(nil)";
    }
    if (v.isTextual()) {
      return quote(v.asText());
    }
    return scalar(v);
  }
}
