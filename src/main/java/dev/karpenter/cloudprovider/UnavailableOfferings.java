package dev.karpenter.cloudprovider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Karpenter's unavailable-offerings (ICE) cache: offerings a launch found without capacity are
 * unavailable for {@link #TTL}. The cloud provider owns it and marks offerings when a launch runs
 * into insufficient capacity; {@link CloudProvider#instanceTypes} returns them with {@code
 * available=false}, and listeners (the provisioner) hear when it changes so the pods get another
 * round.
 */
public final class UnavailableOfferings {
  /** Upstream's {@code UnavailableOfferingsTTL}. */
  public static final Duration TTL = Duration.ofMinutes(3);

  /** One offering: instance type, zone and capacity type. */
  public record Key(String instanceType, String zone, String capacityType) {
    /** Upstream's cache key {@code <capacity-type>:<instance-type>:<zone>}. */
    @Override
    public String toString() {
      return capacityType + ":" + instanceType + ":" + zone;
    }

    /** Parses {@link #toString()}. */
    public static Key parse(String key) {
      String[] p = key.split(":", 3);
      if (p.length != 3) {
        throw new IllegalArgumentException(
            "offering key '" + key + "' is not capacityType:instanceType:zone");
      }
      return new Key(p[1], p[2], p[0]);
    }
  }

  private final Clock clock;
  private final Duration ttl;
  private final Map<Key, Instant> until = new ConcurrentHashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong seqNum = new AtomicLong();

  public UnavailableOfferings(Clock clock) {
    this(clock, TTL);
  }

  public UnavailableOfferings(Clock clock, Duration ttl) {
    this.clock = clock;
    this.ttl = ttl;
  }

  public void markUnavailable(String instanceType, String zone, String capacityType) {
    markUnavailable(List.of(new Key(instanceType, zone, capacityType)));
  }

  /** Marks every key unavailable for the TTL from now; listeners run once if any was given. */
  public void markUnavailable(List<Key> keys) {
    if (keys.isEmpty()) {
      return;
    }
    Instant expiry = clock.instant().plus(ttl);
    keys.forEach(k -> until.put(k, expiry));
    seqNum.incrementAndGet();
    listeners.forEach(Runnable::run);
  }

  public boolean isUnavailable(String instanceType, String zone, String capacityType) {
    Instant expiry = until.get(new Key(instanceType, zone, capacityType));
    return expiry != null && clock.instant().isBefore(expiry);
  }

  /** The offerings unavailable now. */
  public Set<Key> keys() {
    expire();
    return Set.copyOf(until.keySet());
  }

  /** Increases with every mark: a cheap "did anything change" for callers that cache. */
  public long seqNum() {
    return seqNum.get();
  }

  /** Runs {@code listener} after every mark (on the marking thread: keep it short). */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /** {@code types} with the offerings unavailable now set to {@code available=false}. */
  public List<InstanceType> apply(List<InstanceType> types) {
    expire();
    if (until.isEmpty()) {
      return types;
    }
    List<InstanceType> out = new ArrayList<>(types.size());
    for (InstanceType t : types) {
      boolean touched = false;
      List<Offering> offerings = new ArrayList<>(t.offerings().size());
      for (Offering o : t.offerings()) {
        if (o.available() && isUnavailable(t.name(), o.zone(), o.capacityType())) {
          offerings.add(o.withAvailable(false));
          touched = true;
        } else {
          offerings.add(o);
        }
      }
      out.add(
          touched
              ? new InstanceType(t.name(), t.labels(), t.capacity(), t.overhead(), offerings)
              : t);
    }
    return out;
  }

  /** Forgets every entry (tests and the demo's "capacity is back"). */
  public void clear() {
    until.clear();
    seqNum.incrementAndGet();
  }

  private void expire() {
    Instant now = clock.instant();
    until.values().removeIf(expiry -> !now.isBefore(expiry));
  }
}
