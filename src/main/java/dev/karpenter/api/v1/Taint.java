package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A node taint, as in core/v1 Taint. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Taint(
    @Required
        @Size(min = 1)
        @Pattern(Rules.QUALIFIED_NAME)
        @JsonPropertyDescription("The taint key, e.g. nvidia.com/gpu.")
        String key,
    @Pattern(Rules.QUALIFIED_NAME) @JsonPropertyDescription("The taint value, e.g. \"true\".")
        String value,
    @Required
        @JsonPropertyDescription(
            "What happens to pods that do not tolerate the taint: NoSchedule, PreferNoSchedule or"
                + " NoExecute.")
        Effect effect,
    @JsonPropertyDescription("When the taint was added; only for NoExecute taints.")
        String timeAdded) {

  /** Taint effects. */
  public enum Effect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute
  }

  public Taint(String key, String value, Effect effect) {
    this(key, value, effect, null);
  }

  /** The fabric8 model form, for Node objects and scheduling. */
  public io.fabric8.kubernetes.api.model.Taint toModel() {
    return new io.fabric8.kubernetes.api.model.Taint(effect.name(), key, timeAdded, value);
  }
}
