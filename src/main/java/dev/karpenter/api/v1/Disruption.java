package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** When and how fast the nodes of a NodePool may be voluntarily removed or replaced. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Disruption(
    @Default("WhenEmptyOrUnderutilized")
        @JsonPropertyDescription(
            "Which nodes consolidation may remove: WhenEmpty (only nodes without workload pods),"
                + " WhenEmptyOrUnderutilized (also nodes whose pods fit elsewhere or on a cheaper"
                + " node) or Balanced (weighs savings against disruption).")
        ConsolidationPolicy consolidationPolicy,
    @Default("0s")
        @Pattern(Rules.DURATION_OR_NEVER)
        @JsonPropertyDescription(
            "How long a node must go without pods being added or removed before it may be"
                + " consolidated, e.g. 5m; Never disables consolidation. Default 0s.")
        String consolidateAfter,
    @Default("[{\"nodes\":\"10%\"}]")
        @Size(max = 50)
        @ValidationRule(
            value = "self.all(x, has(x.schedule) == has(x.duration))",
            message = "'schedule' must be set with 'duration'")
        @JsonPropertyDescription(
            "Disruption budgets; the most restrictive active budget wins. Default: 10% of nodes.")
        List<Budget> budgets) {

  /** Consolidation policies. */
  public enum ConsolidationPolicy {
    WhenEmpty,
    WhenEmptyOrUnderutilized,
    Balanced
  }
}
