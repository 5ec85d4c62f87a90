package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Observed state of a NodePool. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodePoolStatus {
  @JsonPropertyDescription(
      "Total capacity of this NodePool's nodes: cpu, memory, pods, ephemeral-storage, nodes and"
          + " extended resources such as nvidia.com/gpu.")
  private Map<String, Quantity> resources = new LinkedHashMap<>();

  @StatusReplicas
  @JsonPropertyDescription("Number of nodes of this NodePool.")
  private Long nodes;

  @JsonPropertyDescription("Generation of the node class last seen.")
  private Long nodeClassObservedGeneration;

  @JsonPropertyDescription(
      "Conditions: ValidationSucceeded, NodeClassReady, NodeRegistrationHealthy and Ready.")
  private List<Condition> conditions = new ArrayList<>();

  public Map<String, Quantity> getResources() {
    return resources;
  }

  public void setResources(Map<String, Quantity> resources) {
    this.resources = resources;
  }

  public Long getNodes() {
    return nodes;
  }

  public void setNodes(Long nodes) {
    this.nodes = nodes;
  }

  public Long getNodeClassObservedGeneration() {
    return nodeClassObservedGeneration;
  }

  public void setNodeClassObservedGeneration(Long nodeClassObservedGeneration) {
    this.nodeClassObservedGeneration = nodeClassObservedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }
}
