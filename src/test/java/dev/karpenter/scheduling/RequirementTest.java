package dev.karpenter.scheduling;

import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.api.v1.Labels;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequirementTest {
  static Requirement r(String op, String... v) {
    return Requirement.of("k", op, List.of(v));
  }

  @Test
  void inIntersectNotInRemovesValues() {
    Requirement x = r("In", "a", "b").intersect(r("NotIn", "a"));
    assertTrue(x.matches("b"));
    assertFalse(x.matches("a"));
  }

  @Test
  void notInAllowsAbsentLabelButInDoesNot() {
    assertTrue(r("NotIn", "a").matches(null));
    assertFalse(r("In", "a").matches(null));
  }

  @Test
  void existsAndDoesNotExistAreDisjoint() {
    assertFalse(r("Exists").intersect(r("DoesNotExist")).satisfiable());
  }

  @Test
  void gtAndLtFormAnOpenInterval() {
    Requirement x = r("Gt", "2").intersect(r("Lt", "5"));
    assertTrue(x.matches("3"));
    assertFalse(x.matches("2"));
    assertFalse(x.matches("5"));
  }

  @Test
  void gteAndLteAreInclusive() {
    Requirement x = r("Gte", "2").intersect(r("Lte", "4"));
    assertTrue(x.matches("2"));
    assertTrue(x.matches("4"));
    assertFalse(x.matches("5"));
  }

  @Test
  void emptyIntervalIsUnsatisfiable() {
    assertFalse(r("Gt", "4").intersect(r("Lt", "5")).satisfiable());
  }

  @Test
  void boundsFilterInValues() {
    Requirement x = r("In", "1", "8", "x").intersect(r("Gt", "4"));
    assertEquals(java.util.Set.of("8"), x.values());
  }

  @Test
  void badOperatorAndValuesAreRejectedWithReasons() {
    assertThrows(IllegalArgumentException.class, () -> r("Maybe", "a"));
    assertThrows(IllegalArgumentException.class, () -> r("In"));
    assertThrows(IllegalArgumentException.class, () -> r("Gt", "1", "2"));
    assertEquals(
        "operator Gt needs a non-negative integer, got '-1'",
        assertThrows(IllegalArgumentException.class, () -> r("Gt", "-1")).getMessage());
  }

  @Test
  void minValuesKeepsTheLargerOnIntersection() {
    Requirement a = Requirement.of("k", "Exists", List.of(), 3);
    Requirement b = Requirement.of("k", "In", List.of("a", "b", "c", "d"), 2);
    assertEquals(3, a.intersect(b).minValues());
  }

  @Test
  void undefinedCustomLabelIsIncompatibleButWellKnownIsNot() {
    Requirements pool = Requirements.NONE;
    assertNotNull(pool.incompatibility(Requirements.of(Requirement.in("team", "ml"))));
    assertNull(pool.incompatibility(Requirements.of(Requirement.in(Labels.ARCH, "arm64"))));
  }

  @Test
  void deprecatedZoneAliasIsNormalized() {
    Requirements r =
        Requirements.of(Requirement.in("failure-domain.beta.kubernetes.io/zone", "us-east-1a"));
    assertEquals("us-east-1a", r.get(Labels.ZONE).singleValue());
  }
}
