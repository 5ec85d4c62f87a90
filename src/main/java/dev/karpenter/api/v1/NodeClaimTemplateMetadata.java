package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** Labels and annotations put on every NodeClaim and Node of a NodePool. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record NodeClaimTemplateMetadata(
    @ValidationRule(value = Rules.MAP_KARPENTER_DOMAIN, message = Rules.KARPENTER_DOMAIN_MSG)
        @ValidationRule(value = Rules.MAP_NODEPOOL, message = Rules.NODEPOOL_LABEL_MSG)
        @ValidationRule(value = Rules.MAP_HOSTNAME, message = Rules.HOSTNAME_MSG)
        @ValidationRule(value = Rules.MAP_AWS_DOMAIN, message = Rules.AWS_DOMAIN_MSG)
        @JsonPropertyDescription(
            "Labels applied to every node of this NodePool. Pods select them with nodeSelector or"
                + " node affinity. Keys of karpenter.sh (except capacity-type) and"
                + " kubernetes.io/hostname are reserved.")
        Map<String, String> labels,
    @JsonPropertyDescription("Annotations applied to every node of this NodePool.")
        Map<String, String> annotations) {

  public Map<String, String> labelsOrEmpty() {
    return labels == null ? Map.of() : labels;
  }
}
