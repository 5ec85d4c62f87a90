package dev.karpenter.testing;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.Overhead;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, realistic us-east-1 catalog (CPU, GPU and Neuron types with spot and on-demand offerings
 * in three zones) and builders for pods, taints, DaemonSets and scheduling pools, for unit tests of
 * the scheduler and the controllers.
 */
public final class Fixtures {
  public static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");

  private Fixtures() {}

  public static InstanceType type(
      String name, int cpu, int memGi, int maxPods, double onDemand, double spot, String... extra) {
    String family = name.substring(0, name.indexOf('.'));
    String size = name.substring(name.indexOf('.') + 1);
    Map<String, String> labels = new HashMap<>();
    labels.put("node.kubernetes.io/instance-type", name);
    labels.put("kubernetes.io/os", "linux");
    labels.put("kubernetes.io/arch", family.matches(".*\\dg.*") ? "arm64" : "amd64");
    labels.put("karpenter.k8s.aws/instance-family", family);
    labels.put("karpenter.k8s.aws/instance-category", family.replaceAll("[0-9].*", ""));
    labels.put(
        "karpenter.k8s.aws/instance-generation", family.replaceAll("^[a-z]+([0-9]+).*", "$1"));
    labels.put("karpenter.k8s.aws/instance-size", size);
    labels.put("karpenter.k8s.aws/instance-cpu", Integer.toString(cpu));
    labels.put("karpenter.k8s.aws/instance-memory", Integer.toString(memGi * 1024));
    Map<String, Long> cap = new LinkedHashMap<>();
    cap.put("cpu", cpu * 1000L);
    cap.put("memory", memGi * (1L << 30) * 1000);
    cap.put("pods", maxPods * 1000L);
    cap.put("ephemeral-storage", 20 * (1L << 30) * 1000);
    for (int i = 0; i + 1 < extra.length; i += 2) {
      String k = extra[i];
      String v = extra[i + 1];
      if (k.contains("/") && !k.startsWith("karpenter.k8s.aws/")) {
        cap.put(k, Long.parseLong(v) * 1000);
      } else {
        labels.put(k, v);
      }
    }
    List<Offering> offerings = new ArrayList<>();
    for (String z : ZONES) {
      offerings.add(new Offering(z, "on-demand", onDemand, true));
      if (spot > 0) {
        offerings.add(new Offering(z, "spot", spot, true));
      }
    }
    Overhead overhead =
        new Overhead(
            Resources.parse(Map.of("cpu", "100m", "memory", "512Mi")),
            Resources.NONE,
            Resources.NONE);
    return new InstanceType(name, labels, new Resources(cap), overhead, offerings);
  }

  public static InstanceType gpu(
      String name, int cpu, int memGi, int gpus, String gpuName, double od, double spot) {
    return type(
        name,
        cpu,
        memGi,
        58,
        od,
        spot,
        "nvidia.com/gpu",
        Integer.toString(gpus),
        "karpenter.k8s.aws/instance-gpu-name",
        gpuName,
        "karpenter.k8s.aws/instance-gpu-count",
        Integer.toString(gpus),
        "karpenter.k8s.aws/instance-gpu-manufacturer",
        "nvidia");
  }

  public static InstanceType neuron(
      String name, int cpu, int memGi, int devices, String accel, double od) {
    return type(
        name,
        cpu,
        memGi,
        58,
        od,
        0,
        "aws.amazon.com/neuron",
        Integer.toString(devices),
        "aws.amazon.com/neuroncore",
        Integer.toString(devices * 2),
        "karpenter.k8s.aws/instance-accelerator-name",
        accel,
        "karpenter.k8s.aws/instance-accelerator-count",
        Integer.toString(devices),
        "karpenter.k8s.aws/instance-accelerator-manufacturer",
        "aws");
  }

  public static final List<InstanceType> CPU =
      List.of(
          type("m5.large", 2, 8, 29, 0.096, 0.035),
          type("m5.xlarge", 4, 16, 58, 0.192, 0.070),
          type("m5.2xlarge", 8, 32, 58, 0.384, 0.140),
          type("m5.4xlarge", 16, 64, 234, 0.768, 0.280),
          type("m5.8xlarge", 32, 128, 234, 1.536, 0.560),
          type("c5.xlarge", 4, 8, 58, 0.170, 0.065),
          type("c5.2xlarge", 8, 16, 58, 0.340, 0.130),
          type("m6i.xlarge", 4, 16, 58, 0.192, 0.075),
          type("m6g.xlarge", 4, 16, 58, 0.154, 0.052),
          type("c6g.xlarge", 4, 8, 58, 0.136, 0.048),
          type("r6g.xlarge", 4, 32, 58, 0.2016, 0.060),
          type("m7g.xlarge", 4, 16, 58, 0.1632, 0.058));

