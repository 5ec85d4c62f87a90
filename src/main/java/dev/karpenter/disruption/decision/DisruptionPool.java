package dev.karpenter.disruption.decision;

import dev.karpenter.api.v1.NodePool;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;

/**
 * A NodePool with its disruption settings and how the scheduler sees it (instance types, usage).
 */
public record DisruptionPool(NodePool nodePool, SchedulingNodePool scheduling) {
  public String name() {
    return nodePool.getMetadata().getName();
  }
}
