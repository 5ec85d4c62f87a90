package dev.karpenter.scheduling;

import dev.karpenter.api.v1.Labels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An immutable conjunction of {@link Requirement}s, at most one per label key. */
public final class Requirements {
  public static final Requirements NONE = new Requirements(Map.of());

  private final Map<String, Requirement> byKey;

  private Requirements(Map<String, Requirement> byKey) {
    this.byKey = byKey;
  }

  public static Requirements of(Collection<Requirement> requirements) {
    Requirements r = NONE;
    for (Requirement req : requirements) {
      r = r.with(req);
    }
    return r;
  }

  public static Requirements of(Requirement... requirements) {
    return of(List.of(requirements));
  }

  /** Requirements pinning each label to its value, e.g. from a nodeSelector or template labels. */
  public static Requirements fromLabels(Map<String, String> labels) {
    Requirements r = NONE;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      r = r.with(Requirement.in(Labels.normalize(e.getKey()), e.getValue()));
    }
    return r;
  }

  /** Adds a requirement, intersecting with an existing one on the same key. */
  public Requirements with(Requirement req) {
    String key = Labels.normalize(req.key());
    Requirement norm =
        key.equals(req.key())
            ? req
            : new Requirement(
                key,
                req.complement(),
                req.values(),
                req.greaterThan(),
                req.lessThan(),
                req.allowsAbsent(),
                req.minValues());
    Map<String, Requirement> m = new TreeMap<>(byKey);
    m.merge(key, norm, Requirement::intersect);
    return new Requirements(Collections.unmodifiableMap(m));
  }

  public Requirements and(Requirements other) {
    if (other.byKey.isEmpty()) {
      return this;
    }
    if (byKey.isEmpty()) {
      return other;
    }
    Map<String, Requirement> m = new TreeMap<>(byKey);
    other.byKey.forEach((k, v) -> m.merge(k, v, Requirement::intersect));
    return new Requirements(Collections.unmodifiableMap(m));
  }

  /** The requirement on {@code key}, or null when unconstrained. */
  public Requirement get(String key) {
    return byKey.get(key);
  }

  public boolean has(String key) {
    return byKey.containsKey(key);
  }

  public Collection<Requirement> all() {
    return byKey.values();
  }

  public boolean isEmpty() {
    return byKey.isEmpty();
  }

  /** Every requirement can be satisfied by some value (or absence). */
  public boolean satisfiable() {
    for (Requirement r : byKey.values()) {
      if (!r.satisfiable()) {
        return false;
      }
    }
    return true;
  }

  /** A node labelled exactly {@code labels} satisfies every requirement. */
  public boolean matchesLabels(Map<String, String> labels) {
    for (Requirement r : byKey.values()) {
      if (!r.matches(labels.get(r.key()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why {@code pod} requirements cannot be met by a node template constrained by {@code this}, or
   * null when compatible. A label the template does not define is only acceptable to the pod when
   * its requirement allows the label to be absent, or when the label is well-known (instance types
   * and offerings will narrow it).
   */
  public String incompatibility(Requirements pod) {
    for (Requirement p : pod.byKey.values()) {
      Requirement n = byKey.get(p.key());
      if (n == null) {
        if (!p.allowsAbsent() && !Labels.isWellKnown(p.key())) {
          return "label " + p.key() + " is not defined (requires " + p + ")";
        }
        continue;
      }
      if (!n.intersect(p).satisfiable()) {
        return "requirement " + p + " conflicts with " + n;
      }
    }
    return null;
  }

  public List<String> keys() {
    return new ArrayList<>(byKey.keySet());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Requirements r && r.byKey.equals(byKey);
  }

  @Override
  public int hashCode() {
    return byKey.hashCode();
  }

  @Override
  public String toString() {
    return byKey.values().toString();
  }
}
