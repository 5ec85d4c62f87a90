package dev.karpenter.provisioning.scheduling;

import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Map;

/**
 * A NodeClaim the scheduler would create.
 *
 * @param instanceType the option that would launch (cheapest available offering)
 * @param instanceTypeOptions price-ordered, at most 60
 * @param requests pod requests plus DaemonSet overhead of the launched type
 * @param explanation why this instance type, when {@link Scheduler.Options#explain()} asked
 */
public record NodeClaimPlan(
    String nodePool,
    String instanceType,
    String capacityType,
    String zone,
    double pricePerHour,
    List<String> instanceTypeOptions,
    Map<String, String> labels,
    List<Taint> taints,
    Requirements requirements,
    Resources requests,
    List<String> pods,
    Explanation explanation) {
  public NodeClaimPlan {
    instanceTypeOptions = List.copyOf(instanceTypeOptions);
    labels = Map.copyOf(labels);
    taints = List.copyOf(taints);
    pods = List.copyOf(pods);
  }

  public NodeClaimPlan(
      String nodePool,
      String instanceType,
      String capacityType,
      String zone,
      double pricePerHour,
      List<String> instanceTypeOptions,
      Map<String, String> labels,
      List<Taint> taints,
      Requirements requirements,
      Resources requests,
      List<String> pods) {
    this(
        nodePool,
        instanceType,
        capacityType,
        zone,
        pricePerHour,
        instanceTypeOptions,
        labels,
        taints,
        requirements,
        requests,
        pods,
        null);
  }

  /**
   * Why the NodeClaim got its instance type: {@code chosen} is the reason for the launched
   * offering; {@code cheaper} lists the cheapest types of the NodePool (at most ten) whose cheapest
   * offering the NodePool allows is below the launched price, each with what ruled it out (types
   * the NodePool's own requirements exclude come last); {@code cheaperByCause} counts all of them
   * by cause ({@code nodepool}, {@code requirement} of the pods, {@code offering}, {@code
   * resources}, {@code limit}, {@code exotic}, {@code capacity-type}, {@code options}).
   */
  public record Explanation(
      String chosen, List<RuledOut> cheaper, Map<String, Integer> cheaperByCause) {
    public Explanation {
      cheaper = List.copyOf(cheaper);
      cheaperByCause = Map.copyOf(cheaperByCause);
    }
  }

  /** A cheaper instance type and why the NodeClaim cannot launch it. */
  public record RuledOut(String instanceType, double pricePerHour, String cause, String reason) {}
}
