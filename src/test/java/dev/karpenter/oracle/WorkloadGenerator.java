package dev.karpenter.oracle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTermBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded workloads over the real us-east-1 catalog and NodePools shaped like the GPU platform
 * guide's (general CPU, gpu-general, gpu-inference, gpu-training with EFA, Neuron, a labelled arm64
 * pool). The same seed always gives the same workload.
 */
final class WorkloadGenerator {
  static final String NAMESPACE = "oracle";
  static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");
  static final String GPU = "nvidia.com/gpu";
  static final String NEURON = "aws.amazon.com/neuron";
  static final String EFA = "vpc.amazonaws.com/efa";

  private final List<InstanceType> types;

  WorkloadGenerator(Catalog catalog) {
    this.types = catalog.instanceTypes();
  }

  List<InstanceType> types() {
    return types;
  }

  Workload generate(long seed, String tag) {
    Random r = new Random(seed);
    List<SchedulingNodePool> pools = pools(r);
    List<DaemonSet> daemonSets = new ArrayList<>();
    int nDs = r.nextInt(3);
    for (int i = 0; i < nDs; i++) {
      daemonSets.add(daemonSet(tag + "-ds" + i, r));
    }
    List<ExistingNode> nodes = new ArrayList<>();
    List<SchedulingNodePool> withUsage = new ArrayList<>();
    for (SchedulingNodePool p : pools) {
      Resources usage = Resources.NONE;
      if (r.nextInt(4) == 0) {
        ExistingNode n = existingNode(tag + "-n" + nodes.size(), p, daemonSets, r, tag);
        if (n != null) {
          nodes.add(n);
          InstanceType t = byName(n.labels().get(Labels.INSTANCE_TYPE));
          usage = t.capacity();
        }
      }
      withUsage.add(usage.isEmpty() ? p : p.withUsage(usage));
    }
    List<Pod> pods = new ArrayList<>();
    int groups = 2 + r.nextInt(6);
    for (int g = 0; g < groups; g++) {
      pods.addAll(group(tag, g, groups, r));
    }
    return new Workload(seed, tag, withUsage, nodes, daemonSets, pods);
  }

  private InstanceType byName(String name) {
    for (InstanceType t : types) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(name);
  }

  private static Requirement req(String key, String op, String... values) {
    return Requirement.of(key, op, List.of(values));
  }

  private static Taint taint(String key) {
    return new TaintBuilder().withKey(key).withValue("true").withEffect("NoSchedule").build();
  }

  private static <T> T pick(Random r, List<T> l) {
    return l.get(r.nextInt(l.size()));
  }

  private List<String> zones(Random r) {
    List<String> z = new ArrayList<>(ZONES);
    int keep = 1 + r.nextInt(3);
    while (z.size() > keep) {
      z.remove(r.nextInt(z.size()));
    }
    return z;
  }

