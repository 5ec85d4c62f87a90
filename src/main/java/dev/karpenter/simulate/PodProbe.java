package dev.karpenter.simulate;

import dev.karpenter.scheduling.Pods;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;

/** Validates the parts of a pod spec the scheduler interprets (requirement operators). */
record PodProbe(PodSpec spec) {
  void check() {
    if (spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null) {
      return;
    }
    var na = spec.getAffinity().getNodeAffinity();
    if (na.getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
      int i = 0;
      for (NodeSelectorTerm t :
          Pods.nullSafe(
              na.getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms())) {
        try {
          Pods.term(t);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms["
                  + i
                  + "]: "
                  + e.getMessage());
        }
        i++;
      }
    }
  }
}
