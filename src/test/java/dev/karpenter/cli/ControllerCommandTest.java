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

  @Test
  void theDisruptionTimingsAreParsedAndKeepTheRest() {
    var base = dev.karpenter.disruption.DisruptionController.Settings.defaults();
    var d = ControllerCommand.disruption(base, "1s", "500ms", true);
    assertEquals(java.time.Duration.ofSeconds(1), d.pollInterval());
    assertEquals(java.time.Duration.ofMillis(500), d.validationDelay());
    assertEquals(base.replacementTimeout(), d.replacementTimeout());
    assertTrue(d.execute() && d.spotToSpot());
    var defaults = ControllerCommand.disruption(base, "10s", "15s", false);
    assertEquals(base, defaults, "the flags' defaults are upstream's timings");
    var e =
        assertThrows(
            CliErrors.UserException.class,
            () -> ControllerCommand.disruption(base, "fast", "15s", false));
    assertTrue(e.getMessage().contains("--disruption-poll-interval"), e.getMessage());
  }
}
