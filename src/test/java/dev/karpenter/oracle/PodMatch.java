package dev.karpenter.oracle;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes' own matching rules, written here independently of the scheduler under test: node
 * selectors, required node affinity (OR of terms, AND of expressions), taints and tolerations, and
 * effective pod requests.
 */
final class PodMatch {
  private PodMatch() {}

  /** The pod's nodeSelector and required node affinity accept a node labelled {@code labels}. */
  static boolean matchesNode(PodSpec spec, Map<String, String> labels) {
    if (spec.getNodeSelector() != null) {
      for (Map.Entry<String, String> e : spec.getNodeSelector().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (spec.getAffinity() == null
        || spec.getAffinity().getNodeAffinity() == null
        || spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
            == null) {
      return true;
    }
    List<NodeSelectorTerm> terms =
        spec.getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    for (NodeSelectorTerm t : terms) {
      if (termMatches(t, labels)) {
        return true;
      }
    }
    return false;
  }

  static boolean termMatches(NodeSelectorTerm t, Map<String, String> labels) {
    if (t.getMatchExpressions() == null || t.getMatchExpressions().isEmpty()) {
      return false; // an empty term matches no node
    }
    for (NodeSelectorRequirement r : t.getMatchExpressions()) {
      if (!expressionMatches(r, labels)) {
        return false;
      }
    }
    return true;
  }

  static boolean expressionMatches(NodeSelectorRequirement r, Map<String, String> labels) {
    String v = labels.get(r.getKey());
    List<String> values = r.getValues() == null ? List.of() : r.getValues();
    return switch (r.getOperator()) {
      case "In" -> v != null && values.contains(v);
      case "NotIn" -> v == null || !values.contains(v);
      case "Exists" -> v != null;
      case "DoesNotExist" -> v == null;
      case "Gt" -> v != null && isInt(v) && Long.parseLong(v) > Long.parseLong(values.get(0));
      case "Lt" -> v != null && isInt(v) && Long.parseLong(v) < Long.parseLong(values.get(0));
      default -> throw new IllegalArgumentException("operator " + r.getOperator());
    };
  }

  private static boolean isInt(String s) {
    return s.matches("-?\\d+");
  }

  /** Every NoSchedule/NoExecute taint is tolerated. */
  static boolean tolerates(List<Toleration> tolerations, List<Taint> taints) {
    for (Taint t : taints) {
      if ("PreferNoSchedule".equals(t.getEffect())) {
        continue;
      }
      boolean ok = false;
      for (Toleration tol : tolerations == null ? List.<Toleration>of() : tolerations) {
        if (tolerationMatches(tol, t)) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static boolean tolerationMatches(Toleration tol, Taint t) {
    if (tol.getEffect() != null
        && !tol.getEffect().isEmpty()
        && !tol.getEffect().equals(t.getEffect())) {
      return false;
    }
    boolean exists = "Exists".equals(tol.getOperator());
    if (tol.getKey() == null || tol.getKey().isEmpty()) {
      return exists;
    }
    if (!tol.getKey().equals(t.getKey())) {
      return false;
    }
    if (exists) {
      return true;
    }
    String tv = t.getValue() == null ? "" : t.getValue();
    String v = tol.getValue() == null ? "" : tol.getValue();
    return tv.equals(v);
  }

  /** Effective requests in milli-units: max(sum of containers, each init container), plus 1 pod. */
  static Map<String, Long> requests(PodSpec spec) {
    Map<String, Long> sum = new HashMap<>();
    for (Container c : spec.getContainers()) {
      add(sum, c);
    }
    if (spec.getInitContainers() != null) {
      for (Container c : spec.getInitContainers()) {
        Map<String, Long> one = new HashMap<>();
        add(one, c);
        one.forEach((k, v) -> sum.merge(k, v, Math::max));
      }
    }
    sum.merge("pods", 1000L, Long::sum);
    return sum;
  }

  private static void add(Map<String, Long> into, Container c) {
    if (c.getResources() == null) {
      return;
    }
    Map<String, Quantity> req = c.getResources().getRequests();
    if (req == null || req.isEmpty()) {
      req = c.getResources().getLimits();
    }
    if (req == null) {
      return;
    }
    req.forEach((k, q) -> into.merge(k, milli(q), Long::sum));
  }

  static long milli(Quantity q) {
    BigDecimal b = Quantity.getAmountInBytes(q).multiply(BigDecimal.valueOf(1000));
    return b.setScale(0, java.math.RoundingMode.CEILING).longValueExact();
  }

  static boolean daemonSetFits(DaemonSet d, Map<String, String> labels, List<Taint> taints) {
    PodSpec s = d.getSpec().getTemplate().getSpec();
    return matchesNode(s, labels) && tolerates(s.getTolerations(), taints);
  }

  /** The pod the DaemonSet controller would create for {@code node}, already bound to it. */
  static Pod daemonPod(DaemonSet d, String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(d.getMetadata().getName() + "-" + node)
        .withNamespace(d.getMetadata().getNamespace())
        .withLabels(d.getSpec().getTemplate().getMetadata().getLabels())
        .endMetadata()
        .withSpec(
            new io.fabric8.kubernetes.api.model.PodSpecBuilder(d.getSpec().getTemplate().getSpec())
                .withNodeName(node)
                .build())
        .build();
  }
}
