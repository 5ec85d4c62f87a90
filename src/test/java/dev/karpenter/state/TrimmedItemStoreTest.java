package dev.karpenter.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrimmedItemStoreTest {
  @Test
  void keepsWhatControllersReadAndDropsManagedFieldsAndLastApplied() {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("web-1")
            .withNamespace("default")
            .withAnnotations(
                Map.of(
                    "karpenter.sh/do-not-disrupt",
                    "true",
                    TrimmedItemStore.LAST_APPLIED,
                    "{\"kind\":\"Pod\"}"))
            .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").build())
            .endMetadata()
            .withNewSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    TrimmedItemStore<Pod> store = new TrimmedItemStore<>();
    store.put(store.getKey(p), p);
    Pod kept = store.get("default/web-1");
    assertNull(kept.getMetadata().getManagedFields());
    assertEquals(
        Map.of("karpenter.sh/do-not-disrupt", "true"), kept.getMetadata().getAnnotations());
    assertEquals("node-a", kept.getSpec().getNodeName());
  }
}
