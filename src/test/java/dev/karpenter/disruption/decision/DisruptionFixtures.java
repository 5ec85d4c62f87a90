package dev.karpenter.disruption.decision;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Real us-east-1 catalog, NodePools from YAML, and nodes/pods builders. */
final class DisruptionFixtures {
  static final Catalog CATALOG = Catalog.load("us-east-1");
  static final List<InstanceType> TYPES = CATALOG.instanceTypes(NodeClassSettings.DEFAULT);
  static final String ZONE = "us-east-1a";
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private DisruptionFixtures() {}

  static NodePool nodePool(String yaml) {
    try {
      return YAML.readValue(yaml, NodePool.class);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static DisruptionPool pool(String yaml) {
    NodePool np = nodePool(yaml);
    var t = np.getSpec().template().spec();
    SchedulingNodePool s =
        new SchedulingNodePool(
            np.getMetadata().getName(),
            np.getSpec().weight() == null ? 0 : np.getSpec().weight(),
            ApiConversions.requirements(t.requirementsOrEmpty()),
            np.getSpec().template().metadataOrEmpty().labelsOrEmpty(),
            ApiConversions.taints(t.taintsOrEmpty()),
            List.of(),
            Resources.NONE,
            Resources.NONE,
            TYPES);
    return new DisruptionPool(np, s);
  }

  /** A NodePool named {@code name} with the given disruption block (YAML, indented 2). */
  static DisruptionPool pool(String name, String disruption, String extraRequirements) {
    return pool(
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              requirements:
                - {key: kubernetes.io/arch, operator: In, values: [amd64]}
                - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand, spot]}
                - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r, g]}
        %s
          disruption:
        %s
        """
            .formatted(name, extraRequirements.indent(8).stripTrailing(), disruption.indent(4)));
  }

  static InstanceType type(String name) {
    return CATALOG.get(name).orElseThrow();
  }

  static double price(String type, String capacityType) {
    for (Offering o : type(type).offerings()) {
      if (o.zone().equals(ZONE) && o.capacityType().equals(capacityType)) {
        return o.price();
      }
    }
    throw new IllegalArgumentException(type + " has no " + capacityType + " offering in " + ZONE);
  }

  static Pod pod(String name, String cpu, String memory) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .withLabels(Map.of("app", name.replaceAll("-[0-9]+$", "")))
        .withCreationTimestamp("2026-12-01T00:00:00Z")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("c")
        .withImage("busybox")
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity(cpu), "memory", new Quantity(memory)))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .endStatus()
        .build();
  }

  static Pod annotated(Pod p, String key, String value) {
    return new PodBuilder(p).editMetadata().addToAnnotations(key, value).endMetadata().build();
  }

  static Pod ownedBy(Pod p, String kind, String name) {
    return new PodBuilder(p)
        .editMetadata()
        .addNewOwnerReference()
        .withApiVersion(kind.equals("Job") ? "batch/v1" : "apps/v1")
        .withKind(kind)
        .withName(name)
        .withUid("uid-" + name)
        .withController(true)
        .endOwnerReference()
        .endMetadata()
        .build();
  }

  static PodDisruptionBudget pdb(String name, String app, int minAvailable, int allowed) {
    return new PodDisruptionBudgetBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withNewMinAvailable(minAvailable)
        .withNewSelector()
        .withMatchLabels(Map.of("app", app))
        .endSelector()
        .endSpec()
        .withNewStatus()
        .withDisruptionsAllowed(allowed)
        .endStatus()
        .build();
  }

  /** Builder for a Karpenter-managed node. */
  static final class N {
    String name;
    DisruptionPool pool;
    String type = "m5.xlarge";
    String capacityType = Labels.ON_DEMAND;
    List<Pod> pods = new ArrayList<>();
    Map<String, String> annotations = new HashMap<>();
    Instant createdAt = Instant.parse("2026-12-01T00:00:00Z");
    Instant lastPodEvent = Instant.parse("2026-12-01T00:00:00Z");
    boolean initialized = true;
    boolean deleting;
    boolean nominated;
    String hash;
    String expireAfter = "720h";
    String tgp;
    String providerDrift;
    Map<String, String> extraLabels = new HashMap<>();

    N(String name, DisruptionPool pool) {
      this.name = name;
      this.pool = pool;
      this.hash = NodePoolHash.of(pool.nodePool());
    }

    N type(String t, String ct) {
      type = t;
      capacityType = ct;
      return this;
    }

    N pods(Pod... p) {
      for (Pod x : p) {
        pods.add(new PodBuilder(x).editSpec().withNodeName(name).endSpec().build());
      }
      return this;
    }

    DisruptionNode build() {
      InstanceType t = DisruptionFixtures.type(type);
      Map<String, String> labels = new HashMap<>(t.labels());
      labels.put(Labels.CAPACITY_TYPE, capacityType);
      labels.put(Labels.ZONE, ZONE);
      labels.put(Labels.NODEPOOL, pool.name());
      labels.put(Labels.HOSTNAME, name);
      labels.putAll(pool.scheduling().labels());
      labels.putAll(extraLabels);
      return new DisruptionNode(
          name,
          name + "-claim",
          pool.name(),
          labels,
          annotations,
          List.of(),
          t.allocatable(),
          t.capacity(),
          pods,
          type,
          capacityType,
          ZONE,
          price(type, capacityType),
          createdAt,
          lastPodEvent,
          initialized,
          deleting,
          nominated,
          hash,
          NodePoolHash.VERSION,
          expireAfter,
          tgp,
          providerDrift);
    }
  }

  static DisruptionInput input(
      List<DisruptionPool> pools, List<PodDisruptionBudget> pdbs, DisruptionNode... nodes) {
    return new DisruptionInput(
        List.of(nodes), List.of(), pdbs, List.of(), pools, java.util.Set.of());
  }
}