  private List<SchedulingNodePool> pools(Random r) {
    List<SchedulingNodePool> out = new ArrayList<>();
    int[] weights = {0, 10, 50, 60, 80, 90, 100};
    // general CPU pool almost always.
    if (r.nextInt(8) != 0) {
      List<Requirement> reqs = new ArrayList<>();
      reqs.add(
          req(
              Labels.CAPACITY_TYPE,
              "In",
              r.nextBoolean() ? new String[] {"spot", "on-demand"} : new String[] {"on-demand"}));
      reqs.add(req(Labels.INSTANCE_CATEGORY, "In", "c", "m", "r"));
      reqs.add(req(Labels.INSTANCE_GENERATION, "Gt", "4"));
      reqs.add(
          req(
              Labels.ARCH,
              "In",
              r.nextBoolean() ? new String[] {"amd64"} : new String[] {"amd64", "arm64"}));
      if (r.nextBoolean()) {
        reqs.add(Requirement.of(Labels.ZONE, "In", zones(r)));
      }
      SchedulingNodePool p =
          SchedulingNodePool.of(
              "general", pick(r, weightList(weights)), Requirements.of(reqs), types);
      if (r.nextInt(4) == 0) {
        p = p.withLimits(Resources.parse(Map.of("cpu", "64", "nodes", "3")));
      }
      out.add(p);
    }
    if (r.nextBoolean()) {
      SchedulingNodePool p =
          SchedulingNodePool.of(
                  "gpu-general",
                  80,
                  Requirements.of(
                      req(Labels.INSTANCE_GPU_COUNT, "Gt", "0"),
                      req(Labels.INSTANCE_CATEGORY, "In", "g", "p"),
                      req(Labels.CAPACITY_TYPE, "In", "on-demand", "spot"),
                      req(Labels.ARCH, "In", "amd64")),
                  types)
              .withTaints(List.of(taint(GPU)));
      if (r.nextBoolean()) {
        p = p.withLimits(Resources.parse(Map.of("cpu", "500", "memory", "2000Gi", GPU, "100")));
      }
      out.add(p);
    }
    if (r.nextBoolean()) {
      out.add(
          SchedulingNodePool.of(
                  "gpu-inference",
                  60,
                  Requirements.of(
                      req(Labels.INSTANCE_GPU_NAME, "In", "t4", "a10g", "l4"),
                      req(Labels.CAPACITY_TYPE, "In", "spot", "on-demand"),
                      req(Labels.INSTANCE_SIZE, "In", "xlarge", "2xlarge", "4xlarge", "12xlarge")),
                  types)
              .withTaints(List.of(taint(GPU))));
    }
    if (r.nextInt(3) == 0) {
      out.add(
          SchedulingNodePool.of(
                  "gpu-training",
                  90,
                  Requirements.of(
                      req(Labels.INSTANCE_GPU_NAME, "In", "a100", "h100", "a10g"),
                      req(Labels.CAPACITY_TYPE, "In", "on-demand"),
                      req(Labels.INSTANCE_GPU_COUNT, "Gt", "0")),
                  types)
              .withTaints(List.of(taint(GPU)))
              .withLimits(Resources.parse(Map.of(GPU, "64"))));
    }
    if (r.nextInt(3) == 0) {
      out.add(
          SchedulingNodePool.of(
                  "neuron",
                  pick(r, weightList(weights)),
                  Requirements.of(
                      req(Labels.INSTANCE_FAMILY, "In", "inf2", "trn1"),
                      req(Labels.CAPACITY_TYPE, "In", "on-demand")),
                  types)
              .withTaints(List.of(taint(NEURON))));
    }
    if (r.nextInt(3) == 0) {
      out.add(
          SchedulingNodePool.of(
                  "arm",
                  pick(r, weightList(weights)),
                  Requirements.of(
                      req(Labels.ARCH, "In", "arm64"),
                      req(Labels.INSTANCE_CATEGORY, "In", "c", "m"),
                      Requirement.of(Labels.ZONE, "In", zones(r))),
                  types)
              .withLabels(Map.of("team", "ml")));
    }
    return out;
  }

  private static List<Integer> weightList(int[] w) {
    List<Integer> l = new ArrayList<>();
    for (int x : w) {
      l.add(x);
    }
    return l;
  }

