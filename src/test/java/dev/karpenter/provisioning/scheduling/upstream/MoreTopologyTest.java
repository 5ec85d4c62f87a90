package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static dev.karpenter.provisioning.scheduling.upstream.TopologyTest.sortedCounts;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Upstream topology_test.go and instance_selection_test.go, second batch. */
class MoreTopologyTest {
  static final String DNS = "DoNotSchedule";

  static List<Pod> spread(int n, String... keys) {
    var b = pod("p").cpu("100m").label("app", "web");
    for (String k : keys) {
      b.spread(k, 1, DNS, "app", "web");
    }
    return b.times(n);
  }

  static Pod withTsc(Pod p, TopologySpreadConstraintBuilder tsc) {
    return new PodBuilder(p)
        .editSpec()
        .addToTopologySpreadConstraints(tsc.build())
        .endSpec()
        .build();
  }

  @Test
  void matchExpressionsSelectorBalancesAcrossZones() {
    List<Pod> pods = new ArrayList<>();
    for (Pod p : pod("p").cpu("100m").label("app", "web").times(6)) {
      pods.add(
          withTsc(
              p,
              new TopologySpreadConstraintBuilder()
                  .withTopologyKey(ZONE)
                  .withMaxSkew(1)
                  .withWhenUnsatisfiable(DNS)
                  .withLabelSelector(
                      new LabelSelectorBuilder()
                          .withMatchExpressions(
                              new LabelSelectorRequirementBuilder()
                                  .withKey("app")
                                  .withOperator("In")
                                  .withValues("web")
                                  .build())
                          .build())));
    }
    var r = solve(pods, cpu());
    scheduled(r, 6);
    assertEquals(List.of(2, 2, 2), sortedCounts(r, ZONE));
  }

  @Test
  void poolZoneRequirementAndLabelTogether() {
    var pool = pool("default", 0, cpuTypes(), req(ZONE, "In", A, B)).withLabels(Map.of(ZONE, A));
    var r = solve(spread(3, ZONE), pool);
    scheduled(r, 3);
    assertEquals(Set.of(A), zonesOf(r));
  }

  @Test
  void zoneLabelsAcrossNodePoolsAreDomains() {
    var a = pool("a", 0, cpuTypes()).withLabels(Map.of(ZONE, A));
    var b = pool("b", 0, cpuTypes()).withLabels(Map.of(ZONE, B));
    var r = solve(spread(4, ZONE), a, b);
    scheduled(r, 4);
    assertEquals(List.of(2, 2), sortedCounts(r, ZONE));
  }

  @Test
  void requiredCapacityTypeAffinityStillBalances() {
    var pods =
        pod("p")
            .cpu("100m")
            .label("app", "web")
            .require(CT, "In", "spot", "on-demand")
            .spread(CT, 1, DNS, "app", "web")
            .times(4);
    var r = solve(pods, cpu());
    scheduled(r, 4);
    assertEquals(List.of(2, 2), sortedCounts(r, CT));
  }

  @Test
  void capacityTypeSelectorLimitsSpreadDomains() {
    var pods =
        pod("p")
            .cpu("100m")
            .label("app", "web")
            .selector(CT, "spot")
            .spread(CT, 1, DNS, "app", "web")
            .times(4);
    var r = solve(pods, cpu());
    scheduled(r, 4);
    for (NodeClaimPlan c : r.nodeClaims()) {
      assertEquals("spot", c.capacityType());
    }
  }

  @Test
  void capacityTypeAffinityLimitsSpreadDomains() {
    var pods =
        pod("p")
            .cpu("100m")
            .label("app", "web")
            .require(CT, "In", "on-demand")
            .spread(CT, 1, DNS, "app", "web")
            .times(4);
    var r = solve(pods, cpu());
    scheduled(r, 4);
    for (NodeClaimPlan c : r.nodeClaims()) {
      assertEquals("on-demand", c.capacityType());
    }
  }

  @Test
  void zoneAndCapacityTypeSpreadTogether() {
    var r = solve(spread(6, ZONE, CT), cpu());
    scheduled(r, 6);
    assertEquals(List.of(2, 2, 2), sortedCounts(r, ZONE));
    assertEquals(List.of(3, 3), sortedCounts(r, CT));
  }

  @Test
  void hostnameZoneAndCapacityTypeSpreadTogether() {
    var r = solve(spread(6, HOSTNAME, ZONE, CT), cpu());
    scheduled(r, 6);
    assertEquals(6, r.nodeClaims().size());
    assertEquals(List.of(2, 2, 2), sortedCounts(r, ZONE));
    assertEquals(List.of(3, 3), sortedCounts(r, CT));
  }

