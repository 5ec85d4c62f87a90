package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** One scheduling requirement: a label key, an operator and values, plus minValues. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeSelectorRequirementWithMinValues(
    @Required
        @Size(max = 316)
        @Pattern(Rules.QUALIFIED_NAME)
        @ValidationRule(value = Rules.KEY_KARPENTER_DOMAIN, message = Rules.KARPENTER_DOMAIN_MSG)
        @ValidationRule(value = Rules.KEY_NODEPOOL, message = Rules.NODEPOOL_LABEL_MSG)
        @ValidationRule(value = Rules.KEY_HOSTNAME, message = Rules.HOSTNAME_MSG)
        @ValidationRule(value = Rules.KEY_AWS_DOMAIN, message = Rules.AWS_DOMAIN_MSG)
        @JsonPropertyDescription(
            "The label key that the requirement applies to, e.g. karpenter.k8s.aws/instance-gpu-name.")
        String key,
    @Required
        @JsonPropertyDescription(
            "How the key relates to the values: In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte or Lte."
                + " Gt/Lt/Gte/Lte take exactly one non-negative integer value.")
        Operator operator,
    @JsonPropertyDescription(
            "The values of the key. In and NotIn need at least one; Exists and DoesNotExist none.")
        List<String> values,
    @Min(1)
        @Max(50)
        @JsonPropertyDescription(
            "The minimum number of distinct values of this key that the instance types chosen for"
                + " a node must span (e.g. at least 5 instance families for spot diversity).")
        Integer minValues) {

  /** The operators of a requirement. */
  public enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
    Gte,
    Lte
  }

  public List<String> valuesOrEmpty() {
    return values == null ? List.of() : values;
  }
}
