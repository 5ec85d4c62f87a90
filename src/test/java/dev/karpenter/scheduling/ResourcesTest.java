package dev.karpenter.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ResourcesTest {
  @Test
  void sortedAndUnsortedInputsGiveTheSameSortedResourcesWithoutZeros() {
    Map<String, Long> hash = new HashMap<>();
    hash.put("memory", 2048L);
    hash.put("cpu", 1000L);
    hash.put("nvidia.com/gpu", 0L);
    Resources fromHash = new Resources(hash);
    Resources fromSorted = new Resources(new TreeMap<>(hash));
    assertEquals(fromHash, fromSorted);
    assertEquals(List.of("cpu", "memory"), List.copyOf(fromSorted.milli().keySet()));
    assertFalse(fromSorted.milli().containsKey("nvidia.com/gpu"));
  }

  @Test
  void laterChangesToTheSortedInputDoNotLeakIn() {
    TreeMap<String, Long> in = new TreeMap<>(Map.of("cpu", 1000L));
    Resources r = new Resources(in);
    in.put("memory", 5L);
    assertEquals(Map.of("cpu", 1000L), r.milli());
  }
}
