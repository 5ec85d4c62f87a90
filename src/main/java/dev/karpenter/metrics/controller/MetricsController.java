package dev.karpenter.metrics.controller;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.metrics.KarpenterMetrics.Row;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.ClusterSnapshot;
import dev.karpenter.state.ClusterState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Recomputes the gauge families from cluster state: per-node allocatable and requests, per-pod
 * state, NodePool usage and limits (nodes eligible for voluntary disruption come from the
 * disruption controller, which decides it).
 */
public final class MetricsController {
  private static final String AWS = "karpenter.k8s.aws/";

  private final ClusterState state;
  private final KarpenterMetrics metrics;

  private final Function<NodePool, List<InstanceType>> instanceTypes;

  public MetricsController(ClusterState state, KarpenterMetrics metrics) {
    this(state, metrics, p -> List.of());
  }

  /**
   * @param instanceTypes each pool's instance types (the cloud provider's), so NodeClaims not yet
   *     launched count in the usage gauges as they count against limits
   */
  public MetricsController(
      ClusterState state,
      KarpenterMetrics metrics,
      Function<NodePool, List<InstanceType>> instanceTypes) {
    this.state = state;
    this.metrics = metrics;
    this.instanceTypes = instanceTypes;
  }

  public void refresh() {
    Map<String, NodePool> pools = new HashMap<>();
    for (NodePool p : state.nodePools()) {
      pools.put(p.getMetadata().getName(), p);
      metrics.registerNodePool(p.getMetadata().getName());
    }
    List<Node> nodes = state.nodes();
    metrics.clusterState(nodes.size(), state.synced());
    Map<String, Node> byName = new HashMap<>();
    nodes.forEach(n -> byName.put(n.getMetadata().getName(), n));
    Map<String, List<Pod>> podsByNode = new HashMap<>();
    List<Row> podRows = new ArrayList<>();
    for (Pod p : state.pods()) {
      String node = p.getSpec().getNodeName();
      if (node != null) {
        podsByNode.computeIfAbsent(node, k -> new ArrayList<>()).add(p);
      }
      podRows.add(new Row(podTags(p, node == null ? null : byName.get(node)), 1));
    }
    metrics.replace("karpenter.pods.state", podRows);

    List<Row> allocatable = new ArrayList<>();
    List<Row> podRequests = new ArrayList<>();
    List<Row> daemonRequests = new ArrayList<>();
    for (Node n : nodes) {
      Tags base = nodeTags(n);
      Resources alloc =
          n.getStatus() == null
              ? Resources.NONE
              : ApiConversions.resources(n.getStatus().getAllocatable());
      Resources pods = Resources.NONE;
      Resources daemons = Resources.NONE;
      for (Pod p : podsByNode.getOrDefault(n.getMetadata().getName(), List.of())) {
        if (isTerminal(p)) {
          continue;
        }
        Resources r = Pods.requests(p.getSpec()).minus(Resources.of("pods", 1000));
        if (isDaemon(p)) {
          daemons = daemons.plus(r);
        } else {
          pods = pods.plus(r);
        }
      }
      Set<String> keys = new TreeSet<>(alloc.milli().keySet());
      for (String res : keys) {
        allocatable.add(new Row(base.and("resource_type", res), value(res, alloc.get(res))));
        podRequests.add(new Row(base.and("resource_type", res), value(res, pods.get(res))));
        daemonRequests.add(new Row(base.and("resource_type", res), value(res, daemons.get(res))));
      }
    }
    metrics.replace("karpenter.nodes.allocatable", allocatable);
    metrics.replace("karpenter.nodes.total.pod.requests", podRequests);
    metrics.replace("karpenter.nodes.total.daemon.requests", daemonRequests);

    Map<String, List<InstanceType>> typesByPool = new HashMap<>();
    for (NodePool p : pools.values()) {
      try {
        typesByPool.put(p.getMetadata().getName(), instanceTypes.apply(p));
      } catch (RuntimeException e) {
        // Launched claims count without them.
      }
    }
    Map<String, ClusterSnapshot.PoolUsage> usage =
        ClusterSnapshot.usage(state.nodeClaims(), nodes, typesByPool);
    List<Row> usageRows = new ArrayList<>();
    List<Row> limitRows = new ArrayList<>();
    for (NodePool p : pools.values()) {
      String name = p.getMetadata().getName();
      Resources limits = ApiConversions.limits(p);
      Resources used = usage.getOrDefault(name, ClusterSnapshot.PoolUsage.NONE).resources();
      Set<String> keys = new TreeSet<>(limits.milli().keySet());
      keys.addAll(used.milli().keySet());
      keys.addAll(List.of("cpu", "memory", "nodes"));
      for (String res : keys) {
        Tags t = Tags.of("nodepool", name, "resource_type", res);
        usageRows.add(new Row(t, value(res, used.get(res))));
      }
      for (String res : limits.milli().keySet()) {
        Tags t = Tags.of("nodepool", name, "resource_type", res);
        limitRows.add(new Row(t, value(res, limits.get(res))));
      }
    }
    metrics.replace("karpenter.nodepool.usage", usageRows);
    metrics.replace("karpenter.nodepools.usage", usageRows);
    metrics.replace("karpenter.nodepool.limit", limitRows);
    metrics.replace("karpenter.nodepools.limit", limitRows);
  }