  @Test
  void hostnameSpreadOfTwoDeploymentsSharesNodes() {
    List<Pod> pods =
        new ArrayList<>(
            pod("a").cpu("100m").label("app", "a").spread(HOSTNAME, 1, DNS, "app", "a").times(3));
    pods.addAll(
        pod("b").cpu("100m").label("app", "b").spread(HOSTNAME, 1, DNS, "app", "b").times(3));
    var r = solve(pods, cpu());
    scheduled(r, 6);
    for (NodeClaimPlan c : r.nodeClaims()) {
      assertTrue(c.pods().stream().filter(p -> p.startsWith("default/a-")).count() <= 1);
      assertTrue(c.pods().stream().filter(p -> p.startsWith("default/b-")).count() <= 1);
    }
    assertEquals(3, r.nodeClaims().size());
  }

  @Test
  void archSpreadBalancesAcrossArchitectures() {
    var pods = pod("p").cpu("100m").label("app", "web").spread(ARCH, 1, DNS, "app", "web").times(4);
    var r = solve(pods, cpu());
    scheduled(r, 4);
    assertEquals(List.of(2, 2), sortedCounts(r, ARCH));
  }

  @Test
  void matchLabelKeysSpreadsEachRevisionSeparately() {
    List<Pod> pods = new ArrayList<>();
    for (String hash : List.of("h1", "h2")) {
      for (Pod p :
          pod("p-" + hash)
              .cpu("100m")
              .label("app", "web")
              .label("pod-template-hash", hash)
              .times(3)) {
        pods.add(
            withTsc(
                p,
                new TopologySpreadConstraintBuilder()
                    .withTopologyKey(ZONE)
                    .withMaxSkew(1)
                    .withWhenUnsatisfiable(DNS)
                    .withLabelSelector(
                        new LabelSelectorBuilder().addToMatchLabels("app", "web").build())
                    .withMatchLabelKeys("pod-template-hash")));
      }
    }
    var r = solve(pods, cpu());
    scheduled(r, 6);
    for (String hash : List.of("h1", "h2")) {
      Map<String, Integer> perZone = new HashMap<>();
      for (NodeClaimPlan c : r.nodeClaims()) {
        perZone.merge(
            c.zone(),
            (int) c.pods().stream().filter(x -> x.startsWith("default/p-" + hash)).count(),
            Integer::sum);
      }
      perZone.values().removeIf(v -> v == 0);
      assertEquals(3, perZone.size(), hash + " " + perZone);
    }
  }

  @Test
  void unknownMatchLabelKeysAreIgnored() {
    List<Pod> pods = new ArrayList<>();
    for (Pod p : pod("p").cpu("100m").label("app", "web").times(4)) {
      pods.add(
          withTsc(
              p,
              new TopologySpreadConstraintBuilder()
                  .withTopologyKey(ZONE)
                  .withMaxSkew(1)
                  .withWhenUnsatisfiable(DNS)
                  .withLabelSelector(
                      new LabelSelectorBuilder().addToMatchLabels("app", "web").build())
                  .withMatchLabelKeys("not-a-label")));
    }
    var r = solve(pods, cpu());
    scheduled(r, 4);
    assertEquals(List.of(1, 1, 2), sortedCounts(r, ZONE));
  }

  @Test
  void selfAffinityOnHostnameOnlyFillsTheFirstNode() {
    var pool = pool("x", 0, cpuTypes(), req(TYPE, "In", "m5.xlarge"));
    var r =
        solve(pod("p").cpu("3").label("app", "x").affinity(HOSTNAME, "app", "x").times(3), pool);
    assertEquals(1, r.scheduledCount(), r::toString);
    assertEquals(2, r.unschedulable().size());
  }

  @Test
  void antiAffinityHoldsWhenTheRefusingPodComesFirst() {
    List<Pod> pods = new ArrayList<>();
    pods.add(pod("web").cpu("100m").antiAffinity(ZONE, "app", "db").build());
    pods.add(pod("db").cpu("100m").label("app", "db").selector(ZONE, A).build());
    var r = solve(pods, cpu());
    scheduled(r, 2);
    assertNotEquals(A, claimOf(r, "web").zone());
  }

  @Test
  void inverseAntiAffinityKeepsOthersOutOfTheZone() {
    List<Pod> pods = new ArrayList<>(pod("web").cpu("100m").label("app", "web").times(3));
    pods.add(
        pod("db")
            .cpu("100m")
            .label("app", "db")
            .selector(ZONE, A)
            .antiAffinity(ZONE, "app", "web")
            .build());
    SchedulingResult r = solve(pods, cpu());
    if (r.unschedulable().containsKey("default/db")) {
      return;
    }
    String dbZone = claimOf(r, "db").zone();
    for (NodeClaimPlan c : r.nodeClaims()) {
      if (c.zone().equals(dbZone)) {
        assertTrue(c.pods().stream().noneMatch(p -> p.startsWith("default/web")), r::toString);
      }
    }
  }

