package dev.karpenter.simulate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import io.fabric8.kubernetes.api.model.Taint;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a plan as a table for people or as the JSON contract tooling depends on. */
public final class PlanPrinter {
  private PlanPrinter() {}

  /** The {@code simulate -o json} document. */
  public static Map<String, Object> json(SchedulingResult r) {
    List<Object> claims = new ArrayList<>();
    for (NodeClaimPlan p : r.nodeClaims()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("nodePool", p.nodePool());
      c.put("instanceType", p.instanceType());
      c.put("capacityType", p.capacityType());
      c.put("zone", p.zone());
      c.put("pricePerHour", round(p.pricePerHour()));
      c.put("instanceTypeOptions", p.instanceTypeOptions());
      c.put("labels", p.labels());
      List<Object> taints = new ArrayList<>();
      for (Taint t : p.taints()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", t.getKey());
        if (t.getValue() != null) {
          m.put("value", t.getValue());
        }
        m.put("effect", t.getEffect());
        taints.add(m);
      }
      c.put("taints", taints);
      c.put("pods", p.pods());
      if (p.explanation() != null) {
        c.put("explanation", explanation(p.explanation()));
      }
      claims.add(c);
    }
    List<Object> existing = new ArrayList<>();
    r.existingNodes()
        .forEach(
            (name, pods) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("name", name);
              m.put("pods", pods);
              existing.add(m);
            });
    List<Object> unschedulable = new ArrayList<>();
    r.unschedulable()
        .forEach(
            (pod, reason) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("pod", pod);
              m.put("reason", reason);
              unschedulable.add(m);
            });
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("nodeClaims", claims);
    doc.put("existingNodes", existing);
    doc.put("unschedulable", unschedulable);
    doc.put("totalPricePerHour", round(r.totalPricePerHour()));
    return doc;
  }

  private static Map<String, Object> explanation(NodeClaimPlan.Explanation e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("chosen", e.chosen());
    List<Object> cheaper = new ArrayList<>();
    for (NodeClaimPlan.RuledOut r : e.cheaper()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("instanceType", r.instanceType());
      o.put("pricePerHour", round(r.pricePerHour()));
      o.put("cause", r.cause());
      o.put("reason", r.reason());
      cheaper.add(o);
    }
    m.put("cheaperRuledOut", cheaper);
    m.put("cheaperRuledOutByCause", new java.util.TreeMap<>(e.cheaperByCause()));
    return m;
  }

  private static double round(double d) {
    return Math.round(d * 1e6) / 1e6;
  }

  public static void printJson(SchedulingResult r, PrintWriter out) {
    try {
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(json(r)));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void printTable(SchedulingResult r, PrintWriter out) {
    printTable(r, out, false);
  }

  /** The table; {@code wide} adds, per NodeClaim, why it got its instance type. */
  public static void printTable(SchedulingResult r, PrintWriter out, boolean wide) {
    if (!r.nodeClaims().isEmpty()) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NODEPOOL", "INSTANCE-TYPE", "CAPACITY", "ZONE", "$/H", "PODS"});
      for (NodeClaimPlan p : r.nodeClaims()) {
        rows.add(
            new String[] {
              p.nodePool(),
              p.instanceType(),
              p.capacityType(),
              p.zone(),
              String.format(Locale.ROOT, "%.4f", p.pricePerHour()),
              String.join(",", p.pods())
            });
      }
      table(rows, out);
      out.println();
      if (wide) {
        printExplanations(r, out);
      }
    }
    if (!r.existingNodes().isEmpty()) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"EXISTING-NODE", "PODS"});
      r.existingNodes().forEach((n, pods) -> rows.add(new String[] {n, String.join(",", pods)}));
      table(rows, out);
      out.println();
    }
    if (!r.unschedulable().isEmpty()) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"UNSCHEDULABLE-POD", "REASON"});
      r.unschedulable().forEach((p, why) -> rows.add(new String[] {p, why}));
      table(rows, out);
      out.println();
    }
    out.printf(
        Locale.ROOT,
        "%d new node(s), %d pod(s) scheduled, %d unschedulable, total $%.4f/h%n",
        r.nodeClaims().size(),
        r.scheduledCount(),
        r.unschedulable().size(),
        r.totalPricePerHour());
  }

  private static void printExplanations(SchedulingResult r, PrintWriter out) {
    int n = 0;
    for (NodeClaimPlan p : r.nodeClaims()) {
      n++;
      NodeClaimPlan.Explanation e = p.explanation();
      if (e == null) {
        continue;
      }
      out.printf(Locale.ROOT, "NodeClaim %d (%s): %s%n", n, p.nodePool(), e.chosen());
      int total = 0;
      for (int c : e.cheaperByCause().values()) {
        total += c;
      }
      if (total == 0) {
        out.println("  no cheaper instance type in the NodePool");
      }
      for (NodeClaimPlan.RuledOut o : e.cheaper()) {
        out.printf(
            Locale.ROOT,
            "  %-20s $%.4f/h  %-13s %s%n",
            o.instanceType(),
            o.pricePerHour(),
            o.cause(),
            o.reason());
      }
      if (total > e.cheaper().size()) {
        List<String> parts = new ArrayList<>();
        new java.util.TreeMap<>(e.cheaperByCause()).forEach((k, v) -> parts.add(k + " " + v));
        out.printf(
            Locale.ROOT, "  ... %d cheaper type(s) in all: %s%n", total, String.join(", ", parts));
      }
      out.println();
    }
  }

  private static void table(List<String[]> rows, PrintWriter out) {
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length - 1; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        sb.append(row[i]);
        if (i < row.length - 1) {
          sb.append(" ".repeat(width[i] - row[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
