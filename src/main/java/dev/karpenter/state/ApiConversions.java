package dev.karpenter.state;

import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues.Operator;
import dev.karpenter.api.v1.Taint;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Quantities;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Converts between the v1 API objects and the scheduler's values. */
public final class ApiConversions {
  private ApiConversions() {}

  public static Requirements requirements(List<NodeSelectorRequirementWithMinValues> api) {
    List<Requirement> out = new ArrayList<>();
    for (NodeSelectorRequirementWithMinValues r : api) {
      out.add(
          Requirement.of(
              r.key(),
              r.operator().name(),
              r.valuesOrEmpty(),
              r.minValues() == null ? 0 : r.minValues()));
    }
    return Requirements.of(out);
  }

  /** The API form; a requirement bounded on both sides becomes a Gt and an Lt entry. */
  public static List<NodeSelectorRequirementWithMinValues> toApi(Requirements requirements) {
    List<NodeSelectorRequirementWithMinValues> out = new ArrayList<>();
    for (Requirement r : requirements.all()) {
      Integer min = r.minValues() > 0 ? r.minValues() : null;
      if (!r.complement()) {
        out.add(
            new NodeSelectorRequirementWithMinValues(
                r.key(),
                r.values().isEmpty() ? Operator.DoesNotExist : Operator.In,
                r.values().isEmpty() ? null : List.copyOf(new TreeSet<>(r.values())),
                min));
        continue;
      }
      boolean bounded = false;
      if (r.greaterThan() != null) {
        out.add(
            new NodeSelectorRequirementWithMinValues(
                r.key(), Operator.Gt, List.of(String.valueOf(r.greaterThan())), min));
        bounded = true;
      }
      if (r.lessThan() != null) {
        out.add(
            new NodeSelectorRequirementWithMinValues(
                r.key(), Operator.Lt, List.of(String.valueOf(r.lessThan())), min));
        bounded = true;
      }
      if (!r.values().isEmpty()) {
        out.add(
            new NodeSelectorRequirementWithMinValues(
                r.key(), Operator.NotIn, List.copyOf(new TreeSet<>(r.values())), min));
      } else if (!bounded) {
        out.add(new NodeSelectorRequirementWithMinValues(r.key(), Operator.Exists, null, min));
      }
    }
    return out;
  }

  public static Resources resources(Map<String, Quantity> quantities) {
    return quantities == null ? Resources.NONE : Pods.parse(quantities);
  }

  public static Map<String, Quantity> quantities(Resources resources) {
    Map<String, Quantity> out = new LinkedHashMap<>();
    resources.toQuantities().forEach((k, v) -> out.put(k, new Quantity(v)));
    return out;
  }

  public static List<io.fabric8.kubernetes.api.model.Taint> taints(List<Taint> api) {
    return api.stream().map(Taint::toModel).toList();
  }

  /**
   * The NodePool's limits; a pool without limits is unlimited ({@link Resources#NONE}). A limit too
   * large for a long of milli-units counts as the largest one (unlimited in effect); a negative or
   * unparseable one as zero (and {@link #limitsValid} is false: the pool is not provisioned from).
   * {@link #limitProblems} says which.
   */
  public static Resources limits(NodePool pool) {
    Map<String, Long> m = new LinkedHashMap<>();
    pool.getSpec().limitsOrEmpty().forEach((k, q) -> m.put(k, limitMilli(q)));
    return new Resources(m);
  }

  /**
   * The limits as the scheduler counts them. {@link Resources} drops zeros, which would turn {@code
   * limits: {cpu: 0}} (how a pool is paused) into no limit at all; a zero limit becomes one
   * milli-unit instead, which admits exactly what zero does: any type with none of that resource,
   * none with some (capacities are whole units or bytes, at least a thousand milli-units).
   */
  public static Resources schedulingLimits(NodePool pool) {
    Map<String, Long> m = new LinkedHashMap<>();
    pool.getSpec().limitsOrEmpty().forEach((k, q) -> m.put(k, Math.max(1, limitMilli(q))));
    return new Resources(m);
  }

  private static long limitMilli(Quantity q) {
    try {
      return Pods.milli(q);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  /**
   * Whether every limit is a non-negative quantity (one too large to count is valid: unlimited in
   * effect). A pool with an invalid limit is not provisioned from, as upstream does not use a
   * NodePool that is not Ready.
   */
  public static boolean limitsValid(NodePool pool) {
    for (Quantity q : pool.getSpec().limitsOrEmpty().values()) {
      try {
        Pods.milli(q);
      } catch (ArithmeticException e) {
        // beyond a long of milli-units: saturates
      } catch (IllegalArgumentException | NullPointerException e) {
        return false;
      }
    }
    return true;
  }

  /** What is wrong with the NodePool's limits, one message per bad entry (empty if nothing). */
  public static List<String> limitProblems(NodePool pool) {
    List<String> out = new ArrayList<>();
    pool.getSpec()
        .limitsOrEmpty()
        .forEach(
            (k, q) -> {
              String text = q == null ? "null" : q.getAmount() + nullToEmpty(q.getFormat());
              try {
                Pods.milli(q);
              } catch (ArithmeticException e) {
                out.add(
                    "spec.limits."
                        + k
                        + ": '"
                        + text
                        + "' is beyond the largest quantity counted; treated as unlimited");
              } catch (IllegalArgumentException | NullPointerException e) {
                out.add(
                    "spec.limits."
                        + k
                        + ": '"
                        + text
                        + "' is not a non-negative quantity; nothing is launched from this"
                        + " NodePool");
              }
            });
    return out;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  public static String format(String resource, long milli) {
    return Quantities.format(resource, milli);
  }
}
