package dev.karpenter.simulate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.karpenter.disruption.decision.Decision;
import dev.karpenter.disruption.decision.DisruptionPlan;
import dev.karpenter.disruption.decision.Reason;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a disruption plan as tables for people or as the {@code -o json} contract. */
public final class DisruptionPrinter {
  private DisruptionPrinter() {}

  /** {@code {"decisions": [...], "blocked": [...], "nextBudgetWindow"}}. */
  public static Map<String, Object> json(DisruptionPlan plan) {
    List<Object> decisions = new ArrayList<>();
    for (Decision d : plan.decisions()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("method", d.method().name());
      m.put("reason", d.reason().name());
      m.put("nodes", d.nodes());
      List<Object> reps = new ArrayList<>();
      for (Decision.Replacement r : d.replacements()) {
        Map<String, Object> rm = new LinkedHashMap<>();
        rm.put("instanceType", r.instanceType());
        rm.put("capacityType", r.capacityType());
        rm.put("pricePerHour", round(r.pricePerHour()));
        reps.add(rm);
      }
      m.put("replacements", reps);
      m.put("savingsPerHour", round(d.savingsPerHour()));
      decisions.add(m);
    }
    List<Object> blocked = new ArrayList<>();
    for (DisruptionPlan.Blocked b : plan.blocked()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", b.node());
      m.put("reason", b.reason());
      blocked.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("decisions", decisions);
    doc.put("blocked", blocked);
    doc.put(
        "nextBudgetWindow",
        plan.nextBudgetWindow() == null ? null : plan.nextBudgetWindow().toString());
    return doc;
  }

  private static double round(double d) {
    return Math.round(d * 1e6) / 1e6;
  }

  public static void printJson(DisruptionPlan plan, PrintWriter out) {
    try {
      out.println(
          new ObjectMapper()
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(json(plan)));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void printTable(DisruptionPlan plan, java.time.Instant at, PrintWriter out) {
    out.println("Disruption at " + at + " (" + plan.candidatesConsidered() + " candidates)");
    out.println();
    if (plan.decisions().isEmpty()) {
      out.println("No disruption.");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"METHOD", "REASON", "NODES", "REPLACEMENT", "SAVED $/h"});
      for (Decision d : plan.decisions()) {
        String rep =
            d.replacements().isEmpty()
                ? "-"
                : String.join(
                    ", ",
                    d.replacements().stream()
                        .map(
                            r ->
                                r.instanceType()
                                    + " "
                                    + r.capacityType()
                                    + String.format(Locale.ROOT, " $%.4f/h", r.pricePerHour()))
                        .toList());
        rows.add(
            new String[] {
              d.method().name(),
              d.reason().name(),
              String.join(",", d.nodes()),
              rep,
              String.format(Locale.ROOT, "%.4f", d.savingsPerHour())
            });
      }
      table(rows, out);
    }
    if (!plan.blocked().isEmpty()) {
      out.println();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NODE", "NODEPOOL", "STAYS BECAUSE"});
      for (DisruptionPlan.Blocked b : plan.blocked()) {
        rows.add(new String[] {b.node(), b.nodePool() == null ? "-" : b.nodePool(), b.reason()});
      }
      table(rows, out);
    }
    if (!plan.budgets().isEmpty()) {
      out.println();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NODEPOOL", "NODES", "EMPTY", "DRIFTED", "UNDERUTILIZED", "IN FORCE"});
      for (DisruptionPlan.PoolBudget b : plan.budgets()) {
        String force =
            b.inForce().isEmpty()
                ? "-"
                : String.valueOf(
                    b.inForce().get(Reason.Underutilized) != null
                        ? b.inForce().get(Reason.Underutilized)
                        : b.inForce().values().iterator().next());
        rows.add(
            new String[] {
              b.nodePool(),
              Integer.toString(b.nodes()),
              b.allowed().get(Reason.Empty).toString(),
              b.allowed().get(Reason.Drifted).toString(),
              b.allowed().get(Reason.Underutilized).toString(),
              force
            });
      }
      table(rows, out);
    }
    out.println();
    out.println(
        "Next budget window: "
            + (plan.nextBudgetWindow() == null
                ? "none (no NodePool is blocked by a schedule)"
                : plan.nextBudgetWindow()));
  }

  private static void table(List<String[]> rows, PrintWriter out) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        b.append(i == cols - 1 ? r[i] : String.format("%-" + (w[i] + 2) + "s", r[i]));
      }
      out.println(b.toString().stripTrailing());
    }
  }
}
