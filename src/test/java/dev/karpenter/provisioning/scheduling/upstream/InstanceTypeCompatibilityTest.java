package dev.karpenter.provisioning.scheduling.upstream;

import static dev.karpenter.provisioning.scheduling.UpstreamKit.*;
import static dev.karpenter.provisioning.scheduling.upstream.Check.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Upstream suite_test.go, Describe("Instance Type Compatibility"), Describe("Binpacking") and
 * instance_selection_test.go.
 */
class InstanceTypeCompatibilityTest {
  @Nested
  class Compatibility {
    @Test
    void moreThanAnyTypeHasIsUnschedulable() {
      unschedulable(solve(List.of(pod("p").cpu("1000").build()), any()), "p");
    }

    @Test
    void differentArchsGetDifferentNodes() {
      var r =
          solve(
              List.of(
                  pod("x").selector(ARCH, "amd64").build(),
                  pod("y").selector(ARCH, "arm64").build()),
              cpu());
      assertEquals(2, r.nodeClaims().size());
      everyOption(claimOf(r, "x"), "amd64", t -> t.labels().get(ARCH).equals("amd64"));
      everyOption(claimOf(r, "y"), "arm64", t -> t.labels().get(ARCH).equals("arm64"));
    }

    @Test
    void instanceTypeAffinityExcludesTypes() {
      var r =
          solve(List.of(pod("p").require(TYPE, "NotIn", "m5.large", "c6g.xlarge").build()), cpu());
      NodeClaimPlan c = only(r);
      assertFalse(c.instanceTypeOptions().contains("m5.large"));
      assertFalse(c.instanceTypeOptions().contains("c6g.xlarge"));
    }

    @Test
    void operatingSystemAffinityExcludesTypes() {
      unschedulable(solve(List.of(pod("p").require(OS, "In", "windows").build()), cpu()), "p");
      everyOption(
          only(solve(List.of(pod("q").require(OS, "In", "linux").build()), cpu())),
          "linux",
          t -> t.labels().get(OS).equals("linux"));
    }

    @Test
    void nodePoolArchExcludesTypes() {
      var pool = pool("default", 0, cpuTypes(), req(ARCH, "In", "arm64"));
      everyOption(
          only(solve(List.of(pod("p").build()), pool)),
          "arm64",
          t -> t.labels().get(ARCH).equals("arm64"));
    }

    @Test
    void differentInstanceTypeSelectorsGetDifferentNodes() {
      var r =
          solve(
              List.of(
                  pod("x").selector(TYPE, "m5.large").build(),
                  pod("y").selector(TYPE, "m5.xlarge").build()),
              cpu());
      assertEquals(2, r.nodeClaims().size());
      assertEquals("m5.large", claimOf(r, "x").instanceType());
      assertEquals("m5.xlarge", claimOf(r, "y").instanceType());
    }

    @Test
    void differentZoneSelectorsGetDifferentNodes() {
      var r =
          solve(
              List.of(pod("x").selector(ZONE, A).build(), pod("y").selector(ZONE, B).build()),
              cpu());
      assertEquals(Set.of(A, B), zonesOf(r));
    }

    @Test
    void resourcesOnDifferentTypesGetDifferentNodes() {
      var r =
          solve(List.of(pod("g").res(GPU, "1").build(), pod("n").res(NEURON, "1").build()), any());
      assertEquals(2, r.nodeClaims().size());
      everyOption(claimOf(r, "g"), "a GPU type", t -> t.capacity().get(GPU) > 0);
      everyOption(claimOf(r, "n"), "a Neuron type", t -> t.capacity().get(NEURON) > 0);
    }

    @Test
    void resourcesNoSingleTypeHasAreUnschedulable() {
      unschedulable(solve(List.of(pod("p").res(GPU, "1").res(NEURON, "1").build()), any()), "p");
    }

    @Test
    void providerLabelFiltersTypes() {
      NodeClaimPlan c = only(solve(List.of(pod("p").selector(GPU_NAME, "a10g").build()), any()));
      everyOption(c, "a10g", t -> "a10g".equals(t.labels().get(GPU_NAME)));
    }

