package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** The template every NodeClaim of a NodePool is made from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeClaimTemplate(
    @JsonPropertyDescription("Labels and annotations of the nodes.")
        NodeClaimTemplateMetadata metadata,
    @Required @JsonPropertyDescription("The shape of the nodes.") NodeClaimTemplateSpec spec) {

  public NodeClaimTemplateMetadata metadataOrEmpty() {
    return metadata == null ? new NodeClaimTemplateMetadata(null, null) : metadata;
  }
}
