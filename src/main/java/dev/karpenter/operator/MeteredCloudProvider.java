package dev.karpenter.operator;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.UnavailableOfferings;
import dev.karpenter.metrics.KarpenterMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Records {@code karpenter_cloudprovider_duration_seconds} and errors around every call. */
final class MeteredCloudProvider implements CloudProvider {
  private final CloudProvider delegate;
  private final KarpenterMetrics metrics;

  MeteredCloudProvider(CloudProvider delegate, KarpenterMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
  }

  private <T> T timed(String method, Supplier<T> call) {
    long start = System.nanoTime();
    String error = null;
    try {
      return call.get();
    } catch (RuntimeException e) {
      error = e.getClass().getSimpleName();
      throw e;
    } finally {
      metrics.cloudProviderCall(method, Duration.ofNanos(System.nanoTime() - start), error);
    }
  }

  @Override
  public NodeClaim create(NodeClaim nodeClaim) {
    return timed("Create", () -> delegate.create(nodeClaim));
  }

  @Override
  public void delete(NodeClaim nodeClaim) {
    timed(
        "Delete",
        () -> {
          delegate.delete(nodeClaim);
          return null;
        });
  }

  @Override
  public NodeClaim get(String providerId) {
    return timed("Get", () -> delegate.get(providerId));
  }

  @Override
  public List<NodeClaim> list() {
    return timed("List", delegate::list);
  }

  @Override
  public Optional<NodeClaim> launchedFor(NodeClaim nodeClaim) {
    return timed("LaunchedFor", () -> delegate.launchedFor(nodeClaim));
  }

  @Override
  public List<InstanceType> instanceTypes(NodePool nodePool) {
    return timed("GetInstanceTypes", () -> delegate.instanceTypes(nodePool));
  }

  @Override
  public Optional<String> isDrifted(NodeClaim nodeClaim) {
    return timed("IsDrifted", () -> delegate.isDrifted(nodeClaim));
  }

  @Override
  public UnavailableOfferings unavailableOfferings() {
    return delegate.unavailableOfferings();
  }

  @Override
  public String name() {
    return delegate.name();
  }
}
