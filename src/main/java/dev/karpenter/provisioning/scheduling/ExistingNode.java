package dev.karpenter.provisioning.scheduling;

import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Map;

/**
 * A node that already exists, or a NodeClaim in flight ({@code inFlight}), with the pods bound or
 * nominated to it. Its allocatable is the real one, or Karpenter's estimate for an in-flight claim.
 */
public record ExistingNode(
    String name,
    Map<String, String> labels,
    List<Taint> taints,
    Resources allocatable,
    List<Pod> pods,
    boolean inFlight) {
  public ExistingNode {
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
    pods = List.copyOf(pods);
  }
}
