package dev.karpenter.oracle;

import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Set;

/**
 * One generated scenario: NodePools, existing nodes (with their bound pods), DaemonSets and the
 * pending pods to plan. {@code tag} prefixes every object name so seeds never collide on a reused
 * cluster.
 */
record Workload(
    long seed,
    String tag,
    List<SchedulingNodePool> pools,
    List<ExistingNode> nodes,
    List<DaemonSet> daemonSets,
    List<Pod> pods) {
  Workload {
    pools = List.copyOf(pools);
    nodes = List.copyOf(nodes);
    daemonSets = List.copyOf(daemonSets);
    pods = List.copyOf(pods);
  }

  SchedulingInput input() {
    return new SchedulingInput(pods, nodes, List.of(), daemonSets, pools, Set.of());
  }

  Workload withPods(List<Pod> p) {
    return new Workload(seed, tag, pools, nodes, daemonSets, p);
  }

  Workload withPools(List<SchedulingNodePool> p) {
    return new Workload(seed, tag, p, nodes, daemonSets, pods);
  }

  Workload withNodes(List<ExistingNode> n) {
    return new Workload(seed, tag, pools, n, daemonSets, pods);
  }

  Workload withDaemonSets(List<DaemonSet> d) {
    return new Workload(seed, tag, pools, nodes, d, pods);
  }

  /** A reproducible description: every pool, node, DaemonSet and pod, pods as YAML. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("# seed ").append(seed).append('\n');
    for (SchedulingNodePool p : pools) {
      sb.append("NodePool ")
          .append(p.name())
          .append(" weight=")
          .append(p.weight())
          .append(" requirements=")
          .append(p.requirements())
          .append(" labels=")
          .append(p.labels())
          .append(" taints=")
          .append(p.taints().stream().map(t -> t.getKey() + ":" + t.getEffect()).toList())
          .append(" limits=")
          .append(p.limits())
          .append(" usage=")
          .append(p.usage())
          .append('\n');
    }
    for (ExistingNode n : nodes) {
      sb.append("Node ")
          .append(n.name())
          .append(" type=")
          .append(n.labels().get("node.kubernetes.io/instance-type"))
          .append(" zone=")
          .append(n.labels().get("topology.kubernetes.io/zone"))
          .append(" pool=")
          .append(n.labels().get("karpenter.sh/nodepool"))
          .append(" allocatable=")
          .append(n.allocatable())
          .append(" pods=")
          .append(n.pods().stream().map(p -> p.getMetadata().getName()).toList())
          .append('\n');
    }
    for (DaemonSet d : daemonSets) {
      sb.append("---\n").append(strip(Serialization.asYaml(d)));
    }
    for (Pod p : pods) {
      sb.append("---\n").append(strip(Serialization.asYaml(p)));
    }
    return sb.toString();
  }

  private static String strip(String yaml) {
    return yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
  }
}
