package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CatalogDataTest {
  private static InstanceShape shape(String name, String gpuName) {
    return new InstanceShape(
        name,
        "amd64",
        4,
        16384,
        "intel",
        2500,
        "nitro",
        false,
        3500,
        10000,
        null,
        null,
        true,
        false,
        4,
        15,
        0,
        List.of(new InstanceShape.Gpu(gpuName, "NVIDIA", 1, 16384)),
        List.of(),
        List.of(),
        List.of("on-demand", "spot"));
  }

  @Test
  void nonAsciiStringsRoundTrip() throws IOException {
    CatalogData data =
        new CatalogData(
            List.of(shape("x1.large", "Tesla Ä100 – β"), shape("x1.xlarge", "\u0000nul")),
            Map.of(
                "eu-1",
                new CatalogData.RegionData(
                    "eu-1",
                    "eu-1",
                    Map.of("x1.large", List.of("eu-1a")),
                    Map.of("x1.large", 1.5))));
    assertEquals(data, CatalogData.read(new ByteArrayInputStream(data.toBytes())));
  }

  @Test
  void zonesAreSortedAndDeduplicatedWhateverTheInputOrder() {
    List<String> zones = new ArrayList<>(List.of("eu-1c", "eu-1a", "eu-1c"));
    CatalogData.RegionData r =
        new CatalogData.RegionData("eu-1", "eu-1", Map.of("x1.large", zones), Map.of());
    assertEquals(List.of("eu-1a", "eu-1c"), r.zones().get("x1.large"));
    zones.add("eu-1b");
    assertEquals(List.of("eu-1a", "eu-1c"), r.zones().get("x1.large"), "copied, not shared");
  }

  @Test
  void truncatedResourceIsAnIOException() {
    CatalogData data =
        new CatalogData(
            List.of(shape("x1.large", "T4")),
            Map.of("eu-1", new CatalogData.RegionData("eu-1", "eu-1", Map.of(), Map.of())));
    byte[] raw = GzipBytes.gunzip(data.toBytes());
    byte[] cut = GzipBytes.gzip(Arrays.copyOf(raw, raw.length - 10));
    IOException e =
        assertThrows(IOException.class, () -> CatalogData.read(new ByteArrayInputStream(cut)));
    assertTrue(e.getMessage().contains("corrupt catalog resource"), e.getMessage());
  }
}