  public static final List<InstanceType> GPU =
      List.of(
          gpu("g4dn.xlarge", 4, 16, 1, "t4", 0.526, 0.158),
          gpu("g4dn.12xlarge", 48, 192, 4, "t4", 3.912, 1.20),
          gpu("g5.xlarge", 4, 16, 1, "a10g", 1.006, 0.302),
          gpu("g5.2xlarge", 8, 32, 1, "a10g", 1.212, 0.364),
          gpu("g5.4xlarge", 16, 64, 1, "a10g", 1.624, 0.487),
          gpu("g5.12xlarge", 48, 192, 4, "a10g", 5.672, 1.702),
          gpu("g5.48xlarge", 192, 768, 8, "a10g", 16.288, 4.9),
          gpu("g6.xlarge", 4, 16, 1, "l4", 0.805, 0.25),
          gpu("g6.12xlarge", 48, 192, 4, "l4", 4.602, 1.4),
          gpu("p3.8xlarge", 32, 244, 4, "v100", 12.24, 3.67),
          gpu("p4d.24xlarge", 96, 1152, 8, "a100", 32.77, 9.8),
          gpu("p5.48xlarge", 192, 2048, 8, "h100", 98.32, 29.5));

  public static final List<InstanceType> NEURON =
      List.of(
          neuron("inf2.xlarge", 4, 16, 1, "inferentia2", 0.758),
          neuron("inf2.8xlarge", 32, 128, 1, "inferentia2", 1.968),
          neuron("inf2.24xlarge", 96, 384, 6, "inferentia2", 6.491),
          neuron("inf2.48xlarge", 192, 768, 12, "inferentia2", 12.981),
          neuron("trn1.2xlarge", 8, 32, 1, "trainium", 1.3438),
          neuron("trn1.32xlarge", 128, 512, 16, "trainium", 21.50));

  public static List<InstanceType> all() {
    List<InstanceType> l = new ArrayList<>(CPU);
    l.addAll(GPU);
    l.addAll(NEURON);
    return l;
  }

  public static Taint taint(String key, String value, String effect) {
    return new TaintBuilder().withKey(key).withValue(value).withEffect(effect).build();
  }

  public static Toleration tolerate(String key, String effect) {
    return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build();
  }

  public static Requirement req(String key, String op, String... values) {
    return Requirement.of(key, op, List.of(values));
  }

  public static SchedulingNodePool pool(String name, int weight, Requirement... reqs) {
    return SchedulingNodePool.of(name, weight, Requirements.of(reqs), all());
  }

  public static SchedulingInput input(List<Pod> pods, SchedulingNodePool... pools) {
    return SchedulingInput.of(pods, List.of(pools));
  }

  public static SchedulingResult solve(List<Pod> pods, SchedulingNodePool... pools) {
    return new Scheduler().solve(input(pods, pools));
  }

  /** Fluent pod builder. */
  public static final class P {
    private final PodBuilder b;
    private final Map<String, Quantity> requests = new HashMap<>();
    private final List<Integer> hostPorts = new ArrayList<>();

    public P(String name) {
      b = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata();
      b.withNewSpec().endSpec();
    }

    public P ns(String ns) {
      b.editMetadata().withNamespace(ns).endMetadata();
      return this;
    }

    public P cpu(String q) {
      requests.put("cpu", new Quantity(q));
      return this;
    }

    public P mem(String q) {
      requests.put("memory", new Quantity(q));
      return this;
    }

    public P res(String name, String q) {
      requests.put(name, new Quantity(q));
      return this;
    }

    public P label(String k, String v) {
      b.editMetadata().addToLabels(k, v).endMetadata();
      return this;
    }

    public P selector(String k, String v) {
      b.editSpec().addToNodeSelector(k, v).endSpec();
      return this;
    }

    public P tolerate(String key) {
      b.editSpec().addToTolerations(Fixtures.tolerate(key, "NoSchedule")).endSpec();
      return this;
    }

    public P tolerateAll() {
      b.editSpec()
          .addToTolerations(new TolerationBuilder().withOperator("Exists").build())
          .endSpec();
      return this;
    }

    public P hostPort(int port) {
      hostPorts.add(port);
      return this;
    }

    public P require(String key, String op, String... values) {
      return requireTerms(List.of(new Requirement[] {req(key, op, values)}));
    }

