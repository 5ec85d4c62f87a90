package dev.karpenter.cloudprovider.aws.catalog;

import static dev.karpenter.api.v1.Labels.*;

import dev.karpenter.cloudprovider.ImmutableLabels;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The immutable labels of one derived instance type: a value per slot of a fixed, shared key list
 * instead of a hash table per type, so deriving 1,300+ types costs array stores rather than
 * hashing, and each type keeps one small array. Iterates in {@link #KEYS} order.
 */
final class LabelMap extends ImmutableLabels {
  /** Every key the resolver sets; a key outside this list is a programming error. */
  static final List<String> KEYS =
      List.of(
          INSTANCE_TYPE,
          ARCH,
          OS,
          WINDOWS_BUILD,
          REGION,
          INSTANCE_CPU,
          INSTANCE_MEMORY,
          INSTANCE_TENANCY,
          INSTANCE_ENCRYPTION_IN_TRANSIT_SUPPORTED,
          NITRO_SANDBOX,
          INSTANCE_HYPERVISOR,
          INSTANCE_CATEGORY,
          INSTANCE_GENERATION,
          INSTANCE_FAMILY,
          INSTANCE_SIZE,
          INSTANCE_CAPABILITY_FLEX,
          INSTANCE_LOCAL_NVME,
          INSTANCE_NETWORK_BANDWIDTH,
          INSTANCE_EBS_BANDWIDTH,
          INSTANCE_CPU_MANUFACTURER,
          INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ,
          INSTANCE_GPU_NAME,
          INSTANCE_GPU_MANUFACTURER,
          INSTANCE_GPU_COUNT,
          INSTANCE_GPU_MEMORY,
          INSTANCE_ACCELERATOR_NAME,
          INSTANCE_ACCELERATOR_MANUFACTURER,
          INSTANCE_ACCELERATOR_COUNT);

  private static final Map<String, Integer> SLOT;

  static {
    Map<String, Integer> m = HashMap.newHashMap(KEYS.size());
    for (int i = 0; i < KEYS.size(); i++) {
      m.put(KEYS.get(i), i);
    }
    SLOT = m;
  }

  private final String[] values;
  private final int size;

  private LabelMap(String[] values, int size) {
    this.values = values;
    this.size = size;
  }

  /** Collects labels; {@link #build()} hands the array over, so a builder is used once. */
  static final class Builder {
    private String[] values = new String[KEYS.size()];
    private int size;

    /**
     * @throws IllegalArgumentException for a key outside {@link #KEYS} or one already set
     */
    Builder put(String key, String value) {
      Integer slot = SLOT.get(key);
      if (slot == null) {
        throw new IllegalArgumentException("not a label key of derived instance types: " + key);
      }
      if (values[slot] != null) {
        throw new IllegalArgumentException("label " + key + " set twice");
      }
      values[slot] = Objects.requireNonNull(value, key);
      size++;
      return this;
    }

    LabelMap build() {
      LabelMap m = new LabelMap(values, size);
      values = null;
      return m;
    }
  }

  @Override
  public String get(Object key) {
    Integer slot = SLOT.get(key);
    return slot == null ? null : values[slot];
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void forEach(BiConsumer<? super String, ? super String> action) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        action.accept(KEYS.get(i), values[i]);
      }
    }
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public Iterator<Entry<String, String>> iterator() {
        return new Iterator<>() {
          private int next = advance(0);

          private int advance(int from) {
            int i = from;
            while (i < values.length && values[i] == null) {
              i++;
            }
            return i;
          }

          @Override
          public boolean hasNext() {
            return next < values.length;
          }

          @Override
          public Entry<String, String> next() {
            if (next >= values.length) {
              throw new NoSuchElementException();
            }
            Entry<String, String> e = Map.entry(KEYS.get(next), values[next]);
            next = advance(next + 1);
            return e;
          }
        };
      }
    };
  }
}