  /** A node of pool {@code p}: one of its cheap compatible types, with its DaemonSet pods bound. */
  private ExistingNode existingNode(
      String name, SchedulingNodePool p, List<DaemonSet> daemonSets, Random r, String tag) {
    Requirements req = p.effectiveRequirements();
    List<InstanceType> candidates = new ArrayList<>();
    for (InstanceType t : types) {
      if (t.capacity().get("cpu") < 2000
          || t.capacity().get("cpu") > 16000
          || t.capacity().get(GPU) > 4000) {
        continue;
      }
      for (Offering o : t.offerings()) {
        Map<String, String> labels = nodeLabels(t, o, p, name);
        if (o.available() && req.matchesLabels(labels)) {
          candidates.add(t);
          break;
        }
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    candidates.sort(java.util.Comparator.comparing(InstanceType::name));
    InstanceType t = pick(r, candidates);
    for (Offering o : t.offerings()) {
      Map<String, String> labels = nodeLabels(t, o, p, name);
      if (o.available() && req.matchesLabels(labels)) {
        List<Pod> bound = new ArrayList<>();
        for (DaemonSet d : daemonSets) {
          if (PodMatch.daemonSetFits(d, labels, p.taints())) {
            bound.add(PodMatch.daemonPod(d, name));
          }
        }
        int n = r.nextInt(3);
        // Bound pods only while they fit: the node's real state is never overcommitted.
        Map<String, Long> used = new java.util.HashMap<>();
        for (Pod d : bound) {
          PodMatch.requests(d.getSpec()).forEach((k, x) -> used.merge(k, x, Long::sum));
        }
        for (int i = 0; i < n; i++) {
          used.merge("cpu", 500L, Long::sum);
          used.merge("memory", 1024L * 1024 * 1024 * 1000, Long::sum);
          used.merge("pods", 1000L, Long::sum);
          if (PlanChecks.overflow(used, t.allocatable().milli()) != null) {
            break;
          }
          bound.add(
              new PodBuilder(
                      pod(tag + "-bound-" + name + "-" + i, "500m", "1Gi", Map.of(), tag + "-old"))
                  .editSpec()
                  .withNodeName(name)
                  .withTolerations(p.taints().stream().map(WorkloadGenerator::tolerate).toList())
                  .endSpec()
                  .build());
        }
        return new ExistingNode(name, labels, p.taints(), t.allocatable(), bound, false);
      }
    }
    return null;
  }

  static Map<String, String> nodeLabels(
      InstanceType t, Offering o, SchedulingNodePool p, String name) {
    Map<String, String> labels = new LinkedHashMap<>(t.labels());
    labels.putAll(p.labels());
    labels.put(Labels.ZONE, o.zone());
    labels.put(Labels.REGION, "us-east-1");
    labels.put(Labels.CAPACITY_TYPE, o.capacityType());
    labels.put(Labels.NODEPOOL, p.name());
    labels.put(Labels.HOSTNAME, name);
    return labels;
  }

  private static Toleration tolerate(Taint t) {
    return new TolerationBuilder()
        .withKey(t.getKey())
        .withOperator("Exists")
        .withEffect(t.getEffect())
        .build();
  }

  private static DaemonSet daemonSet(String name, Random r) {
    var spec =
        new DaemonSetBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .endMetadata()
            .withNewSpec()
            .withNewSelector()
            .addToMatchLabels("ds", name)
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .addToLabels("ds", name)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("d")
            .withImage("registry.k8s.io/pause:3.10")
            .withNewResources()
            .addToRequests("cpu", new Quantity(pick(r, List.of("100m", "250m", "500m"))))
            .addToRequests("memory", new Quantity(pick(r, List.of("128Mi", "256Mi", "1Gi"))))
            .endResources()
            .endContainer();
    if (r.nextBoolean()) {
      spec = spec.addToTolerations(new TolerationBuilder().withOperator("Exists").build());
    }
    if (r.nextInt(4) == 0) {
      spec = spec.addToNodeSelector(Labels.ARCH, "amd64");
    }
    return spec.endSpec().endTemplate().endSpec().build();
  }

  private static Pod pod(
      String name, String cpu, String mem, Map<String, String> extra, String app) {
    var c = new ContainerBuilder().withName("main").withImage("registry.k8s.io/pause:3.10");
    Map<String, Quantity> req = new LinkedHashMap<>();
    req.put("cpu", new Quantity(cpu));
    req.put("memory", new Quantity(mem));
    Map<String, Quantity> lim = new LinkedHashMap<>();
    extra.forEach(
        (k, v) -> {
          req.put(k, new Quantity(v));
          lim.put(k, new Quantity(v));
        });
    c.withNewResources().withRequests(req).withLimits(lim.isEmpty() ? null : lim).endResources();
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NAMESPACE)
        .addToLabels("app", app)
        .endMetadata()
        .withNewSpec()
        .withContainers(c.build())
        .endSpec()
        .build();
  }

  private static NodeSelectorRequirement expr(String key, String op, String... values) {
    return new NodeSelectorRequirementBuilder()
        .withKey(key)
        .withOperator(op)
        .withValues(values)
        .build();
  }

  /** A Deployment-like group: replicas sharing one label and one set of constraints. */
  private List<Pod> group(String tag, int g, int groups, Random r) {
    String app = tag + "-app" + g;
    int kind = r.nextInt(10);
    String cpu;
    String mem;
    Map<String, String> extra = new LinkedHashMap<>();
    List<Toleration> tolerations = new ArrayList<>();
    Map<String, String> selector = new LinkedHashMap<>();
    List<NodeSelectorTerm> required = new ArrayList<>();
    if (kind < 5) {
      cpu = pick(r, List.of("250m", "500m", "1", "2", "3", "4"));
      mem = pick(r, List.of("512Mi", "1Gi", "2Gi", "4Gi", "8Gi"));
      switch (r.nextInt(8)) {
        case 0 -> selector.put(Labels.ARCH, pick(r, List.of("amd64", "arm64")));
        case 1 -> selector.put(Labels.CAPACITY_TYPE, pick(r, List.of("spot", "on-demand")));
        case 2 -> selector.put(Labels.ZONE, pick(r, ZONES));
        case 3 ->
            required.add(
                new NodeSelectorTermBuilder()
                    .withMatchExpressions(
                        expr(Labels.INSTANCE_CPU, "Gt", "3"), expr(Labels.INSTANCE_CPU, "Lt", "17"))
                    .build());
        case 4 -> {
          required.add(
              new NodeSelectorTermBuilder()
                  .withMatchExpressions(expr(Labels.INSTANCE_FAMILY, "In", "m6i", "m7i"))
                  .build());
          required.add(
              new NodeSelectorTermBuilder()
                  .withMatchExpressions(
                      expr(Labels.INSTANCE_FAMILY, "In", "c6g", "c7g"),
                      expr(Labels.ZONE, "In", pick(r, ZONES)))
                  .build());
        }
        case 5 -> selector.put("team", "ml");
        default -> {}
      }
    } else if (kind < 8) {
      int gpus = pick(r, List.of(1, 1, 1, 2, 4));
      cpu = pick(r, List.of("2", "4", "8"));
      mem = pick(r, List.of("8Gi", "16Gi", "30Gi"));
      extra.put(GPU, Integer.toString(gpus));
      tolerations.add(
          new TolerationBuilder()
              .withKey(GPU)
              .withOperator("Exists")
              .withEffect("NoSchedule")
              .build());
      switch (r.nextInt(5)) {
        case 0 -> selector.put(Labels.INSTANCE_GPU_NAME, pick(r, List.of("a10g", "t4", "l4")));
        case 1 -> {
          required.add(
              new NodeSelectorTermBuilder()
                  .withMatchExpressions(expr(Labels.INSTANCE_GPU_NAME, "In", "a10g"))
                  .build());
          required.add(
              new NodeSelectorTermBuilder()
                  .withMatchExpressions(
                      expr(Labels.INSTANCE_GPU_NAME, "In", "l4"),
                      expr(Labels.CAPACITY_TYPE, "In", "on-demand"))
                  .build());
        }
        case 2 -> {
          // Training: 8 GPUs with EFA on the training pool.
          extra.put(GPU, "8");
          extra.put(EFA, "1");
          cpu = "32";
          mem = "256Gi";
        }
        default -> {}
      }
    } else if (kind < 9) {
      cpu = pick(r, List.of("1", "2", "4"));
      mem = pick(r, List.of("4Gi", "8Gi"));
      extra.put(NEURON, "1");
      tolerations.add(
          new TolerationBuilder()
              .withKey(NEURON)
              .withOperator("Exists")
              .withEffect("NoSchedule")
              .build());
    } else {
      cpu = "500m";
      mem = "1Gi";
      tolerations.add(new TolerationBuilder().withOperator("Exists").build());
    }
    int replicas = 1 + r.nextInt(5);
    PodBuilder b = new PodBuilder(pod("x", cpu, mem, extra, app));
    b.editSpec().withNodeSelector(selector.isEmpty() ? null : selector).endSpec();
    b.editSpec().withTolerations(tolerations).endSpec();
    if (!required.isEmpty()) {
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewNodeAffinity()
          .withNewRequiredDuringSchedulingIgnoredDuringExecution()
          .withNodeSelectorTerms(required)
          .endRequiredDuringSchedulingIgnoredDuringExecution()
          .endNodeAffinity()
          .endAffinity()
          .endSpec();
    }
    if (r.nextInt(4) == 0) {
      String family = pick(r, List.of("m6i", "c7i", "g5", "x9zz", "m7g", "r6i"));
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewNodeAffinity()
          .addToPreferredDuringSchedulingIgnoredDuringExecution(
              new PreferredSchedulingTermBuilder()
                  .withWeight(1 + r.nextInt(100))
                  .withNewPreference()
                  .withMatchExpressions(expr(Labels.INSTANCE_FAMILY, "In", family))
                  .endPreference()
                  .build())
          .endNodeAffinity()
          .endAffinity()
          .endSpec();
    }
    switch (r.nextInt(9)) {
      case 0, 1 -> {
        String key = r.nextBoolean() ? Labels.ZONE : Labels.HOSTNAME;
        b.editSpec()
            .addToTopologySpreadConstraints(
                new TopologySpreadConstraintBuilder()
                    .withTopologyKey(key)
                    .withMaxSkew(1 + r.nextInt(2))
                    .withWhenUnsatisfiable(r.nextInt(3) == 0 ? "ScheduleAnyway" : "DoNotSchedule")
                    .withLabelSelector(
                        new LabelSelectorBuilder().addToMatchLabels("app", app).build())
                    .build())
            .endSpec();
      }
      case 2 ->
          b.editSpec()
              .editOrNewAffinity()
              .editOrNewPodAntiAffinity()
              .addToRequiredDuringSchedulingIgnoredDuringExecution(
                  new PodAffinityTermBuilder()
                      .withTopologyKey(r.nextInt(3) == 0 ? Labels.ZONE : Labels.HOSTNAME)
                      .withLabelSelector(
                          new LabelSelectorBuilder().addToMatchLabels("app", app).build())
                      .build())
              .endPodAntiAffinity()
              .endAffinity()
              .endSpec();
      case 3 -> {
        // Co-locate with an earlier group (in the same zone or on the same node).
        String other = tag + "-app" + r.nextInt(Math.max(1, g));
        b.editSpec()
            .editOrNewAffinity()
            .editOrNewPodAffinity()
            .addToRequiredDuringSchedulingIgnoredDuringExecution(
                new PodAffinityTermBuilder()
                    .withTopologyKey(r.nextBoolean() ? Labels.ZONE : Labels.HOSTNAME)
                    .withLabelSelector(
                        new LabelSelectorBuilder().addToMatchLabels("app", other).build())
                    .build())
            .endPodAffinity()
            .endAffinity()
            .endSpec();
      }
      case 4 ->
          b.editSpec()
              .editOrNewAffinity()
              .editOrNewPodAntiAffinity()
              .addToPreferredDuringSchedulingIgnoredDuringExecution(
                  new WeightedPodAffinityTermBuilder()
                      .withWeight(50)
                      .withNewPodAffinityTerm()
                      .withTopologyKey(Labels.HOSTNAME)
                      .withLabelSelector(
                          new LabelSelectorBuilder().addToMatchLabels("app", app).build())
                      .endPodAffinityTerm()
                      .build())
              .endPodAntiAffinity()
              .endAffinity()
              .endSpec();
      case 5 ->
          b.editSpec()
              .editFirstContainer()
              .withPorts(
                  new ContainerPortBuilder().withContainerPort(8080).withHostPort(8080).build())
              .endContainer()
              .endSpec();
      default -> {}
    }
    Pod base = b.build();
    List<Pod> out = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      out.add(new PodBuilder(base).editMetadata().withName(app + "-" + i).endMetadata().build());
    }
    return out;
  }
}
