package dev.karpenter.simulate;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.disruption.decision.Budgets;
import dev.karpenter.disruption.decision.DisruptionInput;
import dev.karpenter.disruption.decision.DisruptionNode;
import dev.karpenter.disruption.decision.DisruptionPool;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.state.DisruptionInputs;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads NodePools, Nodes with their Pods (a {@code kubectl get nodes,pods -o yaml} dump works),
 * optional NodeClaims and PodDisruptionBudgets into the disruption core's input.
 */
public final class DisruptionSimulation {
  private DisruptionSimulation() {}

  public static DisruptionInput read(ManifestReader reader, List<Path> files)
      throws ManifestReader.InvalidManifestException {
    SchedulingInput sched = reader.read(files);
    Map<String, SchedulingNodePool> schedPools = new HashMap<>();
    sched.nodePools().forEach(p -> schedPools.put(p.name(), p));
    Map<String, NodePool> pools = new HashMap<>();
    List<DisruptionPool> dpools = new ArrayList<>();
    for (NodePool np : reader.objects("NodePool", NodePool.class)) {
      String name = np.getMetadata().getName();
      List<String> errors = Budgets.of(np).errors();
      if (!errors.isEmpty()) {
        throw new ManifestReader.InvalidManifestException(
            reader.where("NodePool", name)
                + ": NodePool "
                + name
                + ": spec.disruption."
                + errors.get(0));
      }
      pools.put(name, np);
      dpools.add(new DisruptionPool(np, schedPools.get(name)));
    }
    Map<String, NodeClaim> claimsByNode = new HashMap<>();
    for (NodeClaim c : reader.objects("NodeClaim", NodeClaim.class)) {
      if (c.getStatus() != null && c.getStatus().getNodeName() != null) {
        claimsByNode.put(c.getStatus().getNodeName(), c);
      }
    }
    Map<String, ExistingNode> existing = new HashMap<>();
    sched.nodes().forEach(e -> existing.put(e.name(), e));
    List<DisruptionNode> nodes = new ArrayList<>();
    for (Node n : reader.objects("Node", Node.class)) {
      String name = n.getMetadata().getName();
      ExistingNode e = existing.get(name);
      String poolName =
          n.getMetadata().getLabels() == null
              ? null
              : n.getMetadata().getLabels().get(Labels.NODEPOOL);
      NodePool pool = poolName == null ? null : pools.get(poolName);
      SchedulingNodePool sp = poolName == null ? null : schedPools.get(poolName);
      nodes.add(
          DisruptionInputs.node(
              n,
              claimsByNode.get(name),
              e == null ? List.of() : e.pods(),
              pool,
              sp == null ? List.of() : sp.instanceTypes(),
              null,
              false));
    }
    List<PodDisruptionBudget> pdbs =
        reader.objects("PodDisruptionBudget", PodDisruptionBudget.class);
    return new DisruptionInput(nodes, List.of(), pdbs, sched.daemonSets(), dpools, Set.of());
  }
}
