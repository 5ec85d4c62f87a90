package dev.karpenter.scheduling;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable list of resource amounts (cpu, memory, nvidia.com/gpu, ...) in milli-units (see
 * {@link Quantities}). Absent resources are zero.
 */
public record Resources(Map<String, Long> milli) {
  public static final Resources NONE = new Resources(Map.of());

  public Resources {
    milli = Collections.unmodifiableMap(sortedWithoutZeros(milli));
  }

  private static TreeMap<String, Long> sortedWithoutZeros(Map<String, Long> milli) {
    // A naturally sorted map without zeros (how the catalog builds them) is copied in linear time.
    if (milli instanceof SortedMap<String, Long> sorted
        && sorted.comparator() == null
        && !sorted.containsValue(0L)
        && !sorted.containsValue(null)) {
      return new TreeMap<>(sorted);
    }
    TreeMap<String, Long> copy = new TreeMap<>();
    for (Map.Entry<String, Long> e : milli.entrySet()) {
      if (e.getValue() != 0) {
        copy.put(e.getKey(), e.getValue());
      }
    }
    return copy;
  }

  /** Parses a map of Kubernetes quantities such as {@code {cpu: "4", memory: "16Gi"}}. */
  public static Resources parse(Map<String, String> quantities) {
    Map<String, Long> m = new LinkedHashMap<>();
    quantities.forEach((k, v) -> m.merge(k, Quantities.parseMilli(v), Long::sum));
    return new Resources(m);
  }

  public static Resources of(String resource, long milli) {
    return new Resources(Map.of(resource, milli));
  }

  public long get(String resource) {
    return milli.getOrDefault(resource, 0L);
  }

  public boolean isEmpty() {
    return milli.isEmpty();
  }

  public Resources plus(Resources other) {
    if (other.milli.isEmpty()) {
      return this;
    }
    Map<String, Long> m = new TreeMap<>(milli);
    other.milli.forEach((k, v) -> m.merge(k, v, Long::sum));
    return new Resources(m);
  }

  public Resources minus(Resources other) {
    if (other.milli.isEmpty()) {
      return this;
    }
    Map<String, Long> m = new TreeMap<>(milli);
    other.milli.forEach((k, v) -> m.merge(k, -v, Long::sum));
    return new Resources(m);
  }

  /** Every resource of {@code requests} is available here (absent means zero). */
  public boolean fits(Resources requests) {
    for (Map.Entry<String, Long> e : requests.milli.entrySet()) {
      if (e.getValue() > get(e.getKey())) {
        return false;
      }
    }
    return true;
  }

  /** Canonical Kubernetes quantities, e.g. {@code {cpu=3920m, memory=14481Mi}}. */
  public Map<String, String> toQuantities() {
    Map<String, String> out = new LinkedHashMap<>();
    milli.forEach((k, v) -> out.put(k, Quantities.format(k, v)));
    return out;
  }

  @Override
  public String toString() {
    return toQuantities().toString();
  }
}
