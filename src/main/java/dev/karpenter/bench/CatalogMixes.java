package dev.karpenter.bench;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Cost benchmark workloads on the real catalog: a CPU service mix and a GPU/CPU ML mix. */
public final class CatalogMixes {
  private CatalogMixes() {}

  private static final String[] CPU = {"250m", "500m", "1", "2", "4"};
  private static final String[] MEM = {"512Mi", "1Gi", "2Gi", "4Gi", "8Gi"};

  static SchedulingNodePool cpuPool(Catalog catalog) {
    return SchedulingNodePool.of(
        "general",
        10,
        Requirements.of(
            Requirement.of(Labels.CAPACITY_TYPE, "In", List.of("spot", "on-demand")),
            Requirement.of("karpenter.k8s.aws/instance-category", "In", List.of("c", "m", "r")),
            Requirement.of("karpenter.k8s.aws/instance-generation", "Gt", List.of("4")),
            Requirement.of(Labels.ARCH, "In", List.of("amd64"))),
        catalog.instanceTypes());
  }

  /** {@code n} CPU pods with random requests (seed 7) for one general-purpose NodePool. */
  public static SchedulingInput cpu(Catalog catalog, int n) {
    Random r = new Random(7);
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(pod("svc-" + i, CPU[r.nextInt(CPU.length)], MEM[r.nextInt(MEM.length)], 0, false));
    }
    return SchedulingInput.of(pods, List.of(cpuPool(catalog)));
  }

  /**
   * {@code n} pods: half CPU services, and GPU pods that are 1-GPU inference (4 cpu, 16Gi), 1-GPU
   * small inference (2 cpu, 8Gi) and 4-GPU training (32 cpu, 128Gi) in a 3:3:1 ratio, for a general
   * pool and an on-demand GPU pool tainted nvidia.com/gpu.
   */
  public static SchedulingInput gpu(Catalog catalog, int n) {
    Random r = new Random(11);
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (i % 2 == 0) {
        pods.add(pod("svc-" + i, CPU[r.nextInt(CPU.length)], MEM[r.nextInt(MEM.length)], 0, false));
        continue;
      }
      int k = r.nextInt(7);
      if (k < 3) {
        pods.add(pod("infer-" + i, "4", "16Gi", 1, true));
      } else if (k < 6) {
        pods.add(pod("small-" + i, "2", "8Gi", 1, true));
      } else {
        pods.add(pod("train-" + i, "32", "128Gi", 4, true));
      }
    }
    SchedulingNodePool gpuPool =
        SchedulingNodePool.of(
                "gpu",
                50,
                Requirements.of(
                    Requirement.of(Labels.CAPACITY_TYPE, "In", List.of("on-demand")),
                    Requirement.of(
                        "karpenter.k8s.aws/instance-gpu-manufacturer", "In", List.of("nvidia"))),
                catalog.instanceTypes())
            .withTaints(
                List.of(
                    new TaintBuilder()
                        .withKey("nvidia.com/gpu")
                        .withValue("true")
                        .withEffect("NoSchedule")
                        .build()));
    return SchedulingInput.of(pods, List.of(gpuPool, cpuPool(catalog)));
  }

  private static Pod pod(String name, String cpu, String mem, int gpus, boolean tolerate) {
    Map<String, Quantity> req = new LinkedHashMap<>();
    req.put("cpu", new Quantity(cpu));
    req.put("memory", new Quantity(mem));
    if (gpus > 0) {
      req.put("nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
    }
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .addToContainers(
                new ContainerBuilder()
                    .withName("c")
                    .withImage("app")
                    .withNewResources()
                    .withRequests(req)
                    .endResources()
                    .build())
            .endSpec();
    if (tolerate) {
      b.editSpec()
          .addToTolerations(
              new TolerationBuilder()
                  .withKey("nvidia.com/gpu")
                  .withOperator("Exists")
                  .withEffect("NoSchedule")
                  .build())
          .endSpec();
    }
    return b.build();
  }
}
