package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeClassSettingsTest {
  private static final Catalog CATALOG = Catalog.load("us-east-1");

  private static NodeClassSettings settings(
      String family,
      Integer maxPods,
      Integer podsPerCore,
      Map<String, String> kube,
      Map<String, String> system,
      Map<String, String> eviction,
      String root,
      boolean raid0) {
    return new NodeClassSettings(family, maxPods, podsPerCore, kube, system, eviction, root, raid0);
  }

  private static Map<String, String> allocatable(String type, NodeClassSettings s) {
    return find(type, s).allocatable().toQuantities();
  }

  private static InstanceType find(String type, NodeClassSettings s) {
    return CATALOG.instanceTypes(s).stream()
        .filter(t -> t.name().equals(type))
        .findFirst()
        .orElse(null);
  }

  @Test
  void maxPodsSetsPodsButAl2023KeepsEniLimitedMemoryOverhead() {
    Map<String, String> a = allocatable("g4dn.xlarge", NodeClassSettings.DEFAULT.withMaxPods(110));
    assertEquals("110", a.get("pods"));
    assertEquals("14481Mi", a.get("memory"));
  }

  @Test
  void maxPodsDrivesMemoryOverheadOnBottlerocket() {
    // 15155Mi - (11 * 110 + 255)Mi - 100Mi
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge",
            settings("Bottlerocket", 110, null, Map.of(), Map.of(), Map.of(), null, false));
    assertEquals("13590Mi", a.get("memory"));
  }

  @Test
  void podsPerCoreCapsPods() {
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge", settings("AL2023", null, 4, Map.of(), Map.of(), Map.of(), null, false));
    assertEquals("16", a.get("pods"));
  }

  @Test
  void podsPerCoreIsIgnoredOnBottlerocket() {
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge",
            settings("Bottlerocket", null, 4, Map.of(), Map.of(), Map.of(), null, false));
    assertEquals("29", a.get("pods"));
  }

  @Test
  void kubeReservedReplacesComputedDefaults() {
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge",
            settings(
                "AL2023",
                null,
                null,
                Map.of("cpu", "500m", "memory", "1Gi"),
                Map.of(),
                Map.of(),
                null,
                false));
    assertEquals("3500m", a.get("cpu"));
    assertEquals("14031Mi", a.get("memory"));
  }

  @Test
  void systemReservedIsSubtracted() {
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge",
            settings(
                "AL2023",
                null,
                null,
                Map.of(),
                Map.of("cpu", "100m", "memory", "500Mi"),
                Map.of(),
                null,
                false));
    assertEquals("3820m", a.get("cpu"));
    assertEquals("13981Mi", a.get("memory"));
  }

  @Test
  void evictionHardQuantityAndPercentReplaceDefaults() {
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge",
            settings(
                "AL2023",
                null,
                null,
                Map.of(),
                Map.of(),
                Map.of("memory.available", "500Mi", "nodefs.available", "5%"),
                null,
                false));
    assertEquals("14081Mi", a.get("memory"));
    // 20Gi - 1Gi kube-reserved - 5% of 20Gi
    assertEquals("18Gi", a.get("ephemeral-storage"));
  }

  @Test
  void evictionHardHundredPercentDisablesTheThreshold() {
    Map<String, String> a =
        allocatable(
            "g4dn.xlarge",
            settings(
                "AL2023",
                null,
                null,
                Map.of(),
                Map.of(),
                Map.of("memory.available", "100%"),
                null,
                false));
    assertEquals("14581Mi", a.get("memory"));
  }

  @Test
  void rootVolumeSizeSetsEphemeralStorage() {
    InstanceType t =
        find(
            "g4dn.xlarge",
            settings("AL2023", null, null, Map.of(), Map.of(), Map.of(), "200Gi", false));
    assertEquals("200Gi", t.capacity().toQuantities().get("ephemeral-storage"));
    assertEquals("179Gi", t.allocatable().toQuantities().get("ephemeral-storage"));
  }

  @Test
  void raid0UsesInstanceStoreInDecimalGigabytes() {
    InstanceType t =
        find(
            "g4dn.xlarge",
            settings("AL2023", null, null, Map.of(), Map.of(), Map.of(), null, true));
    assertEquals(125_000_000_000L * 1000, t.capacity().get("ephemeral-storage"));
    // 125 GB - 10% - 1Gi
    assertEquals(
        (125_000_000_000L - 12_500_000_000L - (1L << 30)) * 1000,
        t.allocatable().get("ephemeral-storage"));
  }

  @Test
  void raid0WithoutInstanceStoreFallsBackToTheRootVolume() {
    InstanceType t =
        find("m7g.large", settings("AL2023", null, null, Map.of(), Map.of(), Map.of(), null, true));
    assertEquals("20Gi", t.capacity().toQuantities().get("ephemeral-storage"));
  }

  @Test
  void windowsUses110PodsWindowsLabelsAndNoArmTypes() {
    NodeClassSettings win =
        settings("Windows2022", null, null, Map.of(), Map.of(), Map.of(), null, false);
    InstanceType t = find("g4dn.xlarge", win);
    assertEquals("110", t.capacity().toQuantities().get("pods"));
    assertEquals("windows", t.labels().get(Labels.OS));
    assertEquals("10.0.20348", t.labels().get(Labels.WINDOWS_BUILD));
    assertEquals("50Gi", t.capacity().toQuantities().get("ephemeral-storage"));
    assertNull(find("m7g.large", win));
  }

  @Test
  void defaultSettingsAreAl2023() {
    assertEquals("AL2023", NodeClassSettings.DEFAULT.amiFamily());
    assertTrue(CATALOG.instanceTypes() == CATALOG.instanceTypes(NodeClassSettings.DEFAULT));
  }

  @Test
  void unknownKubeReservedKeyIsRejectedWithItsField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                settings(
                    "AL2023", null, null, Map.of("gpu", "1"), Map.of(), Map.of(), null, false));
    assertTrue(
        e.getMessage().startsWith("kubelet.kubeReserved: unknown key 'gpu'"), e.getMessage());
  }

  @Test
  void badQuantityIsRejectedWithItsField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                settings(
                    "AL2023",
                    null,
                    null,
                    Map.of(),
                    Map.of("memory", "lots"),
                    Map.of(),
                    null,
                    false));
    assertEquals("kubelet.systemReserved.memory: 'lots' is not a quantity", e.getMessage());
  }

  @Test
  void unknownAmiFamilyIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("Ubuntu", null, null, Map.of(), Map.of(), Map.of(), null, false));
    assertTrue(e.getMessage().contains("amiFamily: unknown 'Ubuntu'"), e.getMessage());
  }

  @Test
  void evictionPercentOutOfRangeIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                settings(
                    "AL2023",
                    null,
                    null,
                    Map.of(),
                    Map.of(),
                    Map.of("memory.available", "150%"),
                    null,
                    false));
    assertTrue(e.getMessage().startsWith("kubelet.evictionHard.memory.available"), e.getMessage());
  }
}
