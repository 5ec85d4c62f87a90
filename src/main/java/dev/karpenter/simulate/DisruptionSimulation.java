package dev.karpenter.simulate;

import dev.karpenter.api.v1.NodePool;
import dev.karpenter.disruption.decision.Budgets;
import dev.karpenter.disruption.decision.DisruptionInput;
import dev.karpenter.state.ClusterSnapshot;
import dev.karpenter.state.DisruptionInputs;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads NodePools, Nodes with their Pods (a {@code kubectl get nodes,pods -o yaml} dump works),
 * optional NodeClaims and PodDisruptionBudgets into the disruption core's input, through the same
 * translation the disruption controller uses ({@link DisruptionInputs#of}).
 */
public final class DisruptionSimulation {
  private DisruptionSimulation() {}

  public static DisruptionInput read(ManifestReader reader, List<Path> files)
      throws ManifestReader.InvalidManifestException {
    ClusterSnapshot snapshot = reader.snapshot(files);
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
    }
    List<PodDisruptionBudget> pdbs =
        reader.objects("PodDisruptionBudget", PodDisruptionBudget.class);
    return DisruptionInputs.of(reader.lastObjects(), snapshot, pdbs, DisruptionInputs.Hints.NONE);
  }
}
