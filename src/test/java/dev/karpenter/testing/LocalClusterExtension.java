package dev.karpenter.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests a {@link KubernetesClient} (or the {@link LocalCluster}) for a real local control
 * plane. One cluster per test JVM; one started here is stopped when the JVM's tests are done. Tag
 * such tests {@code @Tag("local-cluster")}.
 */
public final class LocalClusterExtension implements ParameterResolver {

  /** The JVM-wide cluster, found or started on first use. */
  public static LocalCluster cluster(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(LocalClusterExtension.class))
        .computeIfAbsent(LocalCluster.class, k -> LocalCluster.obtain(), LocalCluster.class);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubernetesClient.class || type == LocalCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    LocalCluster cluster = cluster(context);
    return parameter.getParameter().getType() == LocalCluster.class ? cluster : cluster.client();
  }
}
