package dev.karpenter.nodeclaim.disruption;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.nodeclaim.disruption.ClaimConditions.Decision;
import dev.karpenter.nodeclaim.disruption.ClaimConditions.Verdict;
import dev.karpenter.testing.ClusterObjects;
import dev.karpenter.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ClaimConditionsTest {
  static final List<InstanceType> TYPES =
      Catalog.load("us-east-1").instanceTypes(NodeClassSettings.DEFAULT);
  static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  static final Instant INITIALIZED = Instant.parse("2026-12-02T10:00:00Z");

  final ManualClock clock = new ManualClock(INITIALIZED);

  static NodePool pool(String consolidateAfter, String instanceTypes) {
    try {
      return YAML.readValue(
          """
          apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: gpu}
          spec:
            template:
              metadata:
                labels: {team: ml}
              spec:
                nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
                requirements:
                  - {key: node.kubernetes.io/instance-type, operator: In, values: [%s]}
            disruption:
              consolidationPolicy: WhenEmpty
              consolidateAfter: %s
          """
              .formatted(instanceTypes, consolidateAfter),
          NodePool.class);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A launched and initialized g5.xlarge claim of {@code pool}, hashed from it. */
  static NodeClaim claim(NodePool pool) {
    NodeClaim c =
        ClusterObjects.nodeClaim(
            "gpu-abc", "gpu", INITIALIZED.minusSeconds(90), List.of("g5.xlarge"));
    c.getMetadata().getLabels().put(Labels.INSTANCE_TYPE, "g5.xlarge");
    c.getMetadata().getLabels().put("team", "ml");
    var ann = new HashMap<String, String>();
    ann.put(NodePoolHash.ANNOTATION, NodePoolHash.of(pool));
    ann.put(NodePoolHash.VERSION_ANNOTATION, NodePoolHash.VERSION);
    c.getMetadata().setAnnotations(ann);
    NodeClaimStatus s = new NodeClaimStatus();
    List<Condition> conditions = new ArrayList<>();
    conditions.add(new Condition("Launched", "True", 1L, "2026-12-02T09:59:00Z", "Launched", ""));
    conditions.add(
        new Condition("Initialized", "True", 1L, INITIALIZED.toString(), "Initialized", ""));
    s.setConditions(conditions);
    c.setStatus(s);
    return c;
  }

  Decision decide(NodeClaim c, NodePool p) {
    return decide(c, p, () -> null);
  }

  Decision decide(NodeClaim c, NodePool p, Supplier<String> provider) {
    return ClaimConditions.decide(c, p, TYPES, provider, clock.instant());
  }

  static Verdict get(Decision d, String type) {
    return d.conditions().stream().filter(v -> v.type().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void consolidatableFlipsExactlyConsolidateAfterAfterInitialization() {
    NodePool p = pool("5m", "g5.xlarge");
    NodeClaim c = claim(p);
    clock.advance(Duration.ofMinutes(4).plusSeconds(59));
    Decision before = decide(c, p);
    Verdict v = get(before, ClaimConditions.CONSOLIDATABLE);
    assertThat(v.status()).isEqualTo("False");
    assertThat(v.reason()).isEqualTo("ConsolidateAfterNotPassed");
    assertThat(v.message())
        .isEqualTo(
            "consolidateAfter 5m has not passed since the last pod event at"
                + " 2026-12-02T10:00:00Z; consolidatable at 2026-12-02T10:05:00Z");
    // The controller requeues at exactly this instant.
    assertThat(before.consolidatableAt()).contains(Instant.parse("2026-12-02T10:05:00Z"));

    clock.advance(Duration.ofSeconds(1));
    Decision at = decide(c, p);
    assertThat(get(at, ClaimConditions.CONSOLIDATABLE).status()).isEqualTo("True");
    assertThat(get(at, ClaimConditions.CONSOLIDATABLE).reason()).isEqualTo("Consolidatable");
    assertThat(at.consolidatableAt()).isEmpty();
  }

  @Test
  void aPodEventRestartsTheWait() {
    NodePool p = pool("5m", "g5.xlarge");
    NodeClaim c = claim(p);
    clock.advance(Duration.ofMinutes(10));
    assertThat(get(decide(c, p), ClaimConditions.CONSOLIDATABLE).status()).isEqualTo("True");
    // A pod left the node at 10:08.
    c.getStatus().setLastPodEventTime("2026-12-02T10:08:00Z");
    Decision d = decide(c, p);
    assertThat(get(d, ClaimConditions.CONSOLIDATABLE).status()).isEqualTo("False");
    assertThat(d.consolidatableAt()).contains(Instant.parse("2026-12-02T10:13:00Z"));
    clock.set(Instant.parse("2026-12-02T10:13:00Z"));
    assertThat(get(decide(c, p), ClaimConditions.CONSOLIDATABLE).status()).isEqualTo("True");
  }

  @Test
  void consolidateAfterNeverIsNeverConsolidatable() {
    NodePool p = pool("Never", "g5.xlarge");
    NodeClaim c = claim(p);
    clock.advance(Duration.ofDays(400));
    Decision d = decide(c, p);
    Verdict v = get(d, ClaimConditions.CONSOLIDATABLE);
    assertThat(v.status()).isEqualTo("False");
    assertThat(v.reason()).isEqualTo("ConsolidateAfterNever");
    assertThat(d.consolidatableAt()).isEmpty();
  }

  @Test
  void aClaimNotYetInitializedOrLaunchedGetsNoConditions() {
    NodePool p = pool("5m", "g5.xlarge");
    NodeClaim c = claim(p);
    c.getStatus().setConditions(new ArrayList<>());
    assertThat(decide(c, p).conditions()).isEmpty();
  }

  @Test
  void aClaimFromTheCurrentTemplateIsNotDrifted() {
    NodePool p = pool("5m", "g5.xlarge");
    Verdict v = get(decide(claim(p), p), ClaimConditions.DRIFTED);
    assertThat(v.status()).isEqualTo("False");
    assertThat(v.reason()).isEqualTo("NotDrifted");
  }

  @Test
  void aChangedTemplateIsNodePoolDriftedAndTheProviderIsNotAsked() {
    NodePool launchedFrom = pool("5m", "g5.xlarge");
    NodeClaim c = claim(launchedFrom);
    NodePool now = pool("5m", "g5.xlarge, g6.xlarge");
    AtomicInteger asked = new AtomicInteger();
    Verdict v =
        get(
            decide(
                c,
                now,
                () -> {
                  asked.incrementAndGet();
                  return "AMIDrift";
                }),
            ClaimConditions.DRIFTED);
    assertThat(v.status()).isEqualTo("True");
    assertThat(v.reason()).isEqualTo("NodePoolDrifted");
    assertThat(v.message()).contains(NodePoolHash.of(launchedFrom)).contains(NodePoolHash.of(now));
    assertThat(asked).hasValue(0);
  }

  @Test
  void requirementsThatNoLongerAdmitTheClaimAreRequirementsDrifted() {
    NodePool now = pool("5m", "g6.xlarge");
    NodeClaim c = claim(now);
    // Same template hash (e.g. hashed by the pool as it is now), but its label is not allowed.
    Verdict v = get(decide(c, now), ClaimConditions.DRIFTED);
    assertThat(v.status()).isEqualTo("True");
    assertThat(v.reason()).isEqualTo("RequirementsDrifted");
    assertThat(v.message()).startsWith("label node.kubernetes.io/instance-type=g5.xlarge");
  }

  @Test
  void anOlderHashVersionIsNotComparedButATemplateLabelStillDrifts() {
    NodePool p = pool("5m", "g5.xlarge");
    NodeClaim c = claim(p);
    c.getMetadata().getAnnotations().put(NodePoolHash.ANNOTATION, "1");
    c.getMetadata().getAnnotations().put(NodePoolHash.VERSION_ANNOTATION, "v1");
    assertThat(get(decide(c, p), ClaimConditions.DRIFTED).reason()).isEqualTo("NotDrifted");
    c.getMetadata().getLabels().put("team", "web");
    Verdict v = get(decide(c, p), ClaimConditions.DRIFTED);
    assertThat(v.reason()).isEqualTo("RequirementsDrifted");
    assertThat(v.message()).startsWith("label team=web");
  }

  @Test
  void theProvidersReasonIsUsedWhenTheNodePoolSideMatches() {
    NodePool p = pool("5m", "g5.xlarge");
    Verdict v = get(decide(claim(p), p, () -> "AMIDrift"), ClaimConditions.DRIFTED);
    assertThat(v.status()).isEqualTo("True");
    assertThat(v.reason()).isEqualTo("AMIDrift");
    assertThat(v.message()).isEmpty();
  }

  @Test
  void aProviderReasonWithDetailIsSplitIntoReasonAndMessage() {
    NodePool p = pool("5m", "g5.xlarge");
    Verdict v =
        get(
            decide(claim(p), p, () -> "SecurityGroupDrift: sg-1 is no longer selected"),
            ClaimConditions.DRIFTED);
    assertThat(v.reason()).isEqualTo("SecurityGroupDrift");
    assertThat(v.message()).isEqualTo("sg-1 is no longer selected");
  }

  @Test
  void anInstanceTypeTheNodeClassNoLongerOffersIsInstanceTypeNotFound() {
    NodePool p = pool("5m", "g5.xlarge");
    NodeClaim c = claim(p);
    List<InstanceType> withoutG5 = TYPES.stream().filter(t -> !t.name().startsWith("g5.")).toList();
    Verdict v =
        get(
            ClaimConditions.decide(c, p, withoutG5, () -> null, clock.instant()),
            ClaimConditions.DRIFTED);
    assertThat(v.reason()).isEqualTo("InstanceTypeNotFound");
    assertThat(v.message()).isEqualTo("g5.xlarge is no longer offered");
    // Unknown types (the provider could not list them) are not judged.
    assertThat(
            get(
                    ClaimConditions.decide(c, p, List.of(), () -> null, clock.instant()),
                    ClaimConditions.DRIFTED)
                .reason())
        .isEqualTo("NotDrifted");
  }
}
