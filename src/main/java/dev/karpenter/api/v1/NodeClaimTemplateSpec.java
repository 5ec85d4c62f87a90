package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** What the nodes of a NodePool look like: requirements, taints, node class and lifetime. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeClaimTemplateSpec(
    @Required
        @Size(max = 100)
        @ValidationRule(value = Rules.REQ_IN_HAS_VALUES, message = Rules.REQ_IN_HAS_VALUES_MSG)
        @ValidationRule(value = Rules.REQ_NUMERIC_SINGLE, message = Rules.REQ_NUMERIC_SINGLE_MSG)
        @ValidationRule(value = Rules.REQ_MIN_VALUES, message = Rules.REQ_MIN_VALUES_MSG)
        @JsonPropertyDescription(
            "Requirements that constrain the nodes of this NodePool (instance types, zones,"
                + " capacity types, architectures, GPU names ...). They are intersected with each"
                + " pod's nodeSelector and node affinity.")
        List<NodeSelectorRequirementWithMinValues> requirements,
    @JsonPropertyDescription(
            "Taints applied to every node; only pods that tolerate them are scheduled there, e.g."
                + " nvidia.com/gpu=true:NoSchedule to keep non-GPU pods off GPU nodes.")
        List<Taint> taints,
    @JsonPropertyDescription(
            "Taints present when a node starts and removed later by a daemon (e.g. a device"
                + " plugin). Pods need not tolerate them; the node is Initialized once they are"
                + " gone.")
        List<Taint> startupTaints,
    @Required
        @JsonPropertyDescription("The EC2NodeClass (or other node class) nodes are launched with.")
        NodeClassReference nodeClassRef,
    @Default("720h")
        @Pattern(Rules.DURATION_OR_NEVER)
        @JsonPropertyDescription(
            "How long a node may live before it is replaced, e.g. 336h, or Never. Default 720h.")
        String expireAfter,
    @Pattern(Rules.DURATION)
        @JsonPropertyDescription(
            "The longest time a node may spend draining before it is deleted anyway, ignoring"
                + " PodDisruptionBudgets and do-not-disrupt. Unset waits forever.")
        String terminationGracePeriod) {

  public List<NodeSelectorRequirementWithMinValues> requirementsOrEmpty() {
    return requirements == null ? List.of() : requirements;
  }

  public List<Taint> taintsOrEmpty() {
    return taints == null ? List.of() : taints;
  }

  public List<Taint> startupTaintsOrEmpty() {
    return startupTaints == null ? List.of() : startupTaints;
  }
}
