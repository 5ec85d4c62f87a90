package dev.karpenter.cloudprovider;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CrashPointsTest {
  @Test
  void aPointHaltsTheFirstTimeItIsReached() {
    assertTrue(CrashPoints.halts("drain", "drain", 1));
    assertFalse(CrashPoints.halts("drain", "drain", 2));
    assertFalse(CrashPoints.halts("drain", "registration", 1));
  }

  @Test
  void pointHashNHaltsTheNthTime() {
    assertFalse(CrashPoints.halts("launch-before-create#3", "launch-before-create", 1));
    assertFalse(CrashPoints.halts("launch-before-create#3", "launch-before-create", 2));
    assertTrue(CrashPoints.halts("launch-before-create#3", "launch-before-create", 3));
    assertFalse(CrashPoints.halts("launch-before-create#3", "launch-before", 3));
  }
}
