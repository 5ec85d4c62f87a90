package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.simulate.ManifestReader;
import dev.karpenter.state.ClusterSnapshot;
import dev.karpenter.state.ClusterState;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same manifests give the same plan offline ({@code simulate}: files -> ClusterSnapshot) and in
 * the cluster (the objects applied to a real API server, read by ClusterState's informers, instance
 * types from the operator's simulated cloud provider -> ClusterSnapshot), including the
 * EC2NodeClass kubelet, root-volume and AMI-family effects on allocatable.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class SnapshotIT {
  static final String NS = "snapshot-it";

  /** Kubelet, root volume and AMI family all differ from the AL2023 defaults. */
  static final String TUNED =
      """
      apiVersion: karpenter.k8s.aws/v1
      kind: EC2NodeClass
      metadata:
        name: snapshot-tuned
      spec:
        amiSelectorTerms:
          - alias: bottlerocket@latest
        role: KarpenterNodeRole-my-cluster
        subnetSelectorTerms:
          - tags: {karpenter.sh/discovery: my-cluster}
        securityGroupSelectorTerms:
          - tags: {karpenter.sh/discovery: my-cluster}
        kubelet:
          maxPods: 20
          kubeReserved: {cpu: 300m, memory: 1Gi}
          systemReserved: {cpu: 200m, memory: 500Mi}
          evictionHard: {memory.available: 5%, nodefs.available: 15%}
        blockDeviceMappings:
          - deviceName: /dev/xvdb
            rootVolume: true
            ebs: {volumeSize: 30Gi, volumeType: gp3}
      ---
      apiVersion: karpenter.sh/v1
      kind: NodePool
      metadata:
        name: snapshot-tuned
      spec:
        template:
          spec:
            requirements:
              - key: node.kubernetes.io/instance-type
                operator: In
                values: ['m5.large', 'm5.xlarge', 'm5.2xlarge']
              - key: karpenter.sh/capacity-type
                operator: In
                values: ['on-demand']
            nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: snapshot-tuned}
        limits:
          cpu: '40'
      ---
      apiVersion: karpenter.sh/v1
      kind: NodePool
      metadata:
        name: snapshot-gpu
      spec:
        template:
          spec:
            requirements:
              - key: node.kubernetes.io/instance-type
                operator: In
                values: ['g5.xlarge', 'g5.2xlarge', 'g5.12xlarge']
              - key: karpenter.sh/capacity-type
                operator: In
                values: ['on-demand']
            taints:
              - {key: nvidia.com/gpu, value: 'true', effect: NoSchedule}
            nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: gpu-optimized}
        limits:
          nvidia.com/gpu: '3'
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: snapshot-it
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: snapshot-it}
      spec:
        replicas: 45
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            nodeSelector: {karpenter.sh/nodepool: snapshot-tuned}
            containers:
              - name: app
                image: registry.k8s.io/pause:3.10
                resources: {requests: {cpu: 250m, memory: 700Mi}}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: train, namespace: snapshot-it}
      spec:
        replicas: 5
        selector: {matchLabels: {app: train}}
        template:
          metadata: {labels: {app: train}}
          spec:
            nodeSelector: {karpenter.sh/nodepool: snapshot-gpu}
            tolerations:
              - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
            containers:
              - name: app
                image: registry.k8s.io/pause:3.10
                resources:
                  requests: {cpu: '2', memory: 8Gi, nvidia.com/gpu: '1'}
                  limits: {nvidia.com/gpu: '1'}
      """;

  static final Set<String> POOLS = Set.of("snapshot-tuned", "snapshot-gpu");

  @Test
  void simulateAndTheOperatorPlanTheSameManifestsAlike(KubernetesClient client, @TempDir Path dir)
      throws Exception {
    E2E.installCrds(client);
    Path tuned = dir.resolve("tuned.yaml");
    Files.writeString(tuned, TUNED);
    List<Path> files =
        List.of(Path.of("docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml"), tuned);

    ClusterSnapshot offline = new ManifestReader(E2E.CATALOG).snapshot(files);

    E2E.applyYaml(client, TUNED);
    OperatorConfig config = E2E.config("snapshot-it", "snapshot-it");
    try (ClusterState state = new ClusterState(client).start();
        SimulatedCloudProvider cloud = E2E.cloud(client, config)) {
      // No operator runs: the kube-scheduler marks all 50 pods Unschedulable and they stay so.
      E2E.await(
          "50 provisionable pods in " + NS,
          Duration.ofMinutes(3),
          () ->
              state.provisionablePods().stream()
                      .filter(p -> NS.equals(p.getMetadata().getNamespace()))
                      .count()
                  == 50);
      E2E.await(
          "the informers to hold the node classes and pools",
          Duration.ofSeconds(60),
          () ->
              state.nodeClass("snapshot-tuned").isPresent()
                  && POOLS.stream().allMatch(p -> state.nodePool(p).isPresent()));
      ClusterSnapshot.Objects all = ClusterSnapshot.Objects.of(state, List.of());
      // Only this test's objects: other tests may leave pools and pods of their own.
      ClusterSnapshot.Objects mine =
          new ClusterSnapshot.Objects(
              all.pods().stream().filter(p -> NS.equals(p.getMetadata().getNamespace())).toList(),
              all.pending().stream()
                  .filter(p -> NS.equals(p.getMetadata().getNamespace()))
                  .toList(),
              List.of(),
              List.of(),
              all.nodePools().stream()
                  .filter(p -> POOLS.contains(p.getMetadata().getName()))
                  .toList(),
              all.nodeClasses(),
              List.of(),
              all.volumes());
      ClusterSnapshot inCluster = ClusterSnapshot.of(mine, cloud::instanceTypes, Set.of());

      // The node class reached allocatable the same way on both paths, and it did change it.
      Map<String, Resources> offlineTypes = allocatable(offline, "snapshot-tuned");
      Map<String, Resources> clusterTypes = allocatable(inCluster, "snapshot-tuned");
      assertEquals(offlineTypes, clusterTypes, "snapshot-tuned instance types");
      assertEquals(allocatable(offline, "snapshot-gpu"), allocatable(inCluster, "snapshot-gpu"));
      InstanceType defaults = E2E.CATALOG.get("m5.2xlarge").orElseThrow();
      Resources tunedM5 = clusterTypes.get("m5.2xlarge");
      assertEquals(20_000, tunedM5.get("pods"), "kubelet.maxPods: 20");
      assertNotEquals(defaults.allocatable().get("pods"), tunedM5.get("pods"));
      assertEquals(
          defaults.capacity().get("cpu") - 500, tunedM5.get("cpu"), "kube+system reserved cpu");
      assertNotEquals(defaults.allocatable().get("memory"), tunedM5.get("memory"));
      assertNotEquals(
          defaults.allocatable().get("ephemeral-storage"),
          tunedM5.get("ephemeral-storage"),
          "30Gi root volume");

      SchedulingResult a = new Scheduler().solve(offline.schedulingInput());
      SchedulingResult b = new Scheduler().solve(inCluster.schedulingInput());
      assertEquals(shape(a), shape(b), "the plans");
      assertEquals(a.unschedulable().size(), b.unschedulable().size(), "unschedulable pods");
      assertEquals(a.totalPricePerHour(), b.totalPricePerHour(), 1e-9, "plan price");
      // maxPods 20 shapes the plan: 45 web pods cannot share fewer than 3 nodes.
      long webClaims =
          a.nodeClaims().stream().filter(p -> p.nodePool().equals("snapshot-tuned")).count();
      assertTrue(webClaims >= 3, "maxPods bounds pods per node: " + shape(a));
      assertFalse(a.unschedulable().isEmpty(), "the 3-GPU limit leaves 2 training pods pending");
    } finally {
      client.namespaces().withName(NS).delete();
      POOLS.forEach(
          p -> client.resources(dev.karpenter.api.v1.NodePool.class).withName(p).delete());
    }
  }

  private static Map<String, Resources> allocatable(ClusterSnapshot s, String pool) {
    return s.nodePools().stream()
        .filter(p -> p.name().equals(pool))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no pool " + pool))
        .instanceTypes()
        .stream()
        .filter(t -> t.name().startsWith("m5.") || t.name().startsWith("g5."))
        .collect(
            Collectors.toMap(
                InstanceType::name, InstanceType::allocatable, (x, y) -> x, TreeMap::new));
  }

  /** Pool, instance type, capacity type and pod count per planned claim, in a stable order. */
  private static List<String> shape(SchedulingResult r) {
    List<String> out = new ArrayList<>();
    for (NodeClaimPlan p : r.nodeClaims()) {
      out.add(
          p.nodePool()
              + " "
              + p.instanceType()
              + " "
              + p.capacityType()
              + " pods="
              + p.pods().size());
    }
    out.sort(null);
    return out;
  }
}
