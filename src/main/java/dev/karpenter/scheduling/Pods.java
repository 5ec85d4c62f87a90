package dev.karpenter.scheduling;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Kubernetes pod rules the scheduler needs: effective requests, tolerations, host ports. */
public final class Pods {
  private Pods() {}

  /**
   * The pod's effective requests per Kubernetes rules: the larger of the sum of app containers
   * (plus restartable init "sidecar" containers) and each init container in turn, plus pod
   * overhead, plus one {@code pods} slot. A container with limits but no requests requests its
   * limits.
   */
  public static Resources requests(PodSpec spec) {
    Resources apps = Resources.NONE;
    for (Container c : nullSafe(spec.getContainers())) {
      apps = apps.plus(containerRequests(c));
    }
    Resources sidecars = Resources.NONE;
    Resources initMax = Resources.NONE;
    for (Container c : nullSafe(spec.getInitContainers())) {
      Resources r = containerRequests(c);
      if ("Always".equals(c.getRestartPolicy())) {
        sidecars = sidecars.plus(r);
        initMax = max(initMax, sidecars);
      } else {
        initMax = max(initMax, sidecars.plus(r));
      }
    }
    Resources total = max(apps.plus(sidecars), initMax);
    if (spec.getOverhead() != null) {
      total = total.plus(parse(spec.getOverhead()));
    }
    return total.plus(Resources.of("pods", 1000));
  }

  private static Resources containerRequests(Container c) {
    if (c.getResources() == null) {
      return Resources.NONE;
    }
    Map<String, Quantity> merged = new HashMap<>();
    if (c.getResources().getLimits() != null) {
      merged.putAll(c.getResources().getLimits());
    }
    if (c.getResources().getRequests() != null) {
      merged.putAll(c.getResources().getRequests());
    }
    return parse(merged);
  }

  public static Resources parse(Map<String, Quantity> quantities) {
    Map<String, Long> m = new HashMap<>();
    quantities.forEach((k, q) -> m.merge(k, milli(q), Long::sum));
    return new Resources(m);
  }

  public static long milli(Quantity q) {
    String format = q.getFormat() == null ? "" : q.getFormat();
    return Quantities.parseMilli(q.getAmount() + format);
  }

  private static Resources max(Resources a, Resources b) {
    Map<String, Long> m = new HashMap<>(a.milli());
    b.milli().forEach((k, v) -> m.merge(k, v, Math::max));
    return new Resources(m);
  }

  /** Whether one of {@code tolerations} tolerates {@code taint} (Kubernetes semantics). */
  public static boolean tolerates(List<Toleration> tolerations, Taint taint) {
    for (Toleration t : nullSafe(tolerations)) {
      if (t.getEffect() != null
          && !t.getEffect().isEmpty()
          && !t.getEffect().equals(taint.getEffect())) {
        continue;
      }
      boolean exists = "Exists".equals(t.getOperator());
      if (t.getKey() == null || t.getKey().isEmpty()) {
        if (exists) {
          return true;
        }
        continue;
      }
      if (!t.getKey().equals(taint.getKey())) {
        continue;
      }
      if (exists || Objects.equals(nullToEmpty(t.getValue()), nullToEmpty(taint.getValue()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The first taint in {@code taints} that the pod does not tolerate, or null. PreferNoSchedule
   * taints count only when {@code includePreferNoSchedule}.
   */
  public static Taint untolerated(
      List<Toleration> tolerations, List<Taint> taints, boolean includePreferNoSchedule) {
    for (Taint taint : taints) {
      if ("PreferNoSchedule".equals(taint.getEffect()) && !includePreferNoSchedule) {
        continue;
      }
      if (!tolerates(tolerations, taint)) {
        return taint;
      }
    }
    return null;
  }

  public static String describe(Taint t) {
    return t.getKey()
        + (t.getValue() == null || t.getValue().isEmpty() ? "" : "=" + t.getValue())
        + ":"
        + t.getEffect();
  }

  /** Host ports as "protocol/ip/port" entries. */
  public static List<String> hostPorts(PodSpec spec) {
    List<String> out = new ArrayList<>();
    List<Container> all = new ArrayList<>(nullSafe(spec.getContainers()));
    all.addAll(nullSafe(spec.getInitContainers()));
    for (Container c : all) {
      for (ContainerPort p : nullSafe(c.getPorts())) {
        if (p.getHostPort() != null && p.getHostPort() > 0) {
          String ip = p.getHostIP() == null || p.getHostIP().isEmpty() ? "0.0.0.0" : p.getHostIP();
          String proto = p.getProtocol() == null ? "TCP" : p.getProtocol();
          out.add(proto + "/" + ip + "/" + p.getHostPort());
        }
      }
    }
    return out;
  }

  /** Two host-port entries collide: same protocol and port, and the IPs overlap. */
  public static boolean portsConflict(String a, String b) {
    String[] x = a.split("/", 3);
    String[] y = b.split("/", 3);
    return x[0].equals(y[0])
        && x[2].equals(y[2])
        && (x[1].equals(y[1]) || x[1].equals("0.0.0.0") || y[1].equals("0.0.0.0"));
  }

  /** Requirements from one node-selector term. */
  public static Requirements term(NodeSelectorTerm term) {
    List<Requirement> reqs = new ArrayList<>();
    for (NodeSelectorRequirement r : nullSafe(term.getMatchExpressions())) {
      reqs.add(Requirement.of(r.getKey(), r.getOperator(), r.getValues()));
    }
    return Requirements.of(reqs);
  }

  /** Whether a label selector matches {@code labels}; a null selector matches nothing. */
  public static boolean selects(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return false;
    }
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    for (LabelSelectorRequirement r : nullSafe(selector.getMatchExpressions())) {
      String v = labels.get(r.getKey());
      List<String> values = nullSafe(r.getValues());
      boolean ok =
          switch (r.getOperator()) {
            case "In" -> v != null && values.contains(v);
            case "NotIn" -> v == null || !values.contains(v);
            case "Exists" -> v != null;
            case "DoesNotExist" -> v == null;
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  public static <T> List<T> nullSafe(List<T> l) {
    return l == null ? List.of() : l;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
