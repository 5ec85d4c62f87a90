package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** FEATURE_GATES as the chart renders it, and the errors a typo gets. */
class ControllerCommandTest {
  @Test
  void parsesTheChartsFeatureGates() {
    assertEquals(
        Map.of(
            "NodeRepair", false,
            "NodeOverlay", false,
            "ReservedCapacity", true,
            "SpotToSpotConsolidation", false,
            "StaticCapacity", false,
            "CapacityBuffer", false),
        ControllerCommand.featureGates(
            "NodeRepair=false,NodeOverlay=false,ReservedCapacity=true,SpotToSpotConsolidation=false,StaticCapacity=false,CapacityBuffer=false"));
    assertEquals(Map.of(), ControllerCommand.featureGates(""));
  }

  @Test
  void anUnknownGateOrValueIsAUserError() {
    var e =
        assertThrows(
            CliErrors.UserException.class, () -> ControllerCommand.featureGates("NodeRepare=true"));
    assertTrue(e.getMessage().contains("'NodeRepare=true'"), e.getMessage());
    assertThrows(
        CliErrors.UserException.class, () -> ControllerCommand.featureGates("NodeRepair=yes"));
  }
}