    public P requireTerms(List<Requirement> term) {
      var t = new NodeSelectorTermBuilder();
      for (Requirement r : term) {
        t.addToMatchExpressions(
            new NodeSelectorRequirementBuilder()
                .withKey(r.key())
                .withOperator(r.operator())
                .withValues(new ArrayList<>(r.values()))
                .build());
      }
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewNodeAffinity()
          .editOrNewRequiredDuringSchedulingIgnoredDuringExecution()
          .addToNodeSelectorTerms(t.build())
          .endRequiredDuringSchedulingIgnoredDuringExecution()
          .endNodeAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P requireOp(String key, String op, String... values) {
      var t =
          new NodeSelectorTermBuilder()
              .addToMatchExpressions(
                  new NodeSelectorRequirementBuilder()
                      .withKey(key)
                      .withOperator(op)
                      .withValues(values)
                      .build());
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewNodeAffinity()
          .editOrNewRequiredDuringSchedulingIgnoredDuringExecution()
          .addToNodeSelectorTerms(t.build())
          .endRequiredDuringSchedulingIgnoredDuringExecution()
          .endNodeAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P prefer(int weight, String key, String op, String... values) {
      var term =
          new PreferredSchedulingTermBuilder()
              .withWeight(weight)
              .withNewPreference()
              .addToMatchExpressions(
                  new NodeSelectorRequirementBuilder()
                      .withKey(key)
                      .withOperator(op)
                      .withValues(values)
                      .build())
              .endPreference()
              .build();
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewNodeAffinity()
          .addToPreferredDuringSchedulingIgnoredDuringExecution(term)
          .endNodeAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P spread(String key, int maxSkew, String when, String labelKey, String labelValue) {
      return spread(key, maxSkew, when, labelKey, labelValue, null);
    }

    public P spread(
        String key,
        int maxSkew,
        String when,
        String labelKey,
        String labelValue,
        Integer minDomains) {
      b.editSpec()
          .addToTopologySpreadConstraints(
              new TopologySpreadConstraintBuilder()
                  .withTopologyKey(key)
                  .withMaxSkew(maxSkew)
                  .withWhenUnsatisfiable(when)
                  .withMinDomains(minDomains)
                  .withLabelSelector(
                      new LabelSelectorBuilder().addToMatchLabels(labelKey, labelValue).build())
                  .build())
          .endSpec();
      return this;
    }

    private static PodAffinityTerm term(String key, String labelKey, String labelValue) {
      return new PodAffinityTermBuilder()
          .withTopologyKey(key)
          .withLabelSelector(
              new LabelSelectorBuilder().addToMatchLabels(labelKey, labelValue).build())
          .build();
    }

    public P affinity(String key, String labelKey, String labelValue) {
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewPodAffinity()
          .addToRequiredDuringSchedulingIgnoredDuringExecution(term(key, labelKey, labelValue))
          .endPodAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P antiAffinity(String key, String labelKey, String labelValue) {
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewPodAntiAffinity()
          .addToRequiredDuringSchedulingIgnoredDuringExecution(term(key, labelKey, labelValue))
          .endPodAntiAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P preferAntiAffinity(int weight, String key, String labelKey, String labelValue) {
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewPodAntiAffinity()
          .addToPreferredDuringSchedulingIgnoredDuringExecution(
              new WeightedPodAffinityTermBuilder()
                  .withWeight(weight)
                  .withPodAffinityTerm(term(key, labelKey, labelValue))
                  .build())
          .endPodAntiAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P preferAffinity(int weight, String key, String labelKey, String labelValue) {
      b.editSpec()
          .editOrNewAffinity()
          .editOrNewPodAffinity()
          .addToPreferredDuringSchedulingIgnoredDuringExecution(
              new WeightedPodAffinityTermBuilder()
                  .withWeight(weight)
                  .withPodAffinityTerm(term(key, labelKey, labelValue))
                  .build())
          .endPodAffinity()
          .endAffinity()
          .endSpec();
      return this;
    }

    public P nodeName(String n) {
      b.editSpec().withNodeName(n).endSpec();
      return this;
    }

    public Pod build() {
      var c = new ContainerBuilder().withName("main").withImage("busybox");
      c.withNewResources().withRequests(requests).endResources();
      for (int port : hostPorts) {
        c.addToPorts(new ContainerPortBuilder().withContainerPort(port).withHostPort(port).build());
      }
      return b.editSpec().withContainers(c.build()).endSpec().build();
    }

    public List<Pod> times(int n) {
      List<Pod> out = new ArrayList<>();
      Pod base = build();
      for (int i = 0; i < n; i++) {
        out.add(
            new PodBuilder(base)
                .editMetadata()
                .withName(base.getMetadata().getName() + "-" + i)
                .endMetadata()
                .build());
      }
      return out;
    }
  }

  public static P pod(String name) {
    return new P(name);
  }

  public static DaemonSet daemonSet(
      String name, String cpu, String mem, Toleration... tolerations) {
    return new DaemonSetBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("kube-system")
        .endMetadata()
        .withNewSpec()
        .withNewTemplate()
        .withNewSpec()
        .addNewContainer()
        .withName("d")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity(mem))
        .endResources()
        .endContainer()
        .withTolerations(tolerations)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}
