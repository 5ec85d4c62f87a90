package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** How many nodes of a NodePool may be voluntarily disrupted at once, optionally on a schedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Budget(
    @Required
        @Default("10%")
        @Pattern("^((100|[0-9]{1,2})%|[0-9]+)$")
        @JsonPropertyDescription(
            "The most nodes that may be disrupted at once: a count (\"1\") or a percentage of the"
                + " NodePool's nodes (\"10%\", rounded up). \"0\" blocks disruption.")
        String nodes,
    @Pattern(
            "^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\\s(.+)\\s(.+)\\s(.+)\\s(.+))$")
        @JsonPropertyDescription(
            "When the budget becomes active: a 5-field cron expression in UTC or a macro such as"
                + " @daily. Must be set together with duration.")
        String schedule,
    @Pattern("^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$")
        @JsonPropertyDescription(
            "How long the budget stays active after each schedule hit, in hours and minutes, e.g."
                + " 10h or 1h30m. Must be set together with schedule.")
        String duration,
    @Size(max = 50)
        @JsonPropertyDescription(
            "The disruption reasons this budget limits: Underutilized, Empty, Drifted. Unset means"
                + " all reasons.")
        List<Reason> reasons) {

  /** Voluntary disruption reasons a budget can be limited to. */
  public enum Reason {
    Underutilized,
    Empty,
    Drifted
  }
}
