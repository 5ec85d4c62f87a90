package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CatalogTest {
  private static final Catalog US_EAST_1 = Catalog.load("us-east-1");

  private static InstanceType type(String name) {
    return US_EAST_1.get(name).orElseThrow(() -> new AssertionError(name + " not in catalog"));
  }

  private static Map<String, String> allocatable(String name) {
    return type(name).allocatable().toQuantities();
  }

  @Test
  void g4dnXlargeAllocatableMatchesKarpenter() {
    Map<String, String> a = allocatable("g4dn.xlarge");
    assertEquals("3920m", a.get("cpu"));
    assertEquals("14481Mi", a.get("memory"));
    assertEquals("29", a.get("pods"));
    assertEquals("1", a.get("nvidia.com/gpu"));
    assertEquals("17Gi", a.get("ephemeral-storage"));
  }

  @Test
  void p5AllocatableMatchesKarpenter() {
    Map<String, String> a = allocatable("p5.48xlarge");
    assertEquals("191450m", a.get("cpu"));
    assertEquals("1938410Mi", a.get("memory"));
    assertEquals("100", a.get("pods"));
    assertEquals("8", a.get("nvidia.com/gpu"));
    assertEquals("32", a.get("vpc.amazonaws.com/efa"));
  }

  @Test
  void trn1NeuronAndEfa() {
    Map<String, String> a = allocatable("trn1.32xlarge");
    assertEquals("16", a.get("aws.amazon.com/neuron"));
    assertEquals("32", a.get("aws.amazon.com/neuroncore"));
    assertEquals("8", a.get("vpc.amazonaws.com/efa"));
  }

  @Test
  void inf2Neuron() {
    Map<String, String> a = allocatable("inf2.48xlarge");
    assertEquals("12", a.get("aws.amazon.com/neuron"));
    assertEquals("24", a.get("aws.amazon.com/neuroncore"));
  }

  @Test
  void g4adHasAmdGpuAndNoNvidia() {
    Map<String, String> a = allocatable("g4ad.xlarge");
    assertEquals("1", a.get("amd.com/gpu"));
    assertFalse(a.containsKey("nvidia.com/gpu"));
  }

  @Test
  void armMemoryLosesCmaBeforeVmOverhead() {
    // m7g.large: (8192 - 64) Mi, minus ceil(8128 * 7.5%) = 610 Mi.
    assertEquals("7518Mi", type("m7g.large").capacity().toQuantities().get("memory"));
  }

  @Test
  void g5XlargeOnDemandPriceInUsEast1() {
    List<Offering> od =
        type("g5.xlarge").offerings().stream()
            .filter(o -> o.capacityType().equals("on-demand"))
            .toList();
    assertFalse(od.isEmpty());
    for (Offering o : od) {
      assertEquals(1.006, o.price());
      assertTrue(o.available());
      assertFalse(US_EAST_1.isPriceEstimated(o));
    }
  }

  @Test
  void spotPriceIsAFlaggedEstimateSeventyPercentBelowOnDemand() {
    Offering spot =
        type("g5.xlarge").offerings().stream()
            .filter(o -> o.capacityType().equals("spot"))
            .findFirst()
            .orElseThrow();
    assertEquals(0.3018, spot.price(), 1e-9);
    assertTrue(US_EAST_1.isPriceEstimated(spot));
  }

  @Test
  void noSpotOfferingsForTypesWithoutSpotUsageClass() {
    List<InstanceShape> onDemandOnly =
        US_EAST_1.instanceTypes().stream()
            .map(t -> US_EAST_1.shape(t.name()).orElseThrow())
            .filter(s -> !s.usageClasses().contains("spot"))
            .toList();
    assertFalse(onDemandOnly.isEmpty());
    for (InstanceShape s : onDemandOnly) {
      assertTrue(
          type(s.name()).offerings().stream().noneMatch(o -> o.capacityType().equals("spot")),
          s.name());
    }
  }

  @Test
  void offeringsFollowZoneData() {
    Set<String> zones =
        type("g5.xlarge").offerings().stream().map(Offering::zone).collect(Collectors.toSet());
    assertFalse(zones.isEmpty());
    assertTrue(zones.stream().allMatch(z -> z.startsWith("us-east-1")), zones.toString());
  }

  @Test
  void liveSpotPricesReplaceTheEstimate() {
    Catalog live = US_EAST_1.withSpotPrices(Map.of("g5.xlarge", Map.of("us-east-1a", 0.41)));
    List<Offering> spot =
        live.get("g5.xlarge").orElseThrow().offerings().stream()
            .filter(o -> o.capacityType().equals("spot"))
            .toList();
    Offering a = spot.stream().filter(o -> o.zone().equals("us-east-1a")).findFirst().orElseThrow();
    assertEquals(0.41, a.price());
    assertTrue(a.available());
    assertFalse(live.isPriceEstimated(a));
    assertTrue(
        spot.stream().filter(o -> !o.zone().equals("us-east-1a")).noneMatch(Offering::available));
  }

  @Test
  void coversAtLeast1300Types() {
    assertTrue(US_EAST_1.instanceTypes().size() >= 1300, "" + US_EAST_1.instanceTypes().size());
  }

  @Test
  void usWest2UsesUsEast1PricesFlaggedAsEstimates() {
    Catalog west = Catalog.load("us-west-2");
    assertEquals("us-west-2", west.region());
    Offering od =
        west.get("g5.xlarge").orElseThrow().offerings().stream()
            .filter(o -> o.capacityType().equals("on-demand"))
            .findFirst()
            .orElseThrow();
    assertTrue(od.zone().startsWith("us-west-2"));
    assertEquals(1.006, od.price());
    assertTrue(west.isPriceEstimated(od));
    assertEquals("us-west-2", west.get("g5.xlarge").orElseThrow().labels().get(Labels.REGION));
  }

  @Test
  void unknownRegionNamesTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Catalog.load("eu-west-9"));
    assertTrue(e.getMessage().contains("eu-west-9"), e.getMessage());
    assertTrue(e.getMessage().contains("us-east-1, us-west-2"), e.getMessage());
  }

  @Test
  void loadReturnsTheSharedInstance() {
    assertTrue(Catalog.load("us-east-1") == US_EAST_1);
  }

  @Test
  void labelsAreImmutable() {
    assertThrows(
        UnsupportedOperationException.class, () -> type("g5.xlarge").labels().put("x", "y"));
  }
}
