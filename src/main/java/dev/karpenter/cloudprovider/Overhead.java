package dev.karpenter.cloudprovider;

import dev.karpenter.scheduling.Resources;

/** What the kubelet keeps for itself: allocatable = capacity - (kube + system + eviction). */
public record Overhead(
    Resources kubeReserved, Resources systemReserved, Resources evictionThreshold) {
  public static final Overhead NONE = new Overhead(Resources.NONE, Resources.NONE, Resources.NONE);

  public Resources total() {
    return kubeReserved.plus(systemReserved).plus(evictionThreshold);
  }
}
