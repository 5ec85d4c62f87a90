package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Overhead;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelMapTest {
  private static LabelMap sample() {
    return new LabelMap.Builder()
        .put(Labels.INSTANCE_GPU_NAME, "t4")
        .put(Labels.INSTANCE_TYPE, "g4dn.xlarge")
        .put(Labels.ARCH, "amd64")
        .build();
  }

  @Test
  void behavesAsAMapWithTheSameEntries() {
    Map<String, String> expected =
        Map.of(
            Labels.INSTANCE_GPU_NAME, "t4",
            Labels.INSTANCE_TYPE, "g4dn.xlarge",
            Labels.ARCH, "amd64");
    LabelMap m = sample();
    assertEquals(expected, m);
    assertEquals(m, expected);
    assertEquals(expected.hashCode(), m.hashCode());
    assertEquals(new HashMap<>(expected), new HashMap<>(m));
    assertEquals(3, m.size());
    assertEquals("t4", m.get(Labels.INSTANCE_GPU_NAME));
    assertTrue(m.containsKey(Labels.ARCH));
    assertFalse(m.containsKey(Labels.INSTANCE_GPU_COUNT), "unset key is DoesNotExist");
    assertNull(m.get("example.com/team"));
    Map<String, String> visited = new LinkedHashMap<>();
    m.forEach(visited::put);
    assertEquals(expected, visited);
  }

  @Test
  void cannotBeModified() {
    LabelMap m = sample();
    assertThrows(UnsupportedOperationException.class, () -> m.put("a", "b"));
    assertThrows(UnsupportedOperationException.class, () -> m.remove(Labels.INSTANCE_TYPE));
    assertThrows(UnsupportedOperationException.class, m::clear);
    assertThrows(
        UnsupportedOperationException.class, () -> m.entrySet().iterator().next().setValue("x"));
    assertThrows(UnsupportedOperationException.class, () -> m.keySet().iterator().remove());
  }

  @Test
  void rejectsUnknownAndRepeatedKeys() {
    LabelMap.Builder b = new LabelMap.Builder().put(Labels.ARCH, "arm64");
    assertThrows(IllegalArgumentException.class, () -> b.put(Labels.ARCH, "amd64"));
    assertThrows(IllegalArgumentException.class, () -> b.put("example.com/team", "ml"));
  }

  @Test
  void instanceTypeKeepsItWithoutCopyingAndCopiesOtherMaps() {
    LabelMap m = sample();
    InstanceType t =
        new InstanceType(
            "g4dn.xlarge",
            m,
            dev.karpenter.scheduling.Resources.NONE,
            Overhead.NONE,
            java.util.List.of());
    assertTrue(t.labels() == m);
    Map<String, String> mutable = new HashMap<>(m);
    InstanceType u =
        new InstanceType(
            "g4dn.xlarge",
            mutable,
            dev.karpenter.scheduling.Resources.NONE,
            Overhead.NONE,
            java.util.List.of());
    mutable.put("example.com/team", "ml");
    assertFalse(u.labels().containsKey("example.com/team"));
  }
}
