package dev.karpenter.cloudprovider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.testing.Fixtures;
import dev.karpenter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UnavailableOfferingsTest {
  final ManualClock clock = new ManualClock();
  final UnavailableOfferings ice = new UnavailableOfferings(clock);

  @Test
  void anOfferingIsUnavailableForThreeMinutesExactly() {
    ice.markUnavailable("m5.large", "us-east-1a", "spot");
    clock.advance(Duration.ofMinutes(3).minusMillis(1));
    assertTrue(ice.isUnavailable("m5.large", "us-east-1a", "spot"));
    assertFalse(ice.isUnavailable("m5.large", "us-east-1b", "spot"), "other zone");
    assertFalse(ice.isUnavailable("m5.large", "us-east-1a", "on-demand"), "other capacity type");
    clock.advance(Duration.ofMillis(1));
    assertFalse(ice.isUnavailable("m5.large", "us-east-1a", "spot"));
    assertEquals(Set.of(), ice.keys());
  }

  @Test
  void instanceTypesComeBackWithTheShortOfferingsUnavailable() {
    List<InstanceType> types = Fixtures.CPU;
    assertSame(types, ice.apply(types), "nothing marked: the same list");
    InstanceType m5 = types.stream().filter(t -> t.name().equals("m5.large")).findFirst().get();
    Offering spotA =
        m5.offerings().stream()
            .filter(o -> o.capacityType().equals("spot") && o.zone().equals("us-east-1a"))
            .findFirst()
            .orElseThrow();
    ice.markUnavailable("m5.large", "us-east-1a", "spot");
    InstanceType after =
        ice.apply(types).stream().filter(t -> t.name().equals("m5.large")).findFirst().get();
    for (Offering o : after.offerings()) {
      boolean shouldBeShort = o.zone().equals(spotA.zone()) && o.capacityType().equals("spot");
      assertEquals(!shouldBeShort, o.available(), o.toString());
    }
  }

  @Test
  void keysUseUpstreamsFormatAndListenersHearEachMark() {
    AtomicInteger heard = new AtomicInteger();
    ice.onChange(heard::incrementAndGet);
    long seq = ice.seqNum();
    ice.markUnavailable(
        List.of(
            UnavailableOfferings.Key.parse("spot:g5.xlarge:us-east-1b"),
            new UnavailableOfferings.Key("g5.xlarge", "us-east-1c", "spot")));
    ice.markUnavailable(List.of());
    assertEquals(1, heard.get(), "one mark of two keys, the empty one is no change");
    assertEquals(seq + 1, ice.seqNum());
    assertEquals(
        Set.of("spot:g5.xlarge:us-east-1b", "spot:g5.xlarge:us-east-1c"),
        Set.copyOf(ice.keys().stream().map(UnavailableOfferings.Key::toString).toList()));
  }
}
