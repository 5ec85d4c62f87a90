package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;

/** The desired node of a NodeClaim. Immutable once created. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self == oldSelf", message = "spec is immutable")
public record NodeClaimSpec(
    @JsonPropertyDescription("Taints the node registers with.") List<Taint> taints,
    @JsonPropertyDescription("Taints expected to be removed by a daemon after the node starts.")
        List<Taint> startupTaints,
    @Required
        @Size(max = 100)
        @ValidationRule(value = Rules.REQ_IN_HAS_VALUES, message = Rules.REQ_IN_HAS_VALUES_MSG)
        @ValidationRule(value = Rules.REQ_NUMERIC_SINGLE, message = Rules.REQ_NUMERIC_SINGLE_MSG)
        @ValidationRule(value = Rules.REQ_MIN_VALUES, message = Rules.REQ_MIN_VALUES_MSG)
        @JsonPropertyDescription(
            "Requirements the launched instance satisfies, including the instance-type options"
                + " (cheapest first) and capacity types.")
        List<NodeSelectorRequirementWithMinValues> requirements,
    @JsonPropertyDescription("Resources the node must provide for the pods planned onto it.")
        ResourceRequirements resources,
    @Required @JsonPropertyDescription("The node class the instance is launched with.")
        NodeClassReference nodeClassRef,
    @Pattern(Rules.DURATION)
        @JsonPropertyDescription("Longest drain before forced deletion; unset waits forever.")
        String terminationGracePeriod,
    @Default("720h")
        @Pattern(Rules.DURATION_OR_NEVER)
        @JsonPropertyDescription("Lifetime after which the node is replaced. Default 720h.")
        String expireAfter) {

  /** The resource requests a NodeClaim was sized for. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ResourceRequirements(
      @JsonPropertyDescription("Requested resources: the sum of pod and DaemonSet requests.")
          Map<String, Quantity> requests) {}

  public List<NodeSelectorRequirementWithMinValues> requirementsOrEmpty() {
    return requirements == null ? List.of() : requirements;
  }
}
