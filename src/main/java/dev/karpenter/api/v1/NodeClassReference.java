package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Points a NodePool or NodeClaim at the cloud-specific node class, e.g. an EC2NodeClass. */
@ValidationRule(value = "self.group == oldSelf.group", message = "nodeClassRef.group is immutable")
@ValidationRule(value = "self.kind == oldSelf.kind", message = "nodeClassRef.kind is immutable")
public record NodeClassReference(
    @Required
        @Pattern("^[^/]*$")
        @ValidationRule(value = "self != ''", message = "group may not be empty")
        @JsonPropertyDescription("API group of the node class, karpenter.k8s.aws for EC2NodeClass.")
        String group,
    @Required
        @ValidationRule(value = "self != ''", message = "kind may not be empty")
        @JsonPropertyDescription("Kind of the node class, EC2NodeClass.")
        String kind,
    @Required
        @ValidationRule(value = "self != ''", message = "name may not be empty")
        @JsonPropertyDescription("Name of the node class object.")
        String name) {}
