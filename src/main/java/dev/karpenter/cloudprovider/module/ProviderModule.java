package dev.karpenter.cloudprovider.module;

import dev.karpenter.cloudprovider.CloudProvider;
import java.util.List;

/**
 * What the chosen cloud provider brings to {@code KarpenterOperator}: the {@link CloudProvider} the
 * core controllers use, the provider's own JOSDK controllers and its background loops. The operator
 * registers the controllers beside the core ones and runs the loops on the leader; it knows no
 * provider by name.
 */
public record ProviderModule(
    CloudProvider cloudProvider,
    List<ProviderController<?>> controllers,
    List<BackgroundLoop> loops) {
  public ProviderModule {
    controllers = List.copyOf(controllers);
    loops = List.copyOf(loops);
  }

  /** A provider that brings nothing but its cloud (tests). */
  public static ProviderModule of(CloudProvider cloudProvider) {
    return new ProviderModule(cloudProvider, List.of(), List.of());
  }
}
