package dev.karpenter.provisioning.scheduling.upstream;

import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.provisioning.scheduling.UpstreamKit;

/** Pools shared by several checklist classes. */
final class SchedulerPools {
  private SchedulerPools() {}

  static SchedulingNodePool onDemandCpu() {
    return UpstreamKit.pool(
        "default", 0, UpstreamKit.cpuTypes(), UpstreamKit.req(Check.CT, "In", "on-demand"));
  }
}
