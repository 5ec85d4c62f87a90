package dev.karpenter.disruption.decision;

import dev.karpenter.api.v1.Budget;
import dev.karpenter.api.v1.NodePool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A NodePool's disruption budgets, evaluated at an instant: the most restrictive active budget that
 * covers a reason wins; no budgets means the default {@code 10%}. A budget whose schedule cannot be
 * parsed allows nothing (fail closed, as upstream does on an invalid cron).
 */
public final class Budgets {
  static final Budget DEFAULT = new Budget("10%", null, null, null);

  /** One budget with its parsed schedule (null when always active) or its parse error. */
  private record Entry(int index, Budget budget, BudgetSchedule schedule, String error) {
    String describe() {
      StringBuilder b = new StringBuilder("budgets[").append(index).append("] nodes=");
      b.append(budget.nodes());
      if (budget.schedule() != null) {
        b.append(" schedule='").append(budget.schedule()).append("' duration=");
        b.append(budget.duration());
      }
      if (budget.reasons() != null && !budget.reasons().isEmpty()) {
        b.append(" reasons=").append(budget.reasons());
      }
      return b.toString();
    }
  }

  /**
   * The verdict for one reason.
   *
   * @param nodes budgeted node count (before subtracting nodes already being disrupted)
   * @param inForce the budget that set it, e.g. {@code budgets[1] nodes=0 schedule='0 9 * *
   *     MON-FRI' duration=10h}, or null when no budget covers the reason
   */
  public record Verdict(int nodes, String inForce) {}

  private final String nodePool;
  private final List<Entry> entries;

  private Budgets(String nodePool, List<Entry> entries) {
    this.nodePool = nodePool;
    this.entries = entries;
  }

  public static Budgets of(NodePool pool) {
    List<Budget> budgets =
        pool.getSpec() == null ? null : pool.getSpec().disruptionOrDefault().budgets();
    return of(pool.getMetadata().getName(), budgets);
  }

  public static Budgets of(String nodePool, List<Budget> budgets) {
    List<Budget> list = budgets == null ? List.of(DEFAULT) : budgets;
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Budget b = list.get(i);
      BudgetSchedule s = null;
      String error = null;
      try {
        parseNodes(b.nodes() == null ? "10%" : b.nodes(), 1);
        if (b.schedule() != null || b.duration() != null) {
          if (b.schedule() == null || b.duration() == null) {
            throw new IllegalArgumentException("'schedule' must be set with 'duration'");
          }
          s = BudgetSchedule.parse(b.schedule(), b.duration());
        }
      } catch (IllegalArgumentException e) {
        error = e.getMessage();
      }
      entries.add(new Entry(i, b, s, error));
    }
    return new Budgets(nodePool, List.copyOf(entries));
  }

  /** Problems with the budgets ("budgets[1]: ..."), empty when all parse. */
  public List<String> errors() {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.error() != null) {
        out.add("budgets[" + e.index() + "]: " + e.error());
      }
    }
    return out;
  }

  /** {@code nodes} of a budget: a count, or a percentage of {@code poolNodes} rounded up. */
  static int parseNodes(String nodes, int poolNodes) {
    String n = nodes.trim();
    try {
      if (n.endsWith("%")) {
        int pct = Integer.parseInt(n.substring(0, n.length() - 1));
        if (pct < 0 || pct > 100) {
          throw new IllegalArgumentException("nodes '" + nodes + "': percentage must be 0..100");
        }
        return (int) Math.ceil(pct * (double) poolNodes / 100.0);
      }
      int c = Integer.parseInt(n);
      if (c < 0) {
        throw new IllegalArgumentException("nodes '" + nodes + "' must not be negative");
      }
      return c;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "nodes '" + nodes + "' is neither a count (\"1\") nor a percentage (\"10%\")");
    }
  }

  private static boolean covers(Budget b, Reason reason) {
    Budget.Reason r = reason.budgetReason();
    return r != null && (b.reasons() == null || b.reasons().isEmpty() || b.reasons().contains(r));
  }

  /** How many of {@code poolNodes} nodes may be disrupted for {@code reason} at {@code now}. */
  public Verdict verdict(Reason reason, int poolNodes, Instant now) {
    if (reason == Reason.Expired) {
      return new Verdict(Integer.MAX_VALUE, null);
    }
    int allowed = Integer.MAX_VALUE;
    String inForce = null;
    for (Entry e : entries) {
      if (!covers(e.budget(), reason)) {
        continue;
      }
      int n;
      if (e.error() != null) {
        n = 0;
      } else if (e.schedule() != null && !e.schedule().isActive(now)) {
        continue;
      } else {
        n = parseNodes(e.budget().nodes() == null ? "10%" : e.budget().nodes(), poolNodes);
      }
      if (n < allowed) {
        allowed = n;
        inForce = e.error() != null ? e.describe() + " (invalid: " + e.error() + ")" : e.describe();
      }
    }
    return new Verdict(allowed, inForce);
  }

  /**
   * The first instant after {@code now}, within {@code horizon}, at which a reason that allows no
   * disruption now allows some; empty when it is allowed now or stays blocked.
   */
  public Optional<Instant> nextWindow(Reason reason, int poolNodes, Instant now, Duration horizon) {
    if (verdict(reason, poolNodes, now).nodes() > 0) {
      return Optional.empty();
    }
    Instant to = now.plus(horizon);
    TreeSet<Instant> points = new TreeSet<>();
    for (Entry e : entries) {
      if (e.schedule() != null && covers(e.budget(), reason)) {
        points.addAll(e.schedule().changePoints(now, to, 5000));
      }
    }
    for (Instant p : points) {
      if (verdict(reason, poolNodes, p).nodes() > 0) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * The first instant after {@code now}, within {@code horizon}, at which the verdict for {@code
   * reason} (its count or the budget in force) differs from now's: when a window opens or closes.
   */
  public Optional<Instant> nextChange(Reason reason, int poolNodes, Instant now, Duration horizon) {
    Verdict current = verdict(reason, poolNodes, now);
    TreeSet<Instant> points = new TreeSet<>();
    for (Entry e : entries) {
      if (e.schedule() != null && covers(e.budget(), reason)) {
        points.addAll(e.schedule().changePoints(now, now.plus(horizon), 5000));
      }
    }
    for (Instant p : points) {
      if (!verdict(reason, poolNodes, p).equals(current)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** True when the pool sets no budgets and the default {@code 10%} applies. */
  public boolean defaulted() {
    return entries.size() == 1 && entries.get(0).budget() == DEFAULT;
  }

  public String nodePool() {
    return nodePool;
  }
}
