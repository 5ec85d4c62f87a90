package dev.karpenter.provisioning.scheduling;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Decides where pending pods go: existing nodes first, then in-flight NodeClaims, then new
 * NodeClaims from NodePools in weight order, and then makes the new nodes cheaper within a time
 * budget. Pure: the same snapshot always gives the same plan.
 */
public final class Scheduler {
  /**
   * Knobs of one run.
   *
   * @param ignorePreferences Karpenter's {@code --preference-policy=Ignore}
   * @param improveBudget time the cost improver may spend; zero disables it
   * @param maxNewNodes at most this many new NodeClaims (-1 = unbounded)
   * @param maxNewNodePrice new NodeClaims must launch strictly cheaper than this
   * @param explain attach to each NodeClaim why it got its instance type
   */
  public record Options(
      boolean ignorePreferences,
      Duration improveBudget,
      int maxNewNodes,
      double maxNewNodePrice,
      Clock clock,
      boolean explain) {
    public Options(
        boolean ignorePreferences,
        Duration improveBudget,
        int maxNewNodes,
        double maxNewNodePrice,
        Clock clock) {
      this(ignorePreferences, improveBudget, maxNewNodes, maxNewNodePrice, clock, false);
    }

    public static Options defaults() {
      return new Options(false, Duration.ofSeconds(2), -1, Double.MAX_VALUE, Clock.systemUTC());
    }

    public Options withImproveBudget(Duration d) {
      return new Options(ignorePreferences, d, maxNewNodes, maxNewNodePrice, clock, explain);
    }

    public Options withIgnorePreferences(boolean b) {
      return new Options(b, improveBudget, maxNewNodes, maxNewNodePrice, clock, explain);
    }

    public Options withExplain(boolean b) {
      return new Options(ignorePreferences, improveBudget, maxNewNodes, maxNewNodePrice, clock, b);
    }

    Options withNewNodeBound(int n, double price) {
      return new Options(ignorePreferences, improveBudget, n, price, clock, explain);
    }
  }

  private final Options options;

  public Scheduler() {
    this(Options.defaults());
  }

  public Scheduler(Options options) {
    this.options = options;
  }

  public SchedulingResult solve(SchedulingInput input) {
    Simulation sim = new Simulation(input, options);
    sim.run();
    if (!options.improveBudget().isZero() && options.maxNewNodes() < 0) {
      new CostImprover(sim, options.clock(), options.improveBudget()).improve();
    }
    return sim.result();
  }

  /**
   * The consolidation question: can {@code pods} (of the nodes being removed) all fit on the nodes
   * of {@code remaining}, plus at most one new node that launches strictly cheaper than {@code
   * newNodePriceCeiling}? Uses the same engine as provisioning.
   */
  public Reschedule canReschedule(
      List<Pod> pods, SchedulingInput remaining, double newNodePriceCeiling) {
    Options o = options.withNewNodeBound(1, newNodePriceCeiling);
    Simulation sim = new Simulation(remaining.withPendingPods(pods), o);
    sim.run();
    SchedulingResult r = sim.result();
    return new Reschedule(r.unschedulable().isEmpty(), r);
  }

  /** Answer to {@link #canReschedule}: {@code result} holds the placement and any new node. */
  public record Reschedule(boolean possible, SchedulingResult result) {}
}
