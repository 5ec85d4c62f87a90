package dev.karpenter.nodeclaim.disruption;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PodEventsTest {
  static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  static final String BOUND_AT = "2026-12-02T11:58:30Z";

  static PodBuilder pod(String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("web-1")
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("True")
        .withLastTransitionTime(BOUND_AT)
        .endCondition()
        .endStatus();
  }

  @Test
  void bindingCountsFromThePodScheduledTransition() {
    Pod pending = pod(null).editStatus().withConditions().endStatus().build();
    Pod bound = pod("node-a").build();
    assertThat(PodEvents.eventTime(pending, bound, NOW)).contains(Instant.parse(BOUND_AT));
    assertThat(PodEvents.eventTime(null, bound, NOW)).contains(Instant.parse(BOUND_AT));
  }

  @Test
  void otherUpdatesOfABoundPodAreNoEvent() {
    Pod bound = pod("node-a").build();
    Pod relabelled = pod("node-a").editMetadata().addToLabels("x", "y").endMetadata().build();
    assertThat(PodEvents.eventTime(bound, relabelled, NOW)).isEmpty();
  }

  @Test
  void leavingTheNodeCountsNow() {
    Pod bound = pod("node-a").build();
    Pod done = pod("node-a").editStatus().withPhase("Succeeded").endStatus().build();
    Pod terminating =
        pod("node-a").editMetadata().withDeletionTimestamp(NOW.toString()).endMetadata().build();
    assertThat(PodEvents.eventTime(bound, done, NOW)).contains(NOW);
    assertThat(PodEvents.eventTime(bound, terminating, NOW)).contains(NOW);
    assertThat(PodEvents.eventTime(bound, null, NOW)).contains(NOW);
    // Already counted when it started terminating.
    assertThat(PodEvents.eventTime(terminating, null, NOW)).isEmpty();
    assertThat(PodEvents.eventTime(done, done, NOW)).isEmpty();
  }

  @Test
  void daemonSetAndUnboundPodsAreIgnored() {
    Pod daemon =
        pod("node-a")
            .editMetadata()
            .addNewOwnerReference()
            .withKind("DaemonSet")
            .withName("ds")
            .withApiVersion("apps/v1")
            .withUid("u")
            .endOwnerReference()
            .endMetadata()
            .build();
    assertThat(PodEvents.eventTime(null, daemon, NOW)).isEmpty();
    assertThat(PodEvents.eventTime(daemon, null, NOW)).isEmpty();
    assertThat(PodEvents.eventTime(null, pod(null).build(), NOW)).isEmpty();
  }
}
