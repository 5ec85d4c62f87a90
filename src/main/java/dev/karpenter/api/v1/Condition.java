package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A status condition, as metav1.Condition. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Condition(
    @Required @JsonPropertyDescription("Condition type, e.g. Ready.") String type,
    @Required @JsonPropertyDescription("True, False or Unknown.") String status,
    @JsonPropertyDescription("Generation the condition was computed for.") Long observedGeneration,
    @Required @JsonPropertyDescription("When the status last changed (RFC 3339).")
        String lastTransitionTime,
    @Required @JsonPropertyDescription("A CamelCase reason.") String reason,
    @Required @JsonPropertyDescription("A human-readable message.") String message) {

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isTrue() {
    return "True".equals(status);
  }
}
