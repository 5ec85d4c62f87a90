package dev.karpenter.bench;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.Overhead;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTermBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTermBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Karpenter's scheduling benchmark inputs (core scheduling_benchmark_test.go, as described in
 * performance-anchors.md §1.1), rebuilt in Java: the same shapes and distributions, seed 42 (Java's
 * RNG, so not the identical sequence).
 */
public final class BenchmarkWorkloads {
  static final String[] ZONES = {"test-zone-1", "test-zone-2", "test-zone-3"};
  private static final int[] CPU_MILLI = {100, 250, 500, 1000, 1500};
  private static final int[] MEM_MI = {100, 256, 512, 1024, 2048, 4096};
  private static final String[] LABEL_VALUES = {"a", "b", "c", "d", "e", "f", "g"};

  private final Random random = new Random(42);
  private int seq;

  /**
   * Type i (0-based) has i+1 vCPU, 2(i+1) GiB, 10(i+1) pods; spot in zones 1-2 and on-demand in
   * zones 1-3 at one price linear in size; kube-reserved 100m CPU and 10Mi memory.
   */
  public static List<InstanceType> fakeInstanceTypes(int n) {
    List<InstanceType> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int cpu = i + 1;
      long memBytes = 2L * (i + 1) * (1L << 30);
      double price = 0.1 * cpu + 0.1 * (memBytes / 1e9);
      String name = "fake-it-" + i;
      Map<String, String> labels = new HashMap<>();
      labels.put(Labels.INSTANCE_TYPE, name);
      labels.put(Labels.ARCH, "amd64");
      labels.put(Labels.OS, "linux");
      Map<String, Long> cap = new HashMap<>();
      cap.put("cpu", cpu * 1000L);
      cap.put("memory", memBytes * 1000);
      cap.put("pods", 10L * (i + 1) * 1000);
      List<Offering> offerings = new ArrayList<>();
      offerings.add(new Offering(ZONES[0], Labels.SPOT, price, true));
      offerings.add(new Offering(ZONES[1], Labels.SPOT, price, true));
      for (String z : ZONES) {
        offerings.add(new Offering(z, Labels.ON_DEMAND, price, true));
      }
      Overhead overhead =
          new Overhead(
              Resources.parse(Map.of("cpu", "100m", "memory", "10Mi")),
              Resources.NONE,
              Resources.NONE);
      out.add(new InstanceType(name, labels, new Resources(cap), overhead, offerings));
    }
    return out;
  }

  /** Five equal fifths (generic, zone spread, hostname spread, zone affinity, hostname anti). */
  public List<Pod> diversePods(int count) {
    int fifth = count / 5;
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < fifth; i++) {
      pods.add(generic());
    }
    for (int i = 0; i < fifth; i++) {
      pods.add(spread(Labels.ZONE));
    }
    for (int i = 0; i < fifth; i++) {
      pods.add(spread(Labels.HOSTNAME));
    }
    for (int i = 0; i < fifth; i++) {
      pods.add(affinity(Labels.ZONE));
    }
    for (int i = 0; i < fifth; i++) {
      pods.add(antiAffinity(Labels.HOSTNAME));
    }
    while (pods.size() < count) {
      pods.add(generic());
    }
    return pods;
  }

  /**
   * Upstream's makePreferencePods: identical {@code app=nginx} pods (one random request for all)
   * with a satisfiable one-zone node preference, a weight-10 zone anti-affinity preference to each
   * other (unsatisfiable beyond one pod per zone) and a satisfiable weight-1 hostname anti-affinity
   * preference to each other: one node per pod once the zone term is relaxed.
   */
  public List<Pod> preferencePods(int count) {
    List<Pod> pods = new ArrayList<>();
    String cpu = randomCpu();
    String mem = randomMem();
    for (int i = 0; i < count; i++) {
      pods.add(preferencePod(cpu, mem));
    }
    return pods;
  }

  /**
   * Upstream's makePreferencePods exactly: label app=nginx, a zone-1 node preference, a weight-10
   * zone anti-affinity and a weight-1 hostname anti-affinity preference, both on app=nginx (the
   * pods' own label), random requests. Under PreferencePolicy=Respect Karpenter keeps the hostname
   * preference, so it makes one node per pod.
   */
  public List<Pod> upstreamPreferencePods(int count) {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pods.add(preferencePod(randomCpu(), randomMem()));
    }
    return pods;
  }

  private Pod preferencePod(String cpu, String mem) {
    PodSpecBuilder spec = spec(cpu, mem);
    spec.withNewAffinity()
        .withNewNodeAffinity()
        .addToPreferredDuringSchedulingIgnoredDuringExecution(
            new PreferredSchedulingTermBuilder()
                .withWeight(1)
                .withNewPreference()
                .addToMatchExpressions(
                    new NodeSelectorRequirementBuilder()
                        .withKey(Labels.ZONE)
                        .withOperator("In")
                        .withValues(ZONES[0])
                        .build())
                .endPreference()
                .build())
        .endNodeAffinity()
        .withNewPodAntiAffinity()
        .addToPreferredDuringSchedulingIgnoredDuringExecution(
            new WeightedPodAffinityTermBuilder()
                .withWeight(10)
                .withPodAffinityTerm(
                    new PodAffinityTermBuilder()
                        .withTopologyKey(Labels.ZONE)
                        .withLabelSelector(selector("app", "nginx"))
                        .build())
                .build(),
            new WeightedPodAffinityTermBuilder()
                .withWeight(1)
                .withPodAffinityTerm(
                    new PodAffinityTermBuilder()
                        .withTopologyKey(Labels.HOSTNAME)
                        .withLabelSelector(selector("app", "nginx"))
                        .build())
                .build())
        .endPodAntiAffinity()
        .endAffinity();
    return pod(Map.of("app", "nginx"), spec);
  }

  private Pod generic() {
    return pod(Map.of(), spec(randomCpu(), randomMem()));
  }

  private Pod spread(String key) {
    String v = randomLabel();
    PodSpecBuilder spec = spec(randomCpu(), randomMem());
    spec.addToTopologySpreadConstraints(
        new TopologySpreadConstraintBuilder()
            .withTopologyKey(key)
            .withMaxSkew(1)
            .withWhenUnsatisfiable("DoNotSchedule")
            .withLabelSelector(selector("my-label", v))
            .build());
    return pod(Map.of("my-label", v), spec);
  }

  private Pod affinity(String key) {
    String v = randomLabel();
    PodSpecBuilder spec = spec(randomCpu(), randomMem());
    spec.withNewAffinity()
        .withNewPodAffinity()
        .addToRequiredDuringSchedulingIgnoredDuringExecution(
            new PodAffinityTermBuilder()
                .withTopologyKey(key)
                .withLabelSelector(selector("my-affinity", v))
                .build())
        .endPodAffinity()
        .endAffinity();
    return pod(Map.of("my-affinity", v), spec);
  }

  private Pod antiAffinity(String key) {
    PodSpecBuilder spec = spec(randomCpu(), randomMem());
    spec.withNewAffinity()
        .withNewPodAntiAffinity()
        .addToRequiredDuringSchedulingIgnoredDuringExecution(
            new PodAffinityTermBuilder()
                .withTopologyKey(key)
                .withLabelSelector(selector("app", "nginx"))
                .build())
        .endPodAntiAffinity()
        .endAffinity();
    return pod(Map.of("app", "nginx"), spec);
  }

  private static LabelSelector selector(String k, String v) {
    return new LabelSelectorBuilder().addToMatchLabels(k, v).build();
  }

  private PodSpecBuilder spec(String cpu, String mem) {
    return new PodSpecBuilder()
        .addToContainers(
            new ContainerBuilder()
                .withName("app")
                .withImage("app")
                .withNewResources()
                .addToRequests("cpu", new Quantity(cpu))
                .addToRequests("memory", new Quantity(mem))
                .endResources()
                .build());
  }

  private Pod pod(Map<String, String> labels, PodSpecBuilder spec) {
    int n = seq++;
    return new PodBuilder()
        .withNewMetadata()
        .withName("pod-" + n)
        .withNamespace("default")
        .withUid("uid-" + n)
        .withLabels(labels)
        .endMetadata()
        .withSpec(spec.build())
        .build();
  }

  private String randomCpu() {
    return CPU_MILLI[random.nextInt(CPU_MILLI.length)] + "m";
  }

  private String randomMem() {
    return MEM_MI[random.nextInt(MEM_MI.length)] + "Mi";
  }

  private String randomLabel() {
    return LABEL_VALUES[random.nextInt(LABEL_VALUES.length)];
  }
}
