package dev.karpenter.disruption.decision;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The equality-based label selector syntax of {@code kubectl -l}: {@code k=v}, {@code k==v}, {@code
 * k!=v}, {@code k} (exists) and {@code !k} (does not exist), comma-separated. Parsed into key to
 * expected value, where {@code "!"+v} means "not v", {@code "*"} exists and {@code "!"} does not
 * exist.
 */
final class LabelSelectors {
  private LabelSelectors() {}

  static Map<String, String> parse(String selector) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String raw : selector.split(",")) {
      String term = raw.trim();
      if (term.isEmpty()) {
        continue;
      }
      int ne = term.indexOf("!=");
      int eq = term.indexOf('=');
      if (ne > 0) {
        out.put(term.substring(0, ne).trim(), "!" + term.substring(ne + 2).trim());
      } else if (eq > 0) {
        String v = term.substring(eq + 1);
        out.put(term.substring(0, eq).trim(), (v.startsWith("=") ? v.substring(1) : v).trim());
      } else if (term.startsWith("!")) {
        out.put(term.substring(1).trim(), "!");
      } else {
        out.put(term, "*");
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("empty label selector '" + selector + "'");
    }
    return out;
  }

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    for (Map.Entry<String, String> e : selector.entrySet()) {
      String have = l.get(e.getKey());
      String want = e.getValue();
      boolean ok =
          switch (want) {
            case "*" -> have != null;
            case "!" -> have == null;
            default -> want.startsWith("!") ? !want.substring(1).equals(have) : want.equals(have);
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
