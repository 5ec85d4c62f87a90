package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Labels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> G5 =
      Map.of(
          Labels.INSTANCE_GPU_NAME, "a10g",
          Labels.INSTANCE_GENERATION, "5",
          Labels.ARCH, "amd64");
  private static final Map<String, String> M7G =
      Map.of(Labels.INSTANCE_GENERATION, "7", Labels.ARCH, "arm64");

  @Test
  void inWithShortKeyAndValueList() {
    LabelSelector s = LabelSelector.parse("instance-gpu-name=t4,a10g,l4");
    assertEquals(Labels.INSTANCE_GPU_NAME, s.key());
    assertEquals(List.of("t4", "a10g", "l4"), s.values());
    assertTrue(s.matches(G5));
    assertFalse(s.matches(M7G));
  }

  @Test
  void greaterThanComparesNumbers() {
    LabelSelector s = LabelSelector.parse("instance-generation>5");
    assertFalse(s.matches(G5));
    assertTrue(s.matches(M7G));
    assertTrue(LabelSelector.parse("instance-generation>=5").matches(G5));
    assertTrue(LabelSelector.parse("instance-generation<6").matches(G5));
  }

  @Test
  void absentKeyMatchesOnlyNotInAndDoesNotExist() {
    assertFalse(LabelSelector.parse("instance-gpu-count>0").matches(M7G));
    assertTrue(LabelSelector.parse("instance-gpu-name!=t4").matches(M7G));
    assertTrue(LabelSelector.parse("!instance-gpu-name").matches(M7G));
    assertFalse(LabelSelector.parse("instance-gpu-name").matches(M7G));
  }

  @Test
  void fullKeysWork() {
    assertTrue(LabelSelector.parse("kubernetes.io/arch=arm64").matches(M7G));
  }

  @Test
  void unknownKeyIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("gpu-name=t4"));
    assertTrue(e.getMessage().contains("unknown label key 'gpu-name'"), e.getMessage());
  }

  @Test
  void numericOperatorOnTextLabelIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> LabelSelector.parse("instance-gpu-name>3"));
    assertTrue(e.getMessage().contains("is not a numeric label"), e.getMessage());
  }

  @Test
  void nonIntegerBoundIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> LabelSelector.parse("instance-gpu-count>1.5"));
    assertTrue(e.getMessage().contains("'1.5' is not a non-negative integer"), e.getMessage());
  }

  @Test
  void missingValueIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("instance-family="));
  }

  @Test
  void perOfferingKeysAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LabelSelector.parse("karpenter.sh/capacity-type=spot"));
    assertTrue(e.getMessage().contains("varies per offering"), e.getMessage());
  }
}
