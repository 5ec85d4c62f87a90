package dev.karpenter.disruption.decision;

import dev.karpenter.api.v1.Disruption.ConsolidationPolicy;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.disruption.decision.DisruptionPlan.Blocked;
import dev.karpenter.disruption.decision.DisruptionPlan.PoolBudget;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One disruption pass in Karpenter's order: forceful expiration, then the first graceful method
 * that yields a command (emptiness, drift, multi-node consolidation, single-node consolidation).
 * Pure: the same input and clock give the same plan. Consolidation asks {@link
 * Scheduler#canReschedule}, the provisioning engine, whether the pods fit elsewhere.
 */
public final class DisruptionEngine {
  /** Upstream's spot-to-spot flexibility rule: at least this many cheaper spot types. */
  public static final int SPOT_TO_SPOT_MIN_TYPES = 15;

  /**
   * Knobs.
   *
   * @param spotToSpot the SpotToSpotConsolidation feature gate
   * @param windowHorizon how far ahead to look for the next budget window
   */
  public record Options(boolean spotToSpot, Duration windowHorizon) {
    public static Options defaults() {
      return new Options(false, Duration.ofDays(31));
    }

    public Options withSpotToSpot(boolean b) {
      return new Options(b, windowHorizon);
    }
  }

  private final Clock clock;
  private final Scheduler scheduler;
  private final Options options;

  public DisruptionEngine(Clock clock, Scheduler scheduler, Options options) {
    this.clock = clock;
    this.scheduler = scheduler;
    this.options = options;
  }

  public DisruptionEngine(Clock clock) {
    this(clock, new Scheduler(), Options.defaults());
  }

  /** Per-node facts computed once per pass. */
  private static final class Node {
    final DisruptionNode n;
    final DisruptionPool pool;
    final List<Pod> reschedulable = new ArrayList<>();
    String podBlocker;
    String workloadBlocker;
    String drift;
    boolean consolidatable;
    String notConsolidatable;
    double disruptionCost;
    Resources requests = Resources.NONE;

    Node(DisruptionNode n, DisruptionPool pool) {
      this.n = n;
      this.pool = pool;
    }

    boolean empty() {
      return reschedulable.isEmpty();
    }

    String name() {
      return n.name();
    }

    String poolName() {
      return pool.name();
    }
  }

  /** Allowed disruptions per pool and reason, consumed as commands are formed. */
  private static final class Allowance {
    final Map<String, EnumMap<Reason, Integer>> left = new HashMap<>();
    final Map<String, EnumMap<Reason, String>> inForce = new HashMap<>();

    int left(String pool, Reason r) {
      return left.getOrDefault(pool, new EnumMap<>(Reason.class)).getOrDefault(r, 0);
    }

    void take(String pool, Reason r) {
      left.get(pool).merge(r, -1, Integer::sum);
    }

    String describe(String pool, Reason r) {
      String f = inForce.getOrDefault(pool, new EnumMap<>(Reason.class)).get(r);
      return "budget: NodePool "
          + pool
          + " allows no more "
          + r
          + " disruptions now"
          + (f == null ? "" : " (" + f + ")");
    }
  }

  public DisruptionPlan plan(DisruptionInput input) {
    Instant now = clock.instant();
    Map<String, DisruptionPool> pools = new HashMap<>();
    input.pools().forEach(p -> pools.put(p.name(), p));
    PodBlockers blockers = new PodBlockers(input.podDisruptionBudgets());
    List<Decision> decisions = new ArrayList<>();
    Map<String, Blocked> blocked = new LinkedHashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Integer> disrupting = new HashMap<>();
    List<Node> candidates = new ArrayList<>();
    Set<String> gone = new HashSet<>();
    Map<String, String> hashes = new HashMap<>();

    for (DisruptionNode n : input.nodes()) {
      if (!n.managed()) {
        continue;
      }
      total.merge(n.nodePool(), 1, Integer::sum);
      if (n.deleting()) {
        disrupting.merge(n.nodePool(), 1, Integer::sum);
        gone.add(n.name());
        continue;
      }
      DisruptionPool pool = pools.get(n.nodePool());
      if (pool == null) {
        blocked.put(n.name(), blocked(n, "NodePool " + n.nodePool() + " not found"));
        continue;
      }
      Optional<Duration> expire = GoDuration.parseOrNever(n.expireAfter());
      if (expire.isPresent()
          && n.createdAt() != null
          && !n.createdAt().plus(expire.get()).isAfter(now)) {
        decisions.add(
            new Decision(Method.Expiration, Reason.Expired, List.of(n.name()), List.of(), 0));
        gone.add(n.name());
        continue;
      }
      if (!n.initialized()) {
        blocked.put(n.name(), blocked(n, "not initialized yet"));
        continue;
      }
      if (n.nominated()) {
        blocked.put(n.name(), blocked(n, "nominated for pending pods or a pending replacement"));
        continue;
      }
      if ("true".equals(n.annotations().get(PodBlockers.DO_NOT_DISRUPT))) {
        blocked.put(n.name(), blocked(n, "node has " + PodBlockers.DO_NOT_DISRUPT + "=true"));
        continue;
      }
      candidates.add(
          evaluate(
              n,
              pool,
              hashes.computeIfAbsent(pool.name(), k -> NodePoolHash.of(pool.nodePool())),
              blockers,
              now,
              expire));
    }

    Allowance allowance = new Allowance();
    List<PoolBudget> budgets = new ArrayList<>();
    Instant nextWindow = null;
    for (DisruptionPool p : input.pools()) {
      Budgets b = Budgets.of(p.nodePool());
      int nodes = total.getOrDefault(p.name(), 0);
      int busy = disrupting.getOrDefault(p.name(), 0);
      EnumMap<Reason, Integer> left = new EnumMap<>(Reason.class);
      EnumMap<Reason, String> forced = new EnumMap<>(Reason.class);
      Instant poolWindow = null;
      for (Reason r : List.of(Reason.Empty, Reason.Drifted, Reason.Underutilized)) {
        Budgets.Verdict v = b.verdict(r, nodes, now);
        left.put(r, Math.max(0, v.nodes() == Integer.MAX_VALUE ? nodes : v.nodes() - busy));
        forced.put(r, v.inForce());
        if (nodes > 0 && v.nodes() == 0) {
          Optional<Instant> w = b.nextWindow(r, nodes, now, options.windowHorizon());
          if (w.isPresent() && (poolWindow == null || w.get().isBefore(poolWindow))) {
            poolWindow = w.get();
          }
        }
      }
      allowance.left.put(p.name(), left);
      allowance.inForce.put(p.name(), forced);
      budgets.add(new PoolBudget(p.name(), nodes, Map.copyOf(left), copy(forced), poolWindow));
      if (poolWindow != null && (nextWindow == null || poolWindow.isBefore(nextWindow))) {
        nextWindow = poolWindow;
      }
    }

    boolean compact = true;
    for (DisruptionNode n : input.nodes()) {
      for (Pod p : n.pods()) {
        compact &= !interPod(p);
      }
    }
    Map<String, ExistingNode> existing = new LinkedHashMap<>();
    Map<String, Resources> free = new HashMap<>();
    Resources freeTotal = Resources.NONE;
    for (DisruptionNode n : input.nodes()) {
      if (!gone.contains(n.name())) {
        existing.put(n.name(), existingNode(n, compact));
        Resources f = free(n);
        free.put(n.name(), f);
        freeTotal = freeTotal.plus(f);
      }
    }
    Context ctx = new Context(input, existing, pools, candidates, new HashMap<>(), free, freeTotal);
    Decision acted = emptiness(ctx, allowance, blocked);
    Method method = Method.Emptiness;
    if (acted == null) {
      acted = drift(ctx, allowance, blocked);
      method = Method.Drift;
    }
    if (acted == null) {
      acted = multiNode(ctx, allowance);
      method = Method.MultiNodeConsolidation;
    }
    if (acted == null) {
      acted = singleNode(ctx, allowance, blocked);
      method = Method.SingleNodeConsolidation;
    }
    Set<String> chosen = new HashSet<>();
    if (acted != null) {
      decisions.add(acted);
      chosen.addAll(acted.nodes());
    }
    for (Node c : candidates) {
      if (chosen.contains(c.name()) || blocked.containsKey(c.name())) {
        continue;
      }
      String why = standing(c);
      if (why == null) {
        why = acted == null ? "no disruption is cheaper" : "not evaluated: " + method + " acted";
      }
      blocked.put(c.name(), blocked(c.n, why));
    }
    Map<Reason, Integer> eligible = new EnumMap<>(Reason.class);
    eligible.put(Reason.Empty, 0);
    eligible.put(Reason.Drifted, 0);
    eligible.put(Reason.Underutilized, 0);
    for (Node c : candidates) {
      if (c.empty() && c.consolidatable) {
        eligible.merge(Reason.Empty, 1, Integer::sum);
      }
      if (c.drift != null && (c.podBlocker == null || c.n.terminationGracePeriod() != null)) {
        eligible.merge(Reason.Drifted, 1, Integer::sum);
      }
    }
    eligible.put(Reason.Underutilized, consolidationCandidates(ctx, allowance).size());
    return new DisruptionPlan(
        decisions, List.copyOf(blocked.values()), budgets, nextWindow, candidates.size(), eligible);
  }

  private static Map<Reason, String> copy(EnumMap<Reason, String> m) {
    Map<Reason, String> out = new LinkedHashMap<>();
    m.forEach(
        (k, v) -> {
          if (v != null) {
            out.put(k, v);
          }
        });
    return out;
  }

  private static Blocked blocked(DisruptionNode n, String reason) {
    return new Blocked(n.name(), n.nodePool(), reason);
  }

  /** Why a candidate that no method took would not be taken by consolidation, or null. */
  private static String standing(Node c) {
    if (c.podBlocker != null) {
      return c.podBlocker;
    }
    if (c.drift == null && c.workloadBlocker != null) {
      return c.workloadBlocker;
    }
    if (c.drift == null) {
      return c.notConsolidatable;
    }
    return null;
  }

  private Node evaluate(
      DisruptionNode n,
      DisruptionPool pool,
      String poolHash,
      PodBlockers blockers,
      Instant now,
      Optional<Duration> expire) {
    Node c = new Node(n, pool);
    NodePool np = pool.nodePool();
    Map<String, String> poolAnnotations =
        np.getMetadata().getAnnotations() == null ? Map.of() : np.getMetadata().getAnnotations();
    boolean protectJobs = !"false".equals(poolAnnotations.get(PodBlockers.PROTECT_RUNNING_JOBS));
    Map<String, String> selector = null;
    String sel = poolAnnotations.get(PodBlockers.PROTECTED_PODS);
    if (sel != null && !sel.isBlank()) {
      selector = LabelSelectors.parse(sel);
    }
    double cost = 0;
    for (Pod p : n.pods()) {
      if (!PodBlockers.reschedulable(p)) {
        continue;
      }
      c.reschedulable.add(p);
      if (p.getSpec() != null) {
        c.requests = c.requests.plus(Pods.requests(p.getSpec()));
      }
      cost += evictionCost(p);
      if (c.podBlocker == null) {
        c.podBlocker = blockers.blocker(p, now);
      }
      if (c.workloadBlocker == null) {
        c.workloadBlocker = PodBlockers.workload(p, protectJobs, selector);
      }
    }
    double lifetime = 1;
    if (expire.isPresent() && n.createdAt() != null && !expire.get().isZero()) {
      Duration left = Duration.between(now, n.createdAt().plus(expire.get()));
      lifetime = Math.clamp(left.toMillis() / (double) expire.get().toMillis(), 0.0, 1.0);
    }
    c.disruptionCost = cost * lifetime;
    c.drift = drift(n, pool, poolHash);

    var d = np.getSpec().disruptionOrDefault();
    ConsolidationPolicy policy =
        d.consolidationPolicy() == null
            ? ConsolidationPolicy.WhenEmptyOrUnderutilized
            : d.consolidationPolicy();
    String after = d.consolidateAfter() == null ? "0s" : d.consolidateAfter();
    Optional<Duration> wait = GoDuration.parseOrNever(after);
    Instant last = n.lastPodEventAt() != null ? n.lastPodEventAt() : n.createdAt();
    if (wait.isEmpty()) {
      c.notConsolidatable = "consolidateAfter is Never";
    } else if (last != null && last.plus(wait.get()).isAfter(now)) {
      c.notConsolidatable =
          "consolidateAfter "
              + after
              + " has not passed since the last pod event ("
              + GoDuration.format(Duration.between(now, last.plus(wait.get())))
              + " to go)";
    } else if (policy == ConsolidationPolicy.WhenEmpty && !c.empty()) {
      c.notConsolidatable =
          "consolidationPolicy WhenEmpty and the node has " + c.reschedulable.size() + " pods";
    }
    c.consolidatable = wait.isPresent() && (last == null || !last.plus(wait.get()).isAfter(now));
    return c;
  }

  /** Karpenter's EvictionCost: 1 + deletion-cost/2^27 + priority/2^25, clamped to [-10, 10]. */
  static double evictionCost(Pod p) {
    double cost = 1;
    Map<String, String> a = p.getMetadata().getAnnotations();
    String del = a == null ? null : a.get("controller.kubernetes.io/pod-deletion-cost");
    if (del != null) {
      try {
        cost += Double.parseDouble(del) / Math.pow(2, 27);
      } catch (NumberFormatException ignored) {
        // an unparsable cost counts as zero, as the ReplicaSet controller treats it
      }
    }
    if (p.getSpec() != null && p.getSpec().getPriority() != null) {
      cost += p.getSpec().getPriority() / Math.pow(2, 25);
    }
    return Math.clamp(cost, -10, 10);
  }

  /** Why the NodeClaim no longer matches its NodePool, or null. */
  static String drift(DisruptionNode n, DisruptionPool pool) {
    return drift(n, pool, NodePoolHash.of(pool.nodePool()));
  }

  static String drift(DisruptionNode n, DisruptionPool pool, String poolHash) {
    SchedulingNodePool s = pool.scheduling();
    return Drift.of(
            n.nodePoolHash(),
            n.nodePoolHashVersion(),
            poolHash,
            n.labels(),
            s == null ? null : s.effectiveRequirements(),
            n::providerDrift,
            n.instanceType(),
            s == null ? List.of() : s.instanceTypes())
        .map(Drift::text)
        .orElse(null);
  }

  /** Does the pod take part in pod (anti-)affinity or topology spread? */
  private static boolean interPod(Pod p) {
    var spec = p.getSpec();
    if (spec == null) {
      return false;
    }
    var a = spec.getAffinity();
    return (a != null && (a.getPodAffinity() != null || a.getPodAntiAffinity() != null))
        || (spec.getTopologySpreadConstraints() != null
            && !spec.getTopologySpreadConstraints().isEmpty());
  }

  /**
   * The node as the scheduler sees it. When no pod in the cluster uses pod (anti-)affinity or
   * topology spread, its bound pods only matter as used capacity (and host ports), so they are
   * folded into the allocatable once here instead of in each of the pass's many simulations.
   */
  private static ExistingNode existingNode(DisruptionNode n, boolean compact) {
    Map<String, String> labels = new HashMap<>(n.labels());
    labels.putIfAbsent(Labels.HOSTNAME, n.name());
    if (!compact) {
      return new ExistingNode(n.name(), labels, n.taints(), n.allocatable(), n.pods(), false);
    }
    Resources free = n.allocatable();
    List<Pod> kept = new ArrayList<>();
    for (Pod p : n.pods()) {
      if (p.getSpec() == null) {
        continue;
      }
      if (!Pods.hostPorts(p.getSpec()).isEmpty()) {
        kept.add(p);
      } else if (!terminal(p)) {
        free = free.minus(Pods.requests(p.getSpec()));
      }
    }
    return new ExistingNode(n.name(), labels, n.taints(), free, kept, false);
  }

  /** Allocatable minus what its non-terminal pods request (may be negative if overcommitted). */
  private static Resources free(DisruptionNode n) {
    Resources f = n.allocatable();
    for (Pod p : n.pods()) {
      if (p.getSpec() != null && !terminal(p)) {
        f = f.minus(Pods.requests(p.getSpec()));
      }
    }
    return f;
  }

  /**
   * A necessary condition, checked before asking the scheduler: for every resource, what the pods
   * request fits in the free capacity left on the other nodes plus the largest type one new node
   * could be. Rejects hopeless candidate sets (the large prefixes of multi-node consolidation)
   * without a simulation.
   */
  private static boolean mayFit(Context ctx, List<Node> nodes, List<SchedulingNodePool> pools) {
    Resources need = Resources.NONE;
    Resources avail = ctx.freeTotal();
    for (Node c : nodes) {
      need = need.plus(c.requests);
      avail = avail.minus(ctx.free().getOrDefault(c.name(), Resources.NONE));
    }
    Map<String, Long> biggest = new HashMap<>();
    for (SchedulingNodePool p : pools) {
      for (InstanceType t : p.instanceTypes()) {
        t.allocatable().milli().forEach((k, v) -> biggest.merge(k, v, Math::max));
      }
    }
    for (Map.Entry<String, Long> e : need.milli().entrySet()) {
      long have = Math.max(0, avail.get(e.getKey())) + biggest.getOrDefault(e.getKey(), 0L);
      if (e.getValue() > have) {
        return false;
      }
    }
    return true;
  }

  private static boolean terminal(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /** The pass's shared, read-only view. */
  private record Context(
      DisruptionInput input,
      Map<String, ExistingNode> existing,
      Map<String, DisruptionPool> pools,
      List<Node> candidates,
      Map<String, List<InstanceType>> cheaper,
      Map<String, Resources> free,
      Resources freeTotal) {}

  private Decision emptiness(Context ctx, Allowance allowance, Map<String, Blocked> blocked) {
    List<Node> empty = new ArrayList<>();
    for (Node c : ctx.candidates()) {
      if (c.empty() && c.consolidatable) {
        empty.add(c);
      }
    }
    if (empty.isEmpty()) {
      return null;
    }
    empty.sort(
        Comparator.comparingDouble((Node c) -> -c.n.pricePerHour()).thenComparing(Node::name));
    List<String> nodes = new ArrayList<>();
    double savings = 0;
    for (Node c : empty) {
      if (allowance.left(c.poolName(), Reason.Empty) <= 0) {
        blocked.put(c.name(), blocked(c.n, allowance.describe(c.poolName(), Reason.Empty)));
        continue;
      }
      allowance.take(c.poolName(), Reason.Empty);
      nodes.add(c.name());
      savings += c.n.pricePerHour();
    }
    return nodes.isEmpty()
        ? null
        : new Decision(Method.Emptiness, Reason.Empty, nodes, List.of(), savings);
  }

  private Decision drift(Context ctx, Allowance allowance, Map<String, Blocked> blocked) {
    List<Node> drifted = new ArrayList<>();
    for (Node c : ctx.candidates()) {
      if (c.drift != null) {
        drifted.add(c);
      }
    }
    drifted.sort(
        Comparator.comparing((Node c) -> !c.empty())
            .thenComparing(c -> c.n.createdAt() == null ? Instant.EPOCH : c.n.createdAt())
            .thenComparing(Node::name));
    for (Node c : drifted) {
      // Drift is "eventual": with a terminationGracePeriod the drain is bounded, so pod blockers
      // do not hold the node back.
      if (c.podBlocker != null && c.n.terminationGracePeriod() == null) {
        blocked.put(c.name(), blocked(c.n, "drifted (" + c.drift + ") but " + c.podBlocker));
        continue;
      }
      if (allowance.left(c.poolName(), Reason.Drifted) <= 0) {
        blocked.put(
            c.name(),
            blocked(
                c.n,
                "drifted ("
                    + c.drift
                    + ") but "
                    + allowance.describe(c.poolName(), Reason.Drifted)));
        continue;
      }
      Outcome o = simulate(ctx, List.of(c), Double.MAX_VALUE);
      if (o.failure != null) {
        blocked.put(c.name(), blocked(c.n, "drifted (" + c.drift + ") but " + o.failure));
        continue;
      }
      return new Decision(
          Method.Drift,
          Reason.Drifted,
          List.of(c.name()),
          o.replacements,
          c.n.pricePerHour() - o.replacementPrice());
    }
    return null;
  }

  private List<Node> consolidationCandidates(Context ctx, Allowance allowance) {
    List<Node> out = new ArrayList<>();
    for (Node c : ctx.candidates()) {
      // Empty nodes are emptiness's, under the Empty budget.
      if (c.consolidatable
          && !c.empty()
          && c.notConsolidatable == null
          && c.podBlocker == null
          && c.workloadBlocker == null) {
        out.add(c);
      }
    }
    out.sort(
        Comparator.comparingDouble(
                (Node c) -> -c.n.pricePerHour() / Math.max(c.disruptionCost, 1e-3))
            .thenComparing(Node::name));
    return out;
  }

  private Decision multiNode(Context ctx, Allowance allowance) {
    List<Node> all = consolidationCandidates(ctx, allowance);
    Map<String, Integer> used = new HashMap<>();
    List<Node> within = new ArrayList<>();
    for (Node c : all) {
      int u = used.getOrDefault(c.poolName(), 0);
      if (u < allowance.left(c.poolName(), Reason.Underutilized)) {
        used.put(c.poolName(), u + 1);
        within.add(c);
      }
    }
    if (within.size() < 2) {
      return null;
    }
    // Largest prefix that can go, by binary search (as upstream, but over every candidate).
    int lo = 2;
    int hi = within.size();
    Decision best = null;
    List<Node> bestPrefix = List.of();
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      List<Node> prefix = within.subList(0, mid);
      Decision d = consolidate(ctx, prefix, Method.MultiNodeConsolidation).decision;
      if (d != null) {
        best = d;
        bestPrefix = prefix;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    bestPrefix.forEach(c -> allowance.take(c.poolName(), Reason.Underutilized));
    return best;
  }

  private Decision singleNode(Context ctx, Allowance allowance, Map<String, Blocked> blocked) {
    for (Node c : consolidationCandidates(ctx, allowance)) {
      if (allowance.left(c.poolName(), Reason.Underutilized) <= 0) {
        blocked.put(c.name(), blocked(c.n, allowance.describe(c.poolName(), Reason.Underutilized)));
        continue;
      }
      Consolidation r = consolidate(ctx, List.of(c), Method.SingleNodeConsolidation);
      if (r.decision != null) {
        allowance.take(c.poolName(), Reason.Underutilized);
        return r.decision;
      }
      blocked.put(c.name(), blocked(c.n, "Unconsolidatable: " + r.failure));
    }
    return null;
  }

  private record Consolidation(Decision decision, String failure) {}

  private Consolidation consolidate(Context ctx, List<Node> nodes, Method method) {
    double price = 0;
    Set<String> types = new HashSet<>();
    boolean allSpot = true;
    for (Node c : nodes) {
      price += c.n.pricePerHour();
      types.add(c.n.instanceType());
      allSpot &= Labels.SPOT.equals(c.n.capacityType());
    }
    Outcome o = simulate(ctx, nodes, price);
    if (o.failure != null) {
      return new Consolidation(null, o.failure);
    }
    Reason reason = Reason.Underutilized;
    if (o.replacements.size() == 1) {
      Decision.Replacement r = o.replacements.get(0);
      if (method == Method.MultiNodeConsolidation && types.contains(r.instanceType())) {
        return new Consolidation(null, "the replacement is one of the same instance type");
      }
      if (allSpot && Labels.SPOT.equals(r.capacityType())) {
        if (!options.spotToSpot()) {
          return new Consolidation(
              null, "replacing spot with spot needs the SpotToSpotConsolidation feature gate");
        }
        if (method == Method.SingleNodeConsolidation) {
          int cheaper = cheaperSpotTypes(ctx, r.plan(), nodes.get(0).n.pricePerHour());
          if (cheaper < SPOT_TO_SPOT_MIN_TYPES) {
            return new Consolidation(
                null,
                "spot-to-spot needs "
                    + SPOT_TO_SPOT_MIN_TYPES
                    + " cheaper spot instance types, found "
                    + cheaper);
          }
        }
      }
    }
    List<String> names = nodes.stream().map(Node::name).toList();
    return new Consolidation(
        new Decision(method, reason, names, o.replacements, price - o.replacementPrice()), null);
  }

  private static int cheaperSpotTypes(Context ctx, NodeClaimPlan plan, double than) {
    DisruptionPool pool = ctx.pools().get(plan.nodePool());
    if (pool == null || pool.scheduling() == null) {
      return 0;
    }
    Set<String> options = new HashSet<>(plan.instanceTypeOptions());
    int n = 0;
    for (InstanceType t : pool.scheduling().instanceTypes()) {
      if (!options.contains(t.name())) {
        continue;
      }
      for (Offering o : t.offerings()) {
        if (o.available() && Labels.SPOT.equals(o.capacityType()) && o.price() < than) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /**
   * The pool's types with an available offering strictly cheaper than {@code ceiling}: the only
   * ones a consolidation replacement may launch. Memoised per pass.
   */
  private static List<InstanceType> cheaperThan(Context ctx, DisruptionPool p, double ceiling) {
    return ctx.cheaper()
        .computeIfAbsent(
            p.name() + "@" + ceiling,
            k -> {
              List<InstanceType> out = new ArrayList<>();
              for (InstanceType t : p.scheduling().instanceTypes()) {
                for (Offering o : t.offerings()) {
                  if (o.available() && o.price() < ceiling) {
                    out.add(t);
                    break;
                  }
                }
              }
              return out;
            });
  }

  private record Outcome(List<Decision.Replacement> replacements, String failure) {
    double replacementPrice() {
      double p = 0;
      for (Decision.Replacement r : replacements) {
        p += r.pricePerHour();
      }
      return p;
    }
  }

  /** Can the nodes' pods go elsewhere, with at most one new node cheaper than {@code ceiling}? */
  private Outcome simulate(Context ctx, List<Node> nodes, double ceiling) {
    Set<String> removed = new HashSet<>();
    List<Pod> pods = new ArrayList<>();
    Map<String, Resources> freed = new HashMap<>();
    for (Node c : nodes) {
      removed.add(c.name());
      pods.addAll(c.reschedulable);
      freed.merge(c.poolName(), c.n.capacity(), Resources::plus);
    }
    List<ExistingNode> remaining = new ArrayList<>(ctx.existing().size());
    for (ExistingNode e : ctx.existing().values()) {
      if (!removed.contains(e.name())) {
        remaining.add(e);
      }
    }
    List<SchedulingNodePool> pools = new ArrayList<>();
    for (DisruptionPool p : ctx.input().pools()) {
      SchedulingNodePool s = p.scheduling();
      if (s == null || p.nodePool().getSpec().replicas() != null) {
        continue;
      }
      Resources f = freed.get(p.name());
      if (f != null) {
        s = s.withUsage(s.usage().minus(f));
      }
      if (ceiling != Double.MAX_VALUE) {
        s = s.withInstanceTypes(cheaperThan(ctx, p, ceiling));
      }
      pools.add(s);
    }
    if (!mayFit(ctx, nodes, pools)) {
      return new Outcome(
          List.of(), "the pods request more than the other nodes have free plus one new node");
    }
    SchedulingInput in =
        new SchedulingInput(
            List.of(),
            remaining,
            ctx.input().inFlight(),
            ctx.input().daemonSets(),
            pools,
            ctx.input().unavailableOfferings());
    Scheduler.Reschedule r = scheduler.canReschedule(pods, in, ceiling);
    if (!r.possible()) {
      var first = r.result().unschedulable().entrySet().iterator().next();
      String why =
          ceiling == Double.MAX_VALUE
              ? "pod " + first.getKey() + " cannot be rescheduled: " + first.getValue()
              : "pods do not fit elsewhere or on one cheaper node (pod "
                  + first.getKey()
                  + ": "
                  + first.getValue()
                  + ")";
      return new Outcome(List.of(), why);
    }
    List<Decision.Replacement> reps = new ArrayList<>();
    for (NodeClaimPlan p : r.result().nodeClaims()) {
      reps.add(Decision.Replacement.of(p));
    }
    return new Outcome(reps, null);
  }
}
