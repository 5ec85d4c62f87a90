package dev.karpenter.cloudprovider.simulated;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.state.Conditions;
import dev.karpenter.state.Writes;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * EC2NodeClass readiness on the simulated cloud: one subnet per zone of the region, a security
 * group, the AL2023 AMIs and an instance profile are "resolved" and the class becomes Ready, so
 * NodePools referencing it can launch.
 */
public final class SimulatedNodeClassReconciler implements Reconciler<EC2NodeClass> {
  private final Catalog catalog;
  private final Clock clock;

  public SimulatedNodeClassReconciler(Catalog catalog, Clock clock) {
    this.catalog = catalog;
    this.clock = clock;
  }

  @Override
  public UpdateControl<EC2NodeClass> reconcile(EC2NodeClass nc, Context<EC2NodeClass> ctx) {
    EC2NodeClassStatus old = nc.getStatus() == null ? new EC2NodeClassStatus() : nc.getStatus();
    EC2NodeClassStatus status = new EC2NodeClassStatus();
    TreeSet<String> zones = new TreeSet<>();
    for (InstanceType t : catalog.instanceTypes()) {
      for (Offering o : t.offerings()) {
        zones.add(o.zone());
      }
    }
    List<EC2NodeClassStatus.Subnet> subnets = new ArrayList<>();
    for (String z : zones) {
      subnets.add(new EC2NodeClassStatus.Subnet("subnet-sim-" + z, z, "sim-" + z));
    }
    status.setSubnets(subnets);
    status.setSecurityGroups(
        List.of(new EC2NodeClassStatus.SecurityGroup("sg-simulated", "karpenter-nodes")));
    List<EC2NodeClassStatus.Ami> amis = new ArrayList<>();
    for (String arch : List.of("amd64", "arm64")) {
      amis.add(
          new EC2NodeClassStatus.Ami(
              "ami-simulated-al2023-" + arch,
              "amazon-eks-node-al2023-" + arch + "-standard (simulated)",
              null,
              List.of(
                  new EC2NodeClassStatus.Requirement("kubernetes.io/arch", "In", List.of(arch)))));
    }
    status.setAmis(amis);
    String role = nc.getSpec() == null ? null : nc.getSpec().role();
    status.setInstanceProfile(role == null ? "simulated-instance-profile" : role + "-profile");
    List<Condition> conditions = Conditions.copy(old.getConditions());
    Long gen = nc.getMetadata().getGeneration();
    String amiProblem = amiProblem(nc);
    for (String type :
        List.of(
            "SubnetsReady",
            "SecurityGroupsReady",
            "AMIsReady",
            "InstanceProfileReady",
            "ValidationSucceeded",
            "Ready")) {
      if (amiProblem != null && (type.equals("AMIsReady") || type.equals("Ready"))) {
        Conditions.set(
            conditions,
            type,
            "False",
            type.equals("Ready") ? "AMIsNotReady" : "AMINotFound",
            amiProblem,
            gen,
            clock);
      } else {
        Conditions.set(conditions, type, "True", type, "", gen, clock);
      }
    }
    if (amiProblem != null) {
      status.setAmis(List.of());
    }
    status.setConditions(conditions);
    if (Objects.equals(old.getConditions(), conditions)
        && Objects.equals(old.getSubnets(), status.getSubnets())) {
      return UpdateControl.noUpdate();
    }
    EC2NodeClass fresh = new EC2NodeClass();
    fresh.getMetadata().setName(nc.getMetadata().getName());
    fresh.setStatus(status);
    Writes.patchStatus(ctx, nc, fresh);
    return UpdateControl.noUpdate();
  }

  /**
   * Why no AMI resolves, or null: this cloud has only its AL2023 images, which aliases and ids of
   * the form {@code ami-simulated-*} select; terms naming nothing else (other ids) select none.
   */
  static String amiProblem(EC2NodeClass nc) {
    var terms = nc.getSpec() == null ? null : nc.getSpec().amiSelectorTerms();
    if (terms == null || terms.isEmpty()) {
      return null;
    }
    for (var t : terms) {
      if (t.alias() != null || t.id() == null || t.id().startsWith("ami-simulated")) {
        return null;
      }
    }
    return "no AMI matches spec.amiSelectorTerms "
        + terms.stream().map(t -> "id=" + t.id()).toList()
        + " (this cloud resolves aliases such as al2023@latest)";
  }
}