    @Test
    void incompatibleProviderLabelsAreUnschedulable() {
      var p = pod("p").selector(GPU_NAME, "a10g").selector(FAMILY, "g4dn").build();
      unschedulable(solve(List.of(p), any()), "p");
    }

    @Test
    void optionalLabelThatSomeTypesHaveSchedules() {
      NodeClaimPlan c = only(solve(List.of(pod("p").require(GPU_COUNT, "Exists").build()), any()));
      everyOption(c, "a GPU type", t -> t.labels().containsKey(GPU_COUNT));
    }

    @Test
    void optionalLabelDisallowedSchedulesWithoutIt() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").require(GPU_COUNT, "DoesNotExist").build()), any()));
      everyOption(c, "without GPUs", t -> !t.labels().containsKey(GPU_COUNT));
    }
  }

  @Nested
  class Binpacking {
    @Test
    void smallPodGetsTheSmallestCheapestType() {
      assertEquals(
          "m5.large",
          only(solve(List.of(pod("p").cpu("100m").build()), SchedulerPools.onDemandCpu()))
              .instanceType());
    }

    @Test
    void manySmallPodsShareTheSmallestType() {
      NodeClaimPlan c =
          only(solve(pod("p").cpu("100m").mem("100Mi").times(5), SchedulerPools.onDemandCpu()));
      assertEquals("m5.large", c.instanceType());
      assertEquals(5, c.pods().size());
    }

    @Test
    void newNodesWhenANodeIsAtCapacity() {
      var pool = pool("small", 0, cpuTypes(), req(TYPE, "In", "m5.large"));
      var r = solve(pod("p").cpu("1500m").times(4), pool);
      scheduled(r, 4);
      assertEquals(4, r.nodeClaims().size());
    }

    @Test
    void smallAndLargePodsArePackedTogether() {
      List<io.fabric8.kubernetes.api.model.Pod> pods =
          new java.util.ArrayList<>(pod("s").cpu("250m").times(2));
      pods.add(pod("l").cpu("3").mem("8Gi").build());
      var r = solve(pods, SchedulerPools.onDemandCpu());
      NodeClaimPlan c = only(r);
      assertEquals(3, c.pods().size());
    }

    @Test
    void zeroQuantityRequestsAreIgnored() {
      NodeClaimPlan c = only(solve(List.of(pod("p").cpu("1").res(GPU, "0").build()), any()));
      assertFalse(
          c.instanceType().startsWith("g") || c.instanceType().startsWith("p"), c::toString);
    }

    @Test
    void podsPerNodeLimitForcesNewNodes() {
      var tiny = type("t1.small", 16, 64, 3, 0.1, 0);
      var r = solve(pod("p").cpu("10m").times(6), pool("tiny", 0, List.of(tiny)));
      scheduled(r, 6);
      assertEquals(2, r.nodeClaims().size());
    }

    @Test
    void initContainerRequestsAreBinpacked() {
      var p = pod("p").cpu("500m").build();
      p.getSpec()
          .getInitContainers()
          .add(
              new ContainerBuilder()
                  .withName("init")
                  .withNewResources()
                  .addToRequests("cpu", new Quantity("6"))
                  .endResources()
                  .build());
      NodeClaimPlan c = only(solve(List.of(p), SchedulerPools.onDemandCpu()));
      everyOption(c, "at least 8 vCPU", t -> t.capacity().get("cpu") >= 8000);
    }

    @Test
    void initContainerLargerThanAnyTypeIsUnschedulable() {
      var p = pod("p").cpu("500m").build();
      p.getSpec()
          .getInitContainers()
          .add(
              new ContainerBuilder()
                  .withName("init")
                  .withNewResources()
                  .addToRequests("cpu", new Quantity("1000"))
                  .endResources()
                  .build());
      unschedulable(solve(List.of(p), any()), "p");
    }

    @Test
    void validTypeIsChosenRegardlessOfPrice() {
      var cheap = type("cheap.large", 2, 2, 110, 0.01, 0);
      var dear = type("dear.large", 2, 16, 110, 5.0, 0);
      NodeClaimPlan c =
          only(solve(List.of(pod("p").mem("8Gi").build()), pool("d", 0, List.of(cheap, dear))));
      assertEquals("dear.large", c.instanceType());
      assertEquals(List.of("dear.large"), c.instanceTypeOptions());
    }
  }

  @Nested
  class InstanceSelection {
    @Test
    void launchesTheCheapestOption() {
      NodeClaimPlan c = only(solve(List.of(pod("p").cpu("1").build()), cpu()));
      double launch = c.pricePerHour();
      for (String o : c.instanceTypeOptions()) {
        for (var off : typeNamed(o).offerings()) {
          assertTrue(off.price() >= launch - 1e-9, o + " is cheaper than the launch");
        }
      }
    }

    @Test
    void cheapestAmd64() {
      NodeClaimPlan c =
          only(
              solve(
                  List.of(pod("p").selector(ARCH, "amd64").build()), SchedulerPools.onDemandCpu()));
      assertEquals("m5.large", c.instanceType());
    }

    @Test
    void cheapestArm64() {
      NodeClaimPlan c =
          only(
              solve(
                  List.of(pod("p").selector(ARCH, "arm64").build()), SchedulerPools.onDemandCpu()));
      assertEquals("c6g.xlarge", c.instanceType());
    }

    @Test
    void cheapestInTheSelectedZone() {
      NodeClaimPlan c = only(solve(List.of(pod("p").selector(ZONE, C).build()), cpu()));
      assertEquals(C, c.zone());
    }

    @Test
    void spotWhenAllowedAndCheaper() {
      NodeClaimPlan c =
          only(
              solve(
                  List.of(pod("p").build()),
                  pool("d", 0, cpuTypes(), req(CT, "In", "spot", "on-demand"))));
      assertEquals("spot", c.capacityType());
    }

    @Test
    void onDemandWhenSelected() {
      NodeClaimPlan c = only(solve(List.of(pod("p").selector(CT, "on-demand").build()), cpu()));
      assertEquals("on-demand", c.capacityType());
    }

    @Test
    void onDemandWhenTheTypeHasNoSpotOffering() {
      NodeClaimPlan c =
          only(
              solve(
                  List.of(pod("p").res(NEURON, "1").build()),
                  pool("n", 0, neuronTypes(), req(CT, "In", "spot", "on-demand"))));
      assertEquals("on-demand", c.capacityType());
    }

    @Test
    void noMatchingTypeIsUnschedulable() {
      unschedulable(
          solve(List.of(pod("p").build()), pool("d", 0, cpuTypes(), req(TYPE, "In", "nope.large"))),
          "p");
    }

    @Test
    void everyOptionHoldsTheRequests() {
      NodeClaimPlan c = only(solve(List.of(pod("p").cpu("7").mem("20Gi").build()), cpu()));
      everyOption(
          c,
          "big enough",
          t ->
              t.allocatable().get("cpu") >= 7000
                  && t.allocatable().get("memory") >= 20L * (1L << 30) * 1000);
    }

    @Test
    void optionsArePriceOrdered() {
      NodeClaimPlan c =
          only(solve(List.of(pod("p").cpu("1").build()), SchedulerPools.onDemandCpu()));
      double last = 0;
      for (String o : c.instanceTypeOptions()) {
        double price =
            typeNamed(o).offerings().stream()
                .filter(x -> x.capacityType().equals("on-demand"))
                .mapToDouble(x -> x.price())
                .min()
                .orElseThrow();
        assertTrue(price >= last - 1e-9, c.instanceTypeOptions().toString());
        last = price;
      }
    }

    /** Issue #10: a pod's nodeSelector holds for every option even when it joins another claim. */
    @Test
    void podJoiningAClaimNarrowsItsOptions() {
      var gpuPool = pool("gpu", 0, gpuTypes());
      var r =
          solve(
              List.of(
                  pod("any").cpu("4").res(GPU, "2").build(),
                  pod("a10g").cpu("4").res(GPU, "2").selector(GPU_NAME, "a10g").build()),
              gpuPool);
      scheduled(r, 2);
      NodeClaimPlan c = claimOf(r, "a10g");
      assertEquals("a10g", label(c.instanceType(), GPU_NAME), c::toString);
      everyOption(c, "a10g", t -> "a10g".equals(t.labels().get(GPU_NAME)));
    }
  }
}
