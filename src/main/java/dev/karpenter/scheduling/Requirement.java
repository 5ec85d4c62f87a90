package dev.karpenter.scheduling;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * One node-selector requirement in normal form, so that every operator intersects with every other:
 * a value set that is either the allowed values ({@code complement=false}) or the excluded values
 * ({@code complement=true}), optional exclusive integer bounds, and whether a node without the
 * label satisfies it.
 *
 * <p>In = {values}; NotIn = complement of {values}, absent allowed; Exists = complement of {};
 * DoesNotExist = {} with absent allowed; Gt/Lt/Gte/Lte = complement of {} with bounds.
 */
public record Requirement(
    String key,
    boolean complement,
    Set<String> values,
    Long greaterThan,
    Long lessThan,
    boolean allowsAbsent,
    int minValues) {

  public Requirement {
    values = Set.copyOf(values);
  }

  /** Builds a requirement from a Kubernetes operator; throws naming the problem for bad input. */
  public static Requirement of(String key, String operator, Collection<String> values) {
    return of(key, operator, values, 0);
  }

  public static Requirement of(
      String key, String operator, Collection<String> values, int minValues) {
    Set<String> v = values == null ? Set.of() : new TreeSet<>(values);
    return switch (operator) {
      case "In" -> {
        if (v.isEmpty()) {
          throw new IllegalArgumentException("operator In needs at least one value");
        }
        yield new Requirement(key, false, v, null, null, false, minValues);
      }
      case "NotIn" -> new Requirement(key, true, v, null, null, true, minValues);
      case "Exists" -> new Requirement(key, true, Set.of(), null, null, false, minValues);
      case "DoesNotExist" -> new Requirement(key, false, Set.of(), null, null, true, minValues);
      case "Gt" -> new Requirement(key, true, Set.of(), bound(v, operator), null, false, minValues);
      case "Gte" ->
          new Requirement(key, true, Set.of(), bound(v, operator) - 1, null, false, minValues);
      case "Lt" -> new Requirement(key, true, Set.of(), null, bound(v, operator), false, minValues);
      case "Lte" ->
          new Requirement(key, true, Set.of(), null, bound(v, operator) + 1, false, minValues);
      default ->
          throw new IllegalArgumentException(
              "operator '"
                  + operator
                  + "' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte");
    };
  }

  public static Requirement in(String key, String... values) {
    return of(key, "In", Set.of(values));
  }

  private static long bound(Set<String> values, String operator) {
    if (values.size() != 1) {
      throw new IllegalArgumentException("operator " + operator + " needs exactly one value");
    }
    String s = values.iterator().next();
    try {
      long n = Long.parseLong(s);
      if (n < 0) {
        throw new IllegalArgumentException(
            "operator " + operator + " needs a non-negative integer, got '" + s + "'");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "operator " + operator + " needs an integer value, got '" + s + "'");
    }
  }

  /** Whether a node whose label has {@code value} (null = label absent) satisfies this. */
  public boolean matches(String value) {
    if (value == null) {
      return allowsAbsent;
    }
    if (!withinBounds(value)) {
      return false;
    }
    return complement != values.contains(value);
  }

  private boolean withinBounds(String value) {
    if (greaterThan == null && lessThan == null) {
      return true;
    }
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      return false;
    }
    return (greaterThan == null || n > greaterThan) && (lessThan == null || n < lessThan);
  }

  /** The requirement both this and {@code other} impose (keys must be equal). */
  public Requirement intersect(Requirement other) {
    Long gt = max(greaterThan, other.greaterThan);
    Long lt = min(lessThan, other.lessThan);
    boolean absent = allowsAbsent && other.allowsAbsent;
    int mv = Math.max(minValues, other.minValues);
    Set<String> v;
    boolean comp;
    if (complement && other.complement) {
      comp = true;
      v = new TreeSet<>(values);
      v.addAll(other.values);
    } else if (complement) {
      comp = false;
      v = new TreeSet<>(other.values);
      v.removeAll(values);
    } else if (other.complement) {
      comp = false;
      v = new TreeSet<>(values);
      v.removeAll(other.values);
    } else {
      comp = false;
      v = new TreeSet<>(values);
      v.retainAll(other.values);
    }
    Requirement r = new Requirement(key, comp, v, gt, lt, absent, mv);
    if (!comp && (gt != null || lt != null)) {
      Set<String> kept = new TreeSet<>();
      for (String s : v) {
        if (r.withinBounds(s)) {
          kept.add(s);
        }
      }
      r = new Requirement(key, false, kept, gt, lt, absent, mv);
    }
    return r;
  }

  /** Some labelled value satisfies this (ignoring whether the label may be absent). */
  public boolean hasValues() {
    if (!complement) {
      return !values.isEmpty();
    }
    return greaterThan == null || lessThan == null || lessThan - greaterThan > 1;
  }

  /** Something (a value, or the label's absence) satisfies this. */
  public boolean satisfiable() {
    return hasValues() || allowsAbsent;
  }

  /** The single value this pins the label to, or null. */
  public String singleValue() {
    return !complement && values.size() == 1 ? values.iterator().next() : null;
  }

  /** Kubernetes operator form, for messages and NodeClaim requirements. */
  public String operator() {
    if (!complement) {
      return values.isEmpty() ? "DoesNotExist" : "In";
    }
    if (greaterThan != null) {
      return "Gt";
    }
    if (lessThan != null) {
      return "Lt";
    }
    return values.isEmpty() ? "Exists" : "NotIn";
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(key);
    if (!complement) {
      sb.append(values.isEmpty() ? " DoesNotExist" : " In " + values);
    } else {
      sb.append(values.isEmpty() ? "" : " NotIn " + values);
      if (greaterThan != null) {
        sb.append(" >").append(greaterThan);
      }
      if (lessThan != null) {
        sb.append(" <").append(lessThan);
      }
      if (values.isEmpty() && greaterThan == null && lessThan == null) {
        sb.append(" Exists");
      }
    }
    return sb.toString();
  }

  private static Long max(Long a, Long b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return Long.valueOf(Math.max(a, b));
  }

  private static Long min(Long a, Long b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return Long.valueOf(Math.min(a, b));
  }
}
