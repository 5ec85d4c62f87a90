package dev.karpenter.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.karpenter.testing.ManualClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The last pod event per node, behind consolidateAfter. */
class PodEventsTest {
  final ManualClock clock = new ManualClock();
  final PodEvents events = new PodEvents(new ClusterState(null), clock);

  static Pod pod(String node, String phase, String started) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withNamespace("ns")
        .withCreationTimestamp("2025-12-31T00:00:00Z")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .endSpec()
        .withNewStatus()
        .withPhase(phase)
        .withStartTime(started)
        .endStatus()
        .build();
  }

  @Test
  void aPodListedAlreadyBoundCountsFromItsStartNotFromWhenItWasSeen() {
    events.changed(null, pod("n1", "Running", "2025-12-31T12:00:00Z"));
    assertThat(events.lastEvent("n1")).contains(Instant.parse("2025-12-31T12:00:00Z"));
  }

  @Test
  void bindingAndLeavingAreEventsOnTheNode() {
    Pod pending = pod(null, "Pending", null);
    Pod bound = pod("n1", "Pending", null);
    events.changed(pending, bound);
    assertThat(events.lastEvent("n1")).contains(ManualClock.START);
    clock.advance(Duration.ofMinutes(3));
    events.changed(bound, pod("n1", "Running", "2026-01-01T00:01:00Z"));
    assertThat(events.lastEvent("n1")).contains(ManualClock.START);
    events.changed(pod("n1", "Running", null), pod("n1", "Succeeded", null));
    assertThat(events.lastEvent("n1")).contains(ManualClock.START.plus(Duration.ofMinutes(3)));
    clock.advance(Duration.ofMinutes(1));
    events.changed(pod("n1", "Running", null), null);
    assertThat(events.lastEvent("n1")).contains(ManualClock.START.plus(Duration.ofMinutes(4)));
    assertThat(events.lastEvent("n2")).isEmpty();
  }
}
