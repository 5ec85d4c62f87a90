package dev.karpenter.state;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * An informer store that drops what no controller reads before keeping an object: {@code
 * metadata.managedFields} (server-side apply bookkeeping, often the largest part of a pod) and
 * kubectl's {@code last-applied-configuration} annotation (a second copy of the object). Cached
 * objects are never written back whole (writes re-read or patch), so nothing is lost on the server.
 */
public final class TrimmedItemStore<T extends HasMetadata> extends BasicItemStore<T> {
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  public TrimmedItemStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public T put(String key, T obj) {
    trim(obj);
    return super.put(key, obj);
  }

  static void trim(HasMetadata obj) {
    var meta = obj.getMetadata();
    if (meta == null) {
      return;
    }
    meta.setManagedFields(null);
    if (meta.getAnnotations() != null && meta.getAnnotations().containsKey(LAST_APPLIED)) {
      var annotations = new java.util.LinkedHashMap<>(meta.getAnnotations());
      annotations.remove(LAST_APPLIED);
      meta.setAnnotations(annotations);
    }
  }
}
