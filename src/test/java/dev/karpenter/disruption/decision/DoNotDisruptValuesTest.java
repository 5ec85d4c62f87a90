package dev.karpenter.disruption.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code karpenter.sh/do-not-disrupt} values: what protects a pod and what is reported. */
class DoNotDisruptValuesTest {
  static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

  static Pod pod(String value) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withNamespace("ns")
        .addToAnnotations(PodBlockers.DO_NOT_DISRUPT, value)
        .endMetadata()
        .withNewStatus()
        .withStartTime("2026-12-01T11:50:00Z")
        .endStatus()
        .build();
  }

  @Test
  void anInvalidValueDoesNotProtectThePodAndIsReportedAsUpstreamDoes() {
    Pod soon = pod("soon");
    assertNull(new PodBlockers(List.of()).blocker(soon, NOW), "\"soon\" is ignored, as upstream");
    assertEquals(
        "Invalid karpenter.sh/do-not-disrupt annotation: failed to parse \"soon\" as a duration,"
            + " ignoring annotation",
        PodBlockers.invalidDoNotDisrupt(soon));
    assertEquals(
        "Invalid karpenter.sh/do-not-disrupt annotation: duration \"0s\" must be positive,"
            + " ignoring annotation",
        PodBlockers.invalidDoNotDisrupt(pod("0s")));
    assertNull(new PodBlockers(List.of()).blocker(pod("0s"), NOW));
  }

  @Test
  void validValuesAreNotReported() {
    assertNull(PodBlockers.invalidDoNotDisrupt(pod("true")));
    assertNull(PodBlockers.invalidDoNotDisrupt(pod("30m")));
    assertNull(
        PodBlockers.invalidDoNotDisrupt(new PodBuilder().withNewMetadata().endMetadata().build()));
    assertNotNull(new PodBlockers(List.of()).blocker(pod("30m"), NOW), "10 of 30 minutes passed");
    assertNull(new PodBlockers(List.of()).blocker(pod("5m"), NOW), "5 minutes have passed");
  }
}
