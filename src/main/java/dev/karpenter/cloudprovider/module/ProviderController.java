package dev.karpenter.cloudprovider.module;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import java.util.function.Consumer;

/**
 * A JOSDK reconciler a provider brings (e.g. EC2NodeClass status, interruption), registered by the
 * operator under {@code name} and, like every controller, run only on the leader.
 *
 * @param name controller name: metrics, logs and the SSA field manager use it
 * @param configuration extra settings (finalizer, label selector, ...); applied after the name
 */
public record ProviderController<R extends HasMetadata>(
    String name,
    Reconciler<R> reconciler,
    Consumer<ControllerConfigurationOverrider<R>> configuration) {

  public static <R extends HasMetadata> ProviderController<R> of(
      String name, Reconciler<R> reconciler, Consumer<ControllerConfigurationOverrider<R>> config) {
    return new ProviderController<>(name, reconciler, config);
  }
}
