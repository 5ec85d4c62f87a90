package dev.karpenter.state;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import java.net.HttpURLConnection;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way controllers write objects. A reconciler writes its primary's status with {@link
 * #patchStatus}: a server-side apply of the whole status under the controller's field manager, put
 * into JOSDK's cache so the next reconcile reads its own write. Every other change goes through
 * {@link #edit}: applied to the latest object and patched with its resourceVersion (optimistic
 * concurrency), retried quietly when another writer got there first.
 */
public final class Writes {
  private static final Logger LOG = LoggerFactory.getLogger(Writes.class);
  static final int ATTEMPTS = 5;

  private Writes() {}

  /**
   * Applies {@code statusOnly} (a fresh object carrying the primary's name and its whole new
   * status) to the status subresource, now, and caches the result for the next reconcile.
   */
  public static <P extends HasMetadata> P patchStatus(Context<P> ctx, P primary, P statusOnly) {
    try {
      return PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(primary, statusOnly, ctx);
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        // Deleted while it was reconciled: its delete event ends the reconciliation.
        LOG.debug(
            "{} {} is gone; its status is not written",
            primary.getKind(),
            primary.getMetadata().getName());
        return primary;
      }
      throw e;
    }
  }

  /**
   * Applies {@code edit} to the latest version of {@code object} and patches it with that version's
   * resourceVersion; on a 409 it reads again and re-applies, up to {@value #ATTEMPTS} times.
   *
   * @return the object as written, or empty when it no longer exists
   * @throws KubernetesClientException on other errors, or when every attempt conflicted
   */
  public static <T extends HasMetadata> Optional<T> edit(
      KubernetesClient client, T object, UnaryOperator<T> edit) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) object.getClass();
    String ns = object.getMetadata().getNamespace();
    String name = object.getMetadata().getName();
    Resource<T> resource =
        ns == null
            ? client.resources(type).withName(name)
            : client.resources(type).inNamespace(ns).withName(name);
    for (int attempt = 1; ; attempt++) {
      try {
        return Optional.of(resource.edit(edit));
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          return Optional.empty();
        }
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == ATTEMPTS) {
          throw e;
        }
        LOG.debug(
            "{} {} changed while we wrote it (attempt {}); retrying",
            object.getKind(),
            name,
            attempt);
      }
    }
  }

  /**
   * As {@link #edit}, for the status subresource: for a controller that owns one condition of an
   * object another controller reconciles (a patch of the latest status, not an apply of all of it).
   */
  public static <T extends HasMetadata> Optional<T> editStatus(
      KubernetesClient client, T object, UnaryOperator<T> edit) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) object.getClass();
    String ns = object.getMetadata().getNamespace();
    String name = object.getMetadata().getName();
    Resource<T> resource =
        ns == null
            ? client.resources(type).withName(name)
            : client.resources(type).inNamespace(ns).withName(name);
    for (int attempt = 1; ; attempt++) {
      try {
        return Optional.of(resource.editStatus(edit));
      } catch (KubernetesClientException e) {
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          return Optional.empty();
        }
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** Deletes {@code object}; true unless it was already gone. */
  public static boolean delete(KubernetesClient client, HasMetadata object) {
    try {
      return !client.resource(object).delete().isEmpty();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }
}
