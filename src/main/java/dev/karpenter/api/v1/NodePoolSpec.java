package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.Map;

/** What a NodePool launches, how much of it, and how it may be disrupted. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.replicas) == has(oldSelf.replicas)",
    message =
        "Cannot transition NodePool between static (replicas set) and dynamic (replicas unset)"
            + " provisioning modes")
@ValidationRule(
    value =
        "!has(self.replicas) || (!has(self.limits) || size(self.limits) == 0 ||"
            + " (size(self.limits) == 1 && 'nodes' in self.limits))",
    message = "only 'limits.nodes' is supported on static NodePools")
@ValidationRule(
    value = "!has(self.replicas) || !has(self.weight)",
    message = "'weight' is not supported on static NodePools")
public record NodePoolSpec(
    @Required @JsonPropertyDescription("The template of the nodes this NodePool launches.")
        NodeClaimTemplate template,
    @Default("{\"consolidateAfter\":\"0s\"}")
        @JsonPropertyDescription("How the nodes of this NodePool may be disrupted.")
        Disruption disruption,
    @JsonPropertyDescription(
            "Caps on the total capacity of this NodePool's nodes, e.g. cpu: \"500\", memory:"
                + " 2000Gi, nvidia.com/gpu: \"100\". No node is launched that would exceed them.")
        Map<String, Quantity> limits,
    @Min(1)
        @Max(100)
        @JsonPropertyDescription(
            "Priority among NodePools, 1..100: a pod that several NodePools can run goes to the"
                + " one with the highest weight. Unset is lowest.")
        Integer weight,
    @Min(0)
        @SpecReplicas
        @JsonPropertyDescription(
            "ALPHA: a fixed number of nodes (static NodePool) instead of provisioning for pods.")
        Long replicas) {

  public Disruption disruptionOrDefault() {
    return disruption == null ? new Disruption(null, null, null) : disruption;
  }

  public Map<String, Quantity> limitsOrEmpty() {
    return limits == null ? Map.of() : limits;
  }
}
