package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Upstream topology_test.go: topology spread, pod affinity and anti-affinity, taints. */
class TopologyTest {
  static final String DNS = "DoNotSchedule";
  static final String SA = "ScheduleAnyway";

  static List<Pod> spread(String name, int n, String key, int maxSkew, String when) {
    return pod(name)
        .cpu("100m")
        .label("app", "web")
        .spread(key, maxSkew, when, "app", "web")
        .times(n);
  }

  static Map<String, Integer> skew(SchedulingResult r, String key) {
    Map<String, Integer> m = new HashMap<>();
    for (NodeClaimPlan c : r.nodeClaims()) {
      String d =
          key.equals(HOSTNAME)
              ? c.toString()
              : key.equals(ZONE)
                  ? c.zone()
                  : key.equals(CT) ? c.capacityType() : label(c.instanceType(), key);
      m.merge(d, c.pods().size(), Integer::sum);
    }
    return m;
  }

  static List<Integer> sortedCounts(SchedulingResult r, String key) {
    List<Integer> l = new ArrayList<>(skew(r, key).values());
    l.sort(null);
    return l;
  }

  static SchedulingNodePool zones(String... z) {
    return pool("default", 0, cpuTypes(), req(ZONE, "In", z));
  }

  @Nested
  class General {
    @Test
    void unknownTopologyKeyMakesThePodUnschedulable() {
      List<Pod> pods = new ArrayList<>(spread("s", 1, "unknown", 1, DNS));
      pods.add(pod("plain").build());
      var r = solve(pods, cpu());
      unschedulable(r, "s-0");
      claimOf(r, "plain");
    }

    @Test
    void nilLabelSelectorDoesNotSpread() {
      Pod base = pod("p").cpu("100m").label("app", "web").build();
      base.getSpec()
          .setTopologySpreadConstraints(
              List.of(
                  new TopologySpreadConstraintBuilder()
                      .withTopologyKey(ZONE)
                      .withMaxSkew(1)
                      .withWhenUnsatisfiable(DNS)
                      .build()));
      Pod second =
          new io.fabric8.kubernetes.api.model.PodBuilder(base)
              .editMetadata()
              .withName("q")
              .endMetadata()
              .build();
      var r = solve(List.of(base, second), cpu());
      scheduled(r, 2);
      assertEquals(List.of(2), sortedCounts(r, ZONE));
    }
  }

  @Nested
  class Zonal {
    @Test
    void podsAreBalancedAcrossZones() {
      var r = solve(spread("p", 4, ZONE, 1, DNS), cpu());
      scheduled(r, 4);
      assertEquals(List.of(1, 1, 2), sortedCounts(r, ZONE));
    }

    @Test
    void nodePoolZonesAreRespected() {
      var r = solve(spread("p", 4, ZONE, 1, DNS), zones(A, B));
      scheduled(r, 4);
      assertEquals(Set.of(A, B), zonesOf(r));
      assertEquals(List.of(2, 2), sortedCounts(r, ZONE));
    }

    @Test
    void nodePoolZoneLabelIsRespected() {
      var r = solve(spread("p", 3, ZONE, 1, DNS), cpu().withLabels(Map.of(ZONE, B)));
      scheduled(r, 3);
      assertEquals(Set.of(B), zonesOf(r));
    }

    @Test
    void minDomainsLimitsPodsPerDomainWhenTooFewDomainsExist() {
      List<Pod> pods =
          pod("p").cpu("100m").label("app", "web").spread(ZONE, 1, DNS, "app", "web", 3).times(3);
      var r = solve(pods, zones(A, B));
      assertEquals(2, r.scheduledCount(), r::toString);
      assertEquals(List.of(1, 1), sortedCounts(r, ZONE));
    }

    @Test
    void satisfiedMinDomainsSchedulesEverything() {
      List<Pod> pods =
          pod("p").cpu("100m").label("app", "web").spread(ZONE, 1, DNS, "app", "web", 3).times(6);
      var r = solve(pods, cpu());
      scheduled(r, 6);
      assertEquals(List.of(2, 2, 2), sortedCounts(r, ZONE));
    }

