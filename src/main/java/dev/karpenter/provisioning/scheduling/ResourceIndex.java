package dev.karpenter.provisioning.scheduling;

import dev.karpenter.scheduling.Quantities;
import dev.karpenter.scheduling.Resources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Dense resource vectors for the hot path: each resource name gets an index into a long[]. */
final class ResourceIndex {
  private final Map<String, Integer> index = new HashMap<>();
  private final List<String> names = new ArrayList<>();

  void register(Resources r) {
    for (String k : r.milli().keySet()) {
      index.computeIfAbsent(
          k,
          key -> {
            names.add(key);
            return names.size() - 1;
          });
    }
  }

  int size() {
    return names.size();
  }

  String name(int i) {
    return names.get(i);
  }

  int indexOf(String name) {
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  long[] vector(Resources r) {
    long[] v = new long[names.size()];
    r.milli()
        .forEach(
            (k, val) -> {
              Integer i = index.get(k);
              if (i != null) {
                v[i] = val;
              }
            });
    return v;
  }

  Resources resources(long[] v) {
    Map<String, Long> m = new HashMap<>();
    for (int i = 0; i < v.length; i++) {
      if (v[i] != 0) {
        m.put(names.get(i), v[i]);
      }
    }
    return new Resources(m);
  }

  static boolean fits(long[] available, long[] used, long[] extra) {
    for (int i = 0; i < available.length; i++) {
      if (used[i] + extra[i] > available[i]) {
        return false;
      }
    }
    return true;
  }

  static long[] plus(long[] a, long[] b) {
    long[] r = a.clone();
    for (int i = 0; i < r.length; i++) {
      r[i] += b[i];
    }
    return r;
  }

  static void addInPlace(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  /** "nvidia.com/gpu ≥ 4 and cpu ≥ 16" for the non-zero entries, for messages. */
  String describeAtLeast(long[] v) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < v.length; i++) {
      String n = names.get(i);
      if (v[i] > 0 && !n.equals("pods")) {
        parts.add(n + " ≥ " + Quantities.format(n, v[i]));
      }
    }
    parts.sort(
        (a, b) -> {
          boolean ca = a.startsWith("cpu") || a.startsWith("memory");
          boolean cb = b.startsWith("cpu") || b.startsWith("memory");
          return ca == cb ? a.compareTo(b) : ca ? 1 : -1;
        });
    return parts.isEmpty() ? "room for one more pod" : String.join(" and ", parts);
  }
}
