package dev.karpenter.cloudprovider.aws;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Offerings a launch or an interruption found short, keyed {@code capacityType:instanceType:zone},
 * hidden for {@link #TTL} like upstream's ICE cache. (To be replaced by the shared cache in
 * dev.karpenter.cloudprovider when it lands.)
 */
final class UnavailableOfferings {
  static final Duration TTL = Duration.ofMinutes(3);
  private final Map<String, Instant> until = new ConcurrentHashMap<>();
  private final Clock clock;

  UnavailableOfferings(Clock clock) {
    this.clock = clock;
  }

  static String key(String capacityType, String instanceType, String zone) {
    return capacityType + ":" + instanceType + ":" + zone;
  }

  void mark(String capacityType, String instanceType, String zone) {
    until.put(key(capacityType, instanceType, zone), clock.instant().plus(TTL));
  }

  boolean isUnavailable(String capacityType, String instanceType, String zone) {
    Instant u = until.get(key(capacityType, instanceType, zone));
    if (u == null) {
      return false;
    }
    if (!clock.instant().isBefore(u)) {
      until.remove(key(capacityType, instanceType, zone), u);
      return false;
    }
    return true;
  }
}