    @Test
    void onlyMatchingPodsAreCounted() {
      List<Pod> pods = new ArrayList<>(spread("p", 3, ZONE, 1, DNS));
      pods.addAll(pod("other").cpu("100m").label("app", "db").selector(ZONE, A).times(3));
      var r = solve(pods, cpu());
      scheduled(r, 6);
      int web = 0;
      for (NodeClaimPlan c : r.nodeClaims()) {
        for (String p : c.pods()) {
          if (p.startsWith("default/p-")) {
            web++;
          }
        }
      }
      assertEquals(3, web);
      Map<String, Integer> perZone = new HashMap<>();
      for (NodeClaimPlan c : r.nodeClaims()) {
        perZone.merge(
            c.zone(),
            (int) c.pods().stream().filter(p -> p.startsWith("default/p-")).count(),
            Integer::sum);
      }
      perZone.values().removeIf(v -> v == 0);
      assertEquals(3, perZone.size(), perZone::toString);
    }
  }

  @Nested
  class Hostname {
    @Test
    void podsAreBalancedAcrossNodes() {
      var r = solve(spread("p", 4, HOSTNAME, 1, DNS), cpu());
      scheduled(r, 4);
      assertEquals(4, r.nodeClaims().size());
    }

    @Test
    void podsShareANodeUpToMaxSkew() {
      var r = solve(spread("p", 4, HOSTNAME, 4, DNS), cpu());
      scheduled(r, 4);
      assertEquals(1, r.nodeClaims().size());
    }
  }

  @Nested
  class CapacityType {
    @Test
    void podsAreBalancedAcrossCapacityTypes() {
      var r = solve(spread("p", 4, CT, 1, DNS), cpu());
      scheduled(r, 4);
      assertEquals(List.of(2, 2), sortedCounts(r, CT));
    }

    @Test
    void nodePoolCapacityTypeIsRespected() {
      var r = solve(spread("p", 4, CT, 1, DNS), SchedulerPools.onDemandCpu());
      scheduled(r, 4);
      for (NodeClaimPlan c : r.nodeClaims()) {
        assertEquals("on-demand", c.capacityType());
      }
    }

    @Test
    void scheduleAnywayMayViolateSkew() {
      var r = solve(spread("p", 4, CT, 1, SA), SchedulerPools.onDemandCpu());
      scheduled(r, 4);
    }
  }

  @Nested
  class Combined {
    @Test
    void hostnameAndZoneConstraintsBothHold() {
      List<Pod> pods =
          pod("p")
              .cpu("100m")
              .label("app", "web")
              .spread(ZONE, 1, DNS, "app", "web")
              .spread(HOSTNAME, 1, DNS, "app", "web")
              .times(6);
      var r = solve(pods, cpu());
      scheduled(r, 6);
      assertEquals(6, r.nodeClaims().size());
      assertEquals(List.of(2, 2, 2), sortedCounts(r, ZONE));
    }

    @Test
    void nodeSelectorLimitsSpreadDomains() {
      List<Pod> pods =
          pod("p")
              .cpu("100m")
              .label("app", "web")
              .selector(ZONE, A)
              .spread(ZONE, 1, DNS, "app", "web")
              .times(5);
      var r = solve(pods, cpu());
      scheduled(r, 5);
      assertEquals(Set.of(A), zonesOf(r));
    }

    @Test
    void nodePoolRequirementsLimitSpreadDomains() {
      var r = solve(spread("p", 5, ZONE, 1, DNS), zones(C));
      scheduled(r, 5);
      assertEquals(Set.of(C), zonesOf(r));
    }

    @Test
    void requiredNodeAffinityLimitsSpreadDomains() {
      List<Pod> pods =
          pod("p")
              .cpu("100m")
              .label("app", "web")
              .require(ZONE, "In", A, B)
              .spread(ZONE, 1, DNS, "app", "web")
              .times(4);
      var r = solve(pods, cpu());
      scheduled(r, 4);
      assertEquals(List.of(2, 2), sortedCounts(r, ZONE));
    }

    @Test
    void preferredNodeAffinityDoesNotLimitSpreadDomains() {
      List<Pod> pods =
          pod("p")
              .cpu("100m")
              .label("app", "web")
              .prefer(10, ZONE, "In", A)
              .spread(ZONE, 1, DNS, "app", "web")
              .times(6);
      var r = solve(pods, cpu());
      scheduled(r, 6);
      assertEquals(List.of(2, 2, 2), sortedCounts(r, ZONE));
    }
  }