  @Test
  void preferredInverseAntiAffinityMayBeViolated() {
    List<Pod> pods =
        new ArrayList<>(pod("web").cpu("100m").label("app", "web").selector(ZONE, A).times(2));
    pods.add(
        pod("db")
            .cpu("100m")
            .label("app", "db")
            .selector(ZONE, A)
            .preferAntiAffinity(10, ZONE, "app", "web")
            .build());
    scheduled(solve(pods, cpu()), 3);
  }

  @Test
  void affinityPreferenceConflictingWithRequiredAntiAffinityIsDropped() {
    List<Pod> pods = new ArrayList<>();
    pods.add(pod("db").cpu("100m").label("app", "db").build());
    pods.add(
        pod("web")
            .cpu("100m")
            .preferAffinity(50, HOSTNAME, "app", "db")
            .antiAffinity(HOSTNAME, "app", "db")
            .build());
    var r = solve(pods, cpu());
    scheduled(r, 2);
    assertNotSame(claimOf(r, "db"), claimOf(r, "web"));
    assertEquals(2, r.nodeClaims().size());
  }

  static Pod affinityWithNamespaces(String name, PodAffinityTermBuilder term) {
    Pod p = pod(name).cpu("100m").build();
    return new PodBuilder(p)
        .editSpec()
        .withNewAffinity()
        .withNewPodAffinity()
        .addToRequiredDuringSchedulingIgnoredDuringExecution(
            term.withTopologyKey(HOSTNAME)
                .withLabelSelector(new LabelSelectorBuilder().addToMatchLabels("app", "db").build())
                .build())
        .endPodAffinity()
        .endAffinity()
        .endSpec()
        .build();
  }

  @Test
  void affinityNamespaceListMatchesPodsOfThoseNamespaces() {
    List<Pod> pods = new ArrayList<>();
    pods.add(pod("db").ns("other").cpu("100m").label("app", "db").build());
    pods.add(affinityWithNamespaces("web", new PodAffinityTermBuilder().withNamespaces("other")));
    var r = solve(pods, cpu());
    assertEquals(2, only(r).pods().size());
  }

  @Test
  void emptyNamespaceSelectorMatchesEveryNamespace() {
    List<Pod> pods = new ArrayList<>();
    pods.add(pod("db").ns("other").cpu("100m").label("app", "db").build());
    pods.add(
        affinityWithNamespaces(
            "web", new PodAffinityTermBuilder().withNewNamespaceSelector().endNamespaceSelector()));
    var r = solve(pods, cpu());
    assertEquals(2, only(r).pods().size());
  }

  // instance_selection_test.go

  @Test
  void cheapestWithPoolArchAmd64() {
    var pool = pool("default", 0, cpuTypes(), req(ARCH, "In", "amd64"), req(CT, "In", "on-demand"));
    assertEquals("m5.large", only(solve(List.of(pod("p").build()), pool)).instanceType());
  }

  @Test
  void cheapestWithPodSpotSelector() {
    NodeClaimPlan c = only(solve(List.of(pod("p").selector(CT, "spot").build()), cpu()));
    assertEquals("spot", c.capacityType());
    assertEquals("m5.large", c.instanceType());
  }

  @Test
  void cheapestWithPoolOnDemandAndZone() {
    var pool = pool("default", 0, cpuTypes(), req(CT, "In", "on-demand"), req(ZONE, "In", A));
    NodeClaimPlan c = only(solve(List.of(pod("p").build()), pool));
    assertEquals("on-demand", c.capacityType());
    assertEquals(A, c.zone());
    assertEquals("m5.large", c.instanceType());
  }

  @Test
  void cheapestWithPodSpotAndZone() {
    NodeClaimPlan c =
        only(solve(List.of(pod("p").selector(CT, "spot").selector(ZONE, B).build()), cpu()));
    assertEquals("spot", c.capacityType());
    assertEquals(B, c.zone());
  }

  @Test
  void noTypeMatchesArmSelectorOnAnAmdPool() {
    var pool = pool("amd", 0, cpuTypes(), req(ARCH, "In", "amd64"));
    unschedulable(
        solve(List.of(pod("p").selector(ARCH, "arm64").selector(ZONE, B).build()), pool), "p");
  }
}
