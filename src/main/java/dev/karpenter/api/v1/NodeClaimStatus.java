package dev.karpenter.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Observed state of a NodeClaim: the instance, the node and lifecycle conditions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeClaimStatus {
  @JsonPropertyDescription("Name of the Node that registered for this NodeClaim.")
  private String nodeName;

  @JsonPropertyDescription("Provider ID of the instance, e.g. aws:///us-east-1a/i-0123.")
  private String providerID;

  @JsonPropertyDescription("Image (AMI) the instance was launched from.")
  private String imageID;

  @JsonPropertyDescription("Capacity of the node (estimated until it registers).")
  private Map<String, Quantity> capacity = new LinkedHashMap<>();

  @JsonPropertyDescription("Allocatable resources of the node (estimated until it registers).")
  private Map<String, Quantity> allocatable = new LinkedHashMap<>();

  @JsonPropertyDescription(
      "Conditions: Launched, Registered, Initialized, Ready, Drifted, Consolidatable ...")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Last time a pod was bound to or removed from the node.")
  private String lastPodEventTime;

  public String getNodeName() {
    return nodeName;
  }

  public void setNodeName(String nodeName) {
    this.nodeName = nodeName;
  }

  public String getProviderID() {
    return providerID;
  }

  public void setProviderID(String providerID) {
    this.providerID = providerID;
  }

  public String getImageID() {
    return imageID;
  }

  public void setImageID(String imageID) {
    this.imageID = imageID;
  }

  public Map<String, Quantity> getCapacity() {
    return capacity;
  }

  public void setCapacity(Map<String, Quantity> capacity) {
    this.capacity = capacity;
  }

  public Map<String, Quantity> getAllocatable() {
    return allocatable;
  }

  public void setAllocatable(Map<String, Quantity> allocatable) {
    this.allocatable = allocatable;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getLastPodEventTime() {
    return lastPodEventTime;
  }

  public void setLastPodEventTime(String lastPodEventTime) {
    this.lastPodEventTime = lastPodEventTime;
  }
}
