package dev.karpenter.provisioning.scheduling;

import static dev.karpenter.testing.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CostBoundTest {
  static SchedulingNodePool onDemand() {
    return SchedulingNodePool.of(
        "od", 0, Requirements.of(req(Labels.CAPACITY_TYPE, "In", "on-demand")), Fixtures.CPU);
  }

  @Test
  void boundIsZeroWithoutPods() {
    assertEquals(0, CostBound.lowerBound(input(List.of(), onDemand())), 1e-9);
  }

  @Test
  void boundNeverExceedsThePlan() {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      pods.add(pod("p" + i).cpu(((i % 5) + 1) * 300 + "m").mem(((i % 4) + 1) + "Gi").build());
    }
    SchedulingInput in = input(pods, onDemand());
    double bound = CostBound.lowerBound(in);
    double plan = new Scheduler().solve(in).totalPricePerHour();
    assertTrue(bound > 0);
    assertTrue(bound <= plan + 1e-9, bound + " > " + plan);
  }

  @Test
  void boundOfOnePodIsAFractionOfTheCheapestType() {
    // One 1-cpu pod: the LP may buy a fraction of a node, so the bound is below m5.large's price.
    double bound =
        CostBound.lowerBound(input(List.of(pod("a").cpu("1").mem("1Gi").build()), onDemand()));
    assertTrue(bound > 0 && bound < 0.096, Double.toString(bound));
  }

  @Test
  void improvedPlanIsCloseToTheBoundForUniformPods() {
    // Two 1950m pods fill a c6g.xlarge (3900m allocatable) exactly, so the integer optimum is the
    // LP bound.
    SchedulingInput in = input(pod("u").cpu("1950m").mem("3Gi").times(40), onDemand());
    double bound = CostBound.lowerBound(in);
    double plan = new Scheduler().solve(in).totalPricePerHour();
    assertTrue(plan <= bound * 1.03, plan + " vs bound " + bound);
  }
}
