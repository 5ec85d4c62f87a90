package dev.karpenter.api.aws.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.karpenter.api.v1.Condition;
import java.util.ArrayList;
import java.util.List;

/** Resolved subnets, security groups, AMIs and readiness of an EC2NodeClass. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EC2NodeClassStatus {
  @JsonPropertyDescription("Subnets resolved from subnetSelectorTerms.")
  private List<Subnet> subnets = new ArrayList<>();

  @JsonPropertyDescription("Security groups resolved from securityGroupSelectorTerms.")
  private List<SecurityGroup> securityGroups = new ArrayList<>();

  @JsonPropertyDescription("AMIs resolved from amiSelectorTerms, with their requirements.")
  private List<Ami> amis = new ArrayList<>();

  @JsonPropertyDescription("The instance profile nodes use.")
  private String instanceProfile;

  @JsonPropertyDescription(
      "Conditions: AMIsReady, SubnetsReady, SecurityGroupsReady, InstanceProfileReady,"
          + " ValidationSucceeded, Ready.")
  private List<Condition> conditions = new ArrayList<>();

  /** A resolved subnet. */
  public record Subnet(String id, String zone, String zoneID) {}

  /** A resolved security group. */
  public record SecurityGroup(String id, String name) {}

  /** A resolved AMI. */
  public record Ami(String id, String name, Boolean deprecated, List<Requirement> requirements) {}

  /** A requirement an AMI places on instance types, e.g. kubernetes.io/arch In [arm64]. */
  public record Requirement(String key, String operator, List<String> values) {}

  public List<Subnet> getSubnets() {
    return subnets;
  }

  public void setSubnets(List<Subnet> subnets) {
    this.subnets = subnets;
  }

  public List<SecurityGroup> getSecurityGroups() {
    return securityGroups;
  }

  public void setSecurityGroups(List<SecurityGroup> securityGroups) {
    this.securityGroups = securityGroups;
  }

  public List<Ami> getAmis() {
    return amis;
  }

  public void setAmis(List<Ami> amis) {
    this.amis = amis;
  }

  public String getInstanceProfile() {
    return instanceProfile;
  }

  public void setInstanceProfile(String instanceProfile) {
    this.instanceProfile = instanceProfile;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }
}