  private static double value(String resource, long milli) {
    return milli / 1000.0;
  }

  private static Map<String, String> labels(Node n) {
    return n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
  }

  private static Tags nodeTags(Node n) {
    Map<String, String> l = labels(n);
    boolean ready =
        n.getStatus() != null
            && n.getStatus().getConditions() != null
            && n.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    return Tags.of(
        "node_name", n.getMetadata().getName(),
        "nodepool", l.getOrDefault(Labels.NODEPOOL, ""),
        "zone", l.getOrDefault(Labels.ZONE, ""),
        "instance_type", l.getOrDefault(Labels.INSTANCE_TYPE, ""),
        "capacity_type", l.getOrDefault(Labels.CAPACITY_TYPE, ""),
        "arch", l.getOrDefault(Labels.ARCH, ""),
        "os", l.getOrDefault(Labels.OS, ""),
        "instance_category", l.getOrDefault(AWS + "instance-category", ""),
        "instance_family", l.getOrDefault(AWS + "instance-family", ""),
        "instance_size", l.getOrDefault(AWS + "instance-size", ""),
        "instance_gpu_name", l.getOrDefault(AWS + "instance-gpu-name", ""),
        "instance_gpu_count", l.getOrDefault(AWS + "instance-gpu-count", ""),
        "instance_accelerator_name", l.getOrDefault(AWS + "instance-accelerator-name", ""),
        "phase", ready ? "Ready" : "NotReady",
        "managed", String.valueOf(l.containsKey(Labels.NODEPOOL)));
  }

  private static Tags podTags(Pod p, Node node) {
    Map<String, String> l = node == null ? Map.of() : labels(node);
    String owner =
        p.getMetadata().getOwnerReferences() == null
                || p.getMetadata().getOwnerReferences().isEmpty()
            ? ""
            : ownerName(p.getMetadata().getOwnerReferences().get(0));
    boolean ready =
        p.getStatus() != null
            && p.getStatus().getConditions() != null
            && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    String phase =
        p.getStatus() == null || p.getStatus().getPhase() == null
            ? "Pending"
            : p.getStatus().getPhase();
    return Tags.of(
        "name", p.getMetadata().getName(),
        "namespace", p.getMetadata().getNamespace(),
        "owner", owner,
        "node", p.getSpec().getNodeName() == null ? "" : p.getSpec().getNodeName(),
        "scheduled", String.valueOf(p.getSpec().getNodeName() != null),
        "nodepool", l.getOrDefault(Labels.NODEPOOL, ""),
        "zone", l.getOrDefault(Labels.ZONE, ""),
        "arch", l.getOrDefault(Labels.ARCH, ""),
        "capacity_type", l.getOrDefault(Labels.CAPACITY_TYPE, ""),
        "instance_type", l.getOrDefault(Labels.INSTANCE_TYPE, ""),
        "phase", phase,
        "ready", String.valueOf(ready),
        "managed", String.valueOf(l.containsKey(Labels.NODEPOOL)));
  }

  private static String ownerName(OwnerReference o) {
    return o.getKind() + "/" + o.getName();
  }

  static boolean isDaemon(Pod p) {
    return p.getMetadata().getOwnerReferences() != null
        && p.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> "DaemonSet".equals(o.getKind()));
  }

  static boolean isTerminal(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  static boolean doNotDisrupt(Pod p) {
    Map<String, String> a = p.getMetadata().getAnnotations();
    return a != null && a.containsKey("karpenter.sh/do-not-disrupt");
  }
}