  @Nested
  class PodAffinity {
    @Test
    void emptyAffinitySchedules() {
      Pod p = pod("p").build();
      p.getSpec()
          .setAffinity(
              new io.fabric8.kubernetes.api.model.AffinityBuilder()
                  .withNewPodAffinity()
                  .endPodAffinity()
                  .withNewPodAntiAffinity()
                  .endPodAntiAffinity()
                  .build());
      only(solve(List.of(p), cpu()));
    }

    @Test
    void hostnameAffinityCoLocates() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("100m").label("app", "db").build());
      pods.addAll(pod("web").cpu("100m").affinity(HOSTNAME, "app", "db").times(3));
      var r = solve(pods, cpu());
      assertEquals(4, only(r).pods().size());
    }

    @Test
    void archAffinityFollowsTheTarget() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("100m").label("app", "db").selector(ARCH, "arm64").build());
      // On a node of its own (as upstream's hostname spread does), web alone would be cheapest on
      // an amd64 m5.large; the arch affinity to db keeps it on arm64.
      pods.add(
          pod("web")
              .cpu("1")
              .affinity(ARCH, "app", "db")
              .antiAffinity(HOSTNAME, "app", "db")
              .build());
      var r = solve(pods, cpu());
      scheduled(r, 2);
      assertEquals(2, r.nodeClaims().size(), r::toString);
      assertEquals("arm64", label(claimOf(r, "web").instanceType(), ARCH));
    }

    @Test
    void selfAffinityOnHostnameCoLocates() {
      var r =
          solve(
              pod("p").cpu("100m").label("app", "x").affinity(HOSTNAME, "app", "x").times(3),
              cpu());
      assertEquals(3, only(r).pods().size());
    }

    @Test
    void selfAffinityOnZoneCoLocates() {
      var r = solve(pod("p").cpu("2").label("app", "x").affinity(ZONE, "app", "x").times(4), cpu());
      scheduled(r, 4);
      assertEquals(1, zonesOf(r).size());
    }

    @Test
    void selfAffinityOnZoneWithConstraint() {
      var r =
          solve(
              pod("p")
                  .cpu("2")
                  .label("app", "x")
                  .selector(ZONE, B)
                  .affinity(ZONE, "app", "x")
                  .times(4),
              cpu());
      scheduled(r, 4);
      assertEquals(Set.of(B), zonesOf(r));
    }

    @Test
    void preferredAffinityMayBeViolated() {
      only(solve(List.of(pod("p").preferAffinity(50, HOSTNAME, "app", "missing").build()), cpu()));
    }

    @Test
    void preferredAntiAffinityMayBeViolated() {
      var pool = pool("one", 0, cpuTypes(), req(TYPE, "In", "m5.8xlarge"), req(ZONE, "In", A));
      var r =
          solve(
              pod("p")
                  .cpu("100m")
                  .label("app", "x")
                  .preferAntiAffinity(50, ZONE, "app", "x")
                  .times(3),
              pool);
      scheduled(r, 3);
    }

    @Test
    void hostnameAntiAffinitySeparates() {
      var r =
          solve(
              pod("p").cpu("100m").label("app", "x").antiAffinity(HOSTNAME, "app", "x").times(3),
              cpu());
      scheduled(r, 3);
      assertEquals(3, r.nodeClaims().size());
    }

    @Test
    void zoneAntiAffinityAllowsOnePodPerZone() {
      var r =
          solve(
              pod("p").cpu("100m").label("app", "x").antiAffinity(ZONE, "app", "x").times(4),
              cpu());
      assertEquals(3, r.scheduledCount());
      assertEquals(3, zonesOf(r).size());
      assertEquals(1, r.unschedulable().size());
    }

    @Test
    void archAntiAffinityAllowsOnePodPerArch() {
      var r =
          solve(
              pod("p").cpu("100m").label("app", "x").antiAffinity(ARCH, "app", "x").times(3),
              cpu());
      assertEquals(2, r.scheduledCount());
    }

    @Test
    void antiAffinityOfAnotherPodIsRespected() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("100m").label("app", "db").selector(ZONE, A).build());
      pods.add(pod("web").cpu("100m").antiAffinity(ZONE, "app", "db").build());
      var r = solve(pods, cpu());
      scheduled(r, 2);
      assertNotEquals(A, claimOf(r, "web").zone());
    }

    @Test
    void inverseAntiAffinityOnAnExistingNodeIsRespected() {
      // An existing pod in zone a refuses pods labelled app=web in its zone.
      Pod guard =
          pod("guard")
              .cpu("100m")
              .label("app", "guard")
              .antiAffinity(ZONE, "app", "web")
              .nodeName("n1")
              .build();
      var node =
          node(
              "n1",
              Map.of(ZONE, A, HOSTNAME, "n1", ARCH, "amd64", "kubernetes.io/os", "linux"),
              "100m",
              "1Gi",
              List.of(guard));
      var in =
          input(
                  List.of(
                      pod("w").cpu("100m").label("app", "web").require(ZONE, "In", A, B).build()),
                  cpu())
              .withNodes(List.of(node));
      var r = solve(in);
      scheduled(r, 1);
      assertEquals(B, claimOf(r, "w").zone());
    }

    @Test
    void affinityToANonExistentPodIsUnschedulable() {
      unschedulable(
          solve(List.of(pod("p").affinity(HOSTNAME, "app", "missing").build()), cpu()), "p");
    }

    @Test
    void zoneAffinityFollowsAnUnconstrainedTarget() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("100m").label("app", "db").build());
      pods.addAll(pod("web").cpu("4").affinity(ZONE, "app", "db").times(3));
      var r = solve(pods, cpu());
      scheduled(r, 4);
      assertEquals(1, zonesOf(r).size());
    }

    @Test
    void zoneAffinityFollowsAConstrainedTarget() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").cpu("100m").label("app", "db").selector(ZONE, C).build());
      pods.addAll(pod("web").cpu("4").affinity(ZONE, "app", "db").times(3));
      var r = solve(pods, cpu());
      scheduled(r, 4);
      assertEquals(Set.of(C), zonesOf(r));
    }

    @Test
    void chainOfDependentAffinitiesSchedules() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("a").cpu("100m").label("app", "a").build());
      pods.add(pod("b").cpu("100m").label("app", "b").affinity(HOSTNAME, "app", "a").build());
      pods.add(pod("c").cpu("100m").label("app", "c").affinity(HOSTNAME, "app", "b").build());
      pods.add(pod("d").cpu("100m").label("app", "d").affinity(HOSTNAME, "app", "c").build());
      var r = solve(pods, cpu());
      assertEquals(4, only(r).pods().size());
    }

    @Test
    void unsatisfiableDependencyFails() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("a").cpu("1000").label("app", "a").build());
      pods.add(pod("b").cpu("100m").label("app", "b").affinity(HOSTNAME, "app", "a").build());
      var r = solve(pods, cpu());
      unschedulable(r, "a");
      unschedulable(r, "b");
    }

    @Test
    void affinityOnlyMatchesPodsOfTheSameNamespace() {
      List<Pod> pods = new ArrayList<>();
      pods.add(pod("db").ns("other").cpu("100m").label("app", "db").build());
      pods.add(pod("web").cpu("100m").affinity(HOSTNAME, "app", "db").build());
      var r = solve(pods, cpu());
      unschedulable(r, "web");
    }
  }

  @Nested
  class Taints {
    static SchedulingNodePool tainted() {
      return cpu().withTaints(List.of(taint("dedicated", "ml", "NoSchedule")));
    }

    @Test
    void claimsCarryNodePoolTaints() {
      NodeClaimPlan c = only(solve(List.of(pod("p").tolerate("dedicated").build()), tainted()));
      assertEquals(1, c.taints().stream().filter(t -> t.getKey().equals("dedicated")).count());
    }

    @Test
    void podsThatTolerateSchedule() {
      only(solve(List.of(pod("p").tolerate("dedicated").build()), tainted()));
    }

    @Test
    void podsThatDoNotTolerateAreUnschedulable() {
      unschedulable(solve(List.of(pod("p").build()), tainted()), "p");
    }

    @Test
    void startupTaintNeedsNoToleration() {
      var base = cpu();
      var pool =
          new SchedulingNodePool(
              base.name(),
              0,
              Requirements.NONE,
              Map.of(),
              List.of(),
              List.of(taint("init", "true", "NoSchedule")),
              Resources.NONE,
              Resources.NONE,
              base.instanceTypes());
      only(solve(List.of(pod("p").build()), pool));
    }
  }
}
