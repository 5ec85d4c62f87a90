package dev.karpenter.disruption;

import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.disruption.decision.Decision;
import dev.karpenter.disruption.decision.DisruptionEngine;
import dev.karpenter.disruption.decision.DisruptionInput;
import dev.karpenter.disruption.decision.DisruptionPlan;
import dev.karpenter.disruption.decision.Method;
import dev.karpenter.disruption.decision.Reason;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.state.ClusterSnapshot;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.Conditions;
import dev.karpenter.state.DisruptionInputs;
import dev.karpenter.state.NodeClaimTemplates;
import dev.karpenter.state.NodeClaims;
import dev.karpenter.state.Writes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Karpenter's disruption loop, run only on the leader: every poll interval it plans one pass with
 * the pure {@link DisruptionEngine} over the cluster as {@link DisruptionInputs#of} translates it,
 * reports what is blocked, and executes the pass's one graceful command, one command at a time:
 * consolidation is validated again after a delay, then the candidates are tainted {@code
 * karpenter.sh/disrupted:NoSchedule} and marked with the {@code DisruptionReason} condition, the
 * replacements are created and awaited until Initialized, and only then are the candidates'
 * NodeClaims deleted (the NodeClaim and Node finalizers drain them). A replacement that fails or
 * times out rolls the command back. Expiration is forceful and not executed here: the NodeClaim
 * expiration controller deletes expired claims.
 */
public final class DisruptionController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DisruptionController.class);
  static final Duration NOMINATION_WINDOW = Duration.ofSeconds(20);
  private static final Duration REPLACEMENT_POLL = Duration.ofMillis(500);
  private static final Pattern POD = Pattern.compile("pod ([^\\s/]+/[^\\s;,)]+)");

  /**
   * Knobs.
   *
   * @param execute whether commands are executed; off, the loop still plans every poll and reports
   *     (eligible-nodes gauge, blocker events) but changes nothing (tests of other loops)
   * @param pollInterval how often the loop plans (upstream: 10 s)
   * @param validationDelay how long a consolidation decision waits before it is validated again
   *     (upstream: 15 s)
   * @param replacementTimeout how long replacements may take to become Initialized before the
   *     command is rolled back (upstream: at least 10 min)
   * @param spotToSpot the SpotToSpotConsolidation feature gate
   */
  public record Settings(
      boolean execute,
      Duration pollInterval,
      Duration validationDelay,
      Duration replacementTimeout,
      boolean spotToSpot) {
    public static Settings defaults() {
      return new Settings(
          true, Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofMinutes(10), false);
    }

    public Settings withExecute(boolean b) {
      return new Settings(b, pollInterval, validationDelay, replacementTimeout, spotToSpot);
    }

    public Settings withSpotToSpot(boolean b) {
      return new Settings(execute, pollInterval, validationDelay, replacementTimeout, b);
    }

    /** Faster timings (tests): poll, validation delay and replacement timeout. */
    public Settings withTimings(Duration poll, Duration validation, Duration replacement) {
      return new Settings(execute, poll, validation, replacement, spotToSpot);
    }
  }

  /** What happened to a command (for tests and logs). */
  public enum Outcome {
    EXECUTED,
    INVALIDATED,
    ROLLED_BACK
  }

  /** A command this controller finished or abandoned. */
  public record Executed(Decision decision, Outcome outcome, List<String> replacements) {}

  private final KubernetesClient client;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final DisruptionEngine engine;
  private final Clock clock;
  private final Settings settings;
  // Names of nodes and NodeClaims of the command in flight: never candidates.
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  // Nodes and claims pods were nominated to (by the provisioner), until the instant.
  private final Map<String, Instant> nominatedUntil = new ConcurrentHashMap<>();
  // Replacements of finished commands, protected while their candidates still drain.
  private final List<Aftermath> aftermath = new CopyOnWriteArrayList<>();
  private final List<java.util.function.Consumer<Executed>> listeners =
      new CopyOnWriteArrayList<>();
  private final Object passLock = new Object();
  private volatile Thread loop;
  private volatile boolean running;

  private record Aftermath(Set<String> candidates, List<String> replacements, Instant[] goneAt) {}

  public DisruptionController(
      KubernetesClient client,
      ClusterState state,
      CloudProvider cloud,
      EventRecorder events,
      KarpenterMetrics metrics,
      Scheduler scheduler,
      Clock clock,
      Settings settings) {
    this.client = client;
    this.state = state;
    this.cloud = cloud;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.settings = settings;
    this.engine =
        new DisruptionEngine(
            clock,
            scheduler,
            DisruptionEngine.Options.defaults().withSpotToSpot(settings.spotToSpot()));
    metrics.registerDisruption();
  }

  /**
   * Pods were nominated to {@code target} ({@code node/<name>} or {@code nodeclaim/<name>}): it is
   * not disrupted for a while, as upstream.
   */
  public void nominated(String target) {
    int slash = target.indexOf('/');
    nominatedUntil.put(
        slash < 0 ? target : target.substring(slash + 1), clock.instant().plus(NOMINATION_WINDOW));
  }

  /** Called with every command this controller executed, abandoned or rolled back. */
  public void onExecuted(java.util.function.Consumer<Executed> listener) {
    listeners.add(listener);
  }

  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    loop = new Thread(this::run, "disruption");
    loop.setDaemon(true);
    loop.start();
    LOG.info(
        "disruption controller started (every {}{})",
        settings.pollInterval(),
        settings.execute() ? "" : ", planning only");
  }

  public synchronized void stop() {
    running = false;
    if (loop != null) {
      loop.interrupt();
      loop = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void run() {
    while (running) {
      try {
        pass();
        Thread.sleep(settings.pollInterval().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("disruption pass failed: {}", e.toString(), e);
        try {
          Thread.sleep(settings.pollInterval().toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** The input of a pass: the cluster now, through the one translation. */
  public DisruptionInput input() {
    Set<String> unavailable = new HashSet<>();
    cloud.unavailableOfferings().keys().forEach(k -> unavailable.add(k.toString()));
    ClusterSnapshot.Objects objects = ClusterSnapshot.Objects.of(state, List.of());
    ClusterSnapshot snapshot = ClusterSnapshot.of(objects, cloud::instanceTypes, unavailable);
    return DisruptionInputs.of(
        objects,
        snapshot,
        state.podDisruptionBudgets(),
        new DisruptionInputs.Hints(protectedNames(), this::providerDrift));
  }

  public DisruptionPlan plan() {
    return engine.plan(input());
  }

  private String providerDrift(NodeClaim c) {
    try {
      return cloud.isDrifted(c).orElse(null);
    } catch (RuntimeException e) {
      LOG.debug("drift of NodeClaim {} unknown: {}", c.getMetadata().getName(), e.toString());
      return null;
    }
  }

  private Set<String> protectedNames() {
    Instant now = clock.instant();
    Set<String> out = new HashSet<>(inFlight);
    nominatedUntil.entrySet().removeIf(e -> e.getValue().isBefore(now));
    out.addAll(nominatedUntil.keySet());
    for (Aftermath a : aftermath) {
      boolean draining = a.candidates().stream().anyMatch(n -> state.node(n).isPresent());
      if (draining) {
        a.goneAt()[0] = null;
      } else if (a.goneAt()[0] == null) {
        a.goneAt()[0] = now;
      } else if (a.goneAt()[0].plus(NOMINATION_WINDOW).isBefore(now)) {
        aftermath.remove(a);
        continue;
      }
      out.addAll(a.replacements());
    }
    return out;
  }

  /**
   * One pass: clean what a crashed command left, plan, report the blocked nodes and the eligible
   * counts, and execute the graceful command if there is one. Returns what was executed, or empty.
   */
  public Optional<Executed> pass() throws InterruptedException {
    synchronized (passLock) {
      return passLocked();
    }
  }

  private Optional<Executed> passLocked() throws InterruptedException {
    if (settings.execute()) {
      cleanStale();
    }
    DisruptionPlan plan = plan();
    Map<String, Integer> eligible = new LinkedHashMap<>();
    plan.eligible().forEach((r, n) -> eligible.put(r.name().toLowerCase(Locale.ROOT), n));
    metrics.disruptionEligibleNodes(eligible);
    report(plan);
    Decision d = plan.graceful();
    if (d == null || !settings.execute()) {
      return Optional.empty();
    }
    Executed e = execute(d);
    listeners.forEach(l -> l.accept(e));
    return Optional.of(e);
  }

  // ------------------------------------------------------------------ events

  private void report(DisruptionPlan plan) {
    Map<String, Node> nodes = new HashMap<>();
    state.nodes().forEach(n -> nodes.put(n.getMetadata().getName(), n));
    Map<String, Pod> pods = null;
    for (DisruptionPlan.Blocked b : plan.blocked()) {
      String why = b.reason();
      // Transient states are not blockers: another method acted, or the quiet period runs.
      if (why.startsWith("not evaluated")
          || (why.startsWith("consolidateAfter ") && !why.contains("Never"))
          || why.startsWith("not initialized")) {
        continue;
      }
      Node n = nodes.get(b.node());
      if (n == null) {
        continue;
      }
      Optional<NodeClaim> claim = claimOf(n);
      String reason = "DisruptionBlocked";
      String message = "Cannot disrupt Node: " + why;
      if (why.startsWith("Unconsolidatable: ")) {
        reason = "Unconsolidatable";
        message = why.substring("Unconsolidatable: ".length());
      } else if (why.equals("no disruption is cheaper")) {
        reason = "Unconsolidatable";
        message = "Can't replace with a cheaper node";
      } else if (why.startsWith("consolidationPolicy") || why.startsWith("consolidateAfter")) {
        reason = "Unconsolidatable";
        message = why;
      }
      events.normal(n, reason, message);
      if (claim.isPresent()) {
        events.normal(
            claim.get(),
            reason,
            message.replace("Cannot disrupt Node", "Cannot disrupt NodeClaim"));
      }
      Matcher m = POD.matcher(why);
      if (reason.equals("DisruptionBlocked") && m.find()) {
        if (pods == null) {
          pods = new HashMap<>();
          for (Pod p : state.pods()) {
            pods.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p);
          }
        }
        Optional.ofNullable(pods.get(m.group(1)))
            .ifPresent(
                p ->
                    events.normal(
                        p,
                        "DisruptionBlocked",
                        "Pod blocks disruption of Node " + b.node() + ": " + why));
      }
    }
  }

  // ------------------------------------------------------------------ execution

  static String consolidationType(Method m) {
    return switch (m) {
      case Emptiness -> "empty";
      case MultiNodeConsolidation -> "multi";
      case SingleNodeConsolidation -> "single";
      default -> "";
    };
  }

  private static String actionMethod(Method m) {
    return switch (m) {
      case Emptiness -> "emptiness";
      case Drift -> "drift";
      case Expiration -> "expiration";
      default -> "consolidation";
    };
  }

  private Executed execute(Decision d) throws InterruptedException {
    String type = consolidationType(d.method());
    if (!type.isEmpty()) {
      LOG.info(
          "{} of {} ({}), validating in {}",
          d.method(),
          d.nodes(),
          d.reason(),
          settings.validationDelay());
      Thread.sleep(settings.validationDelay().toMillis());
      Decision again = validate(d, plan());
      if (again == null) {
        metrics.disruptionFailedValidation(type);
        LOG.info("{} of {} abandoned: the cluster changed", d.method(), d.nodes());
        return new Executed(d, Outcome.INVALIDATED, List.of());
      }
      d = again;
    }
    String decision = d.replacements().isEmpty() ? "delete" : "replace";
    String reason = d.reason().name().toLowerCase(Locale.ROOT);
    Map<String, Node> nodes = new LinkedHashMap<>();
    Map<String, NodeClaim> claims = new LinkedHashMap<>();
    for (String name : d.nodes()) {
      Optional<Node> n = state.node(name);
      if (n.isEmpty()) {
        continue;
      }
      nodes.put(name, n.get());
      claimOf(n.get()).ifPresent(c -> claims.put(name, c));
    }
    if (nodes.isEmpty()) {
      return new Executed(d, Outcome.INVALIDATED, List.of());
    }
    metrics.disruptionDecision(decision, reason, type);
    inFlight.addAll(nodes.keySet());
    claims.values().forEach(c -> inFlight.add(c.getMetadata().getName()));
    List<NodeClaim> replacements = new ArrayList<>();
    String action = d.reason() + "/" + (decision.equals("delete") ? "Delete" : "Replace");
    try {
      for (Node n : nodes.values()) {
        taint(n);
      }
      for (NodeClaim c : claims.values()) {
        setDisruptionReason(c, d.reason());
      }
      for (Decision.Replacement r : d.replacements()) {
        Optional<NodePool> pool = state.nodePool(r.nodePool());
        if (pool.isEmpty()) {
          throw new IllegalStateException("NodePool " + r.nodePool() + " is gone");
        }
        NodeClaim planned = NodeClaimTemplates.nodeClaim(r.plan(), pool.get());
        inFlight.add(planned.getMetadata().getName());
        NodeClaim created = client.resource(planned).create();
        replacements.add(created);
        metrics.nodeClaimsCreated(r.nodePool(), reason, 1);
        LOG.info(
            "created replacement NodeClaim {} (NodePool {}, {} {} ${}/h) for {}",
            created.getMetadata().getName(),
            r.nodePool(),
            r.instanceType(),
            r.capacityType(),
            String.format("%.4f", r.pricePerHour()),
            d.nodes());
      }
      for (NodeClaim c : claims.values()) {
        if (!replacements.isEmpty()) {
          events.normal(
              c,
              "DisruptionLaunching",
              "Launching NodeClaim: "
                  + action
                  + " ("
                  + String.join(
                      ", ", replacements.stream().map(x -> x.getMetadata().getName()).toList())
                  + ")");
        }
      }
      String failure = awaitReplacements(replacements);
      if (failure != null) {
        rollback(d, nodes, claims, replacements, failure);
        metrics.disruptionQueueFailure(decision, reason, type);
        return new Executed(d, Outcome.ROLLED_BACK, names(replacements));
      }
      CrashPoints.reached(CrashPoints.DISRUPTION_AFTER_REPLACEMENT);
      for (Map.Entry<String, Node> e : nodes.entrySet()) {
        NodeClaim c = claims.get(e.getKey());
        String message = "Disrupting Node: " + action;
        events.normal(e.getValue(), "DisruptionTerminating", message);
        if (c != null) {
          events.normal(c, "DisruptionTerminating", "Disrupting NodeClaim: " + action);
          Writes.delete(client, c);
          Map<String, String> labels =
              c.getMetadata().getLabels() == null ? Map.of() : c.getMetadata().getLabels();
          metrics.nodeClaimDisrupted(
              reason,
              labels.getOrDefault(Labels.NODEPOOL, ""),
              labels.getOrDefault(Labels.CAPACITY_TYPE, ""));
        } else {
          Writes.delete(client, e.getValue());
        }
      }
      metrics.disruptionAction(decision, actionMethod(d.method()), type);
      LOG.info(
          "{}: {} {} ({}), saving ${}/h",
          d.method(),
          decision,
          d.nodes(),
          d.reason(),
          String.format("%.4f", d.savingsPerHour()));
      aftermath.add(new Aftermath(Set.copyOf(nodes.keySet()), names(replacements), new Instant[1]));
      return new Executed(d, Outcome.EXECUTED, names(replacements));
    } catch (KubernetesClientException | IllegalStateException e) {
      String failure = e.getMessage();
      LOG.warn("{} of {} failed: {}", d.method(), d.nodes(), failure);
      rollback(d, nodes, claims, replacements, failure);
      metrics.disruptionQueueFailure(decision, reason, type);
      return new Executed(d, Outcome.ROLLED_BACK, names(replacements));
    } finally {
      inFlight.clear();
    }
  }

  private static List<String> names(List<NodeClaim> claims) {
    return claims.stream().map(c -> c.getMetadata().getName()).toList();
  }

  /**
   * The decision to execute after the validation delay, or null: a fresh pass must choose the same
   * method for (at least) the same nodes with replacements no more expensive.
   */
  static Decision validate(Decision original, DisruptionPlan again) {
    Decision now = again.graceful();
    if (now == null || now.method() != original.method()) {
      return null;
    }
    if (!now.nodes().containsAll(original.nodes())) {
      return null;
    }
    if (now.nodes().size() == original.nodes().size()) {
      return price(now) <= price(original) + 1e-9 ? now : null;
    }
    // A superset: more became empty meanwhile; the original set is still right on its own.
    return original.method() == Method.Emptiness ? original : null;
  }

  private static double price(Decision d) {
    double p = 0;
    for (Decision.Replacement r : d.replacements()) {
      p += r.pricePerHour();
    }
    return p;
  }

  /** Null when every replacement is Initialized; else why not (deleted, failed, timed out). */
  private String awaitReplacements(List<NodeClaim> replacements) throws InterruptedException {
    if (replacements.isEmpty()) {
      return null;
    }
    Instant deadline = clock.instant().plus(settings.replacementTimeout());
    long wallDeadline = System.nanoTime() + settings.replacementTimeout().toNanos();
    while (true) {
      boolean all = true;
      for (NodeClaim r : replacements) {
        String name = r.getMetadata().getName();
        NodeClaim now = client.resources(NodeClaim.class).withName(name).get();
        if (now == null || now.getMetadata().getDeletionTimestamp() != null) {
          return "replacement NodeClaim " + name + " was deleted before it initialized";
        }
        if (!NodeClaims.isTrue(now, NodeClaims.INITIALIZED)) {
          all = false;
        }
      }
      if (all) {
        return null;
      }
      if (clock.instant().isAfter(deadline) || System.nanoTime() > wallDeadline) {
        return "replacements did not initialize within " + settings.replacementTimeout();
      }
      Thread.sleep(REPLACEMENT_POLL.toMillis());
    }
  }

  private void rollback(
      Decision d,
      Map<String, Node> nodes,
      Map<String, NodeClaim> claims,
      List<NodeClaim> replacements,
      String failure) {
    LOG.warn("{} of {} rolled back: {}", d.method(), d.nodes(), failure);
    for (NodeClaim r : replacements) {
      NodeClaim now = client.resources(NodeClaim.class).withName(r.getMetadata().getName()).get();
      if (now != null && !NodeClaims.isTrue(now, NodeClaims.INITIALIZED)) {
        try {
          Writes.delete(client, now);
        } catch (KubernetesClientException e) {
          LOG.warn("deleting replacement {} failed: {}", r.getMetadata().getName(), e.toString());
        }
      }
    }
    for (Node n : nodes.values()) {
      try {
        untaint(n);
      } catch (KubernetesClientException e) {
        LOG.warn("untainting {} failed: {}", n.getMetadata().getName(), e.toString());
      }
      events.warning(n, "DisruptionFailed", "Disruption rolled back: " + failure);
    }
    for (NodeClaim c : claims.values()) {
      try {
        clearDisruptionReason(c);
      } catch (KubernetesClientException e) {
        LOG.warn("clearing {} failed: {}", c.getMetadata().getName(), e.toString());
      }
      events.warning(c, "DisruptionFailed", "Disruption rolled back: " + failure);
    }
  }

  // ------------------------------------------------------------------ crash recovery

  /**
   * Removes the {@code karpenter.sh/disrupted} taint and the {@code DisruptionReason} condition
   * from nodes and NodeClaims that are not being deleted and have no command in flight: a crashed
   * (or deposed) leader left them.
   */
  public void cleanStale() {
    for (Node n : state.nodes()) {
      if (n.getMetadata().getDeletionTimestamp() != null
          || !tainted(n)
          || inFlight.contains(n.getMetadata().getName())) {
        continue;
      }
      Optional<NodeClaim> c = claimOf(n);
      if (c.isPresent() && c.get().getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      if (n.getMetadata().getLabels() == null
          || !n.getMetadata().getLabels().containsKey(Labels.NODEPOOL)) {
        continue;
      }
      LOG.info("removing stale {} taint from node {}", DisruptionInputs.DISRUPTED_TAINT, name(n));
      untaint(n);
    }
    for (NodeClaim c : state.nodeClaims()) {
      if (c.getMetadata().getDeletionTimestamp() != null
          || inFlight.contains(c.getMetadata().getName())
          || NodeClaims.disruptionReason(c).isEmpty()) {
        continue;
      }
      LOG.info("clearing stale DisruptionReason of NodeClaim {}", c.getMetadata().getName());
      clearDisruptionReason(c);
    }
  }

  // ------------------------------------------------------------------ writes

  private static String name(HasMetadata o) {
    return o.getMetadata().getName();
  }

  private static boolean tainted(Node n) {
    return n.getSpec() != null
        && n.getSpec().getTaints() != null
        && n.getSpec().getTaints().stream()
            .anyMatch(t -> DisruptionInputs.DISRUPTED_TAINT.equals(t.getKey()));
  }

  private Optional<NodeClaim> claimOf(Node n) {
    String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
    if (pid != null) {
      Optional<NodeClaim> c = state.nodeClaimByProviderId(pid);
      if (c.isPresent()) {
        return c;
      }
    }
    return state.nodeClaims().stream()
        .filter(c -> c.getStatus() != null && name(n).equals(c.getStatus().getNodeName()))
        .findFirst();
  }

  private void taint(Node n) {
    Writes.edit(
        client,
        n,
        x -> {
          List<Taint> taints =
              x.getSpec().getTaints() == null
                  ? new ArrayList<>()
                  : new ArrayList<>(x.getSpec().getTaints());
          if (taints.stream().noneMatch(t -> DisruptionInputs.DISRUPTED_TAINT.equals(t.getKey()))) {
            taints.add(new Taint("NoSchedule", DisruptionInputs.DISRUPTED_TAINT, null, null));
          }
          x.getSpec().setTaints(taints);
          return x;
        });
  }

  private void untaint(Node n) {
    Writes.edit(
        client,
        n,
        x -> {
          if (x.getMetadata().getDeletionTimestamp() != null || x.getSpec().getTaints() == null) {
            return x;
          }
          List<Taint> taints = new ArrayList<>(x.getSpec().getTaints());
          taints.removeIf(t -> DisruptionInputs.DISRUPTED_TAINT.equals(t.getKey()));
          x.getSpec().setTaints(taints);
          return x;
        });
  }

  private void setDisruptionReason(NodeClaim c, Reason reason) {
    Writes.editStatus(
        client,
        c,
        x -> {
          if (x.getStatus() == null) {
            x.setStatus(new dev.karpenter.api.v1.NodeClaimStatus());
          }
          List<Condition> conditions = Conditions.copy(x.getStatus().getConditions());
          Conditions.set(
              conditions,
              NodeClaims.DISRUPTION_REASON,
              "True",
              reason.name(),
              "Disrupting NodeClaim: " + reason,
              x.getMetadata().getGeneration(),
              clock);
          x.getStatus().setConditions(conditions);
          return x;
        });
  }

  private void clearDisruptionReason(NodeClaim c) {
    Writes.editStatus(
        client,
        c,
        x -> {
          if (x.getStatus() == null || x.getStatus().getConditions() == null) {
            return x;
          }
          List<Condition> conditions = new ArrayList<>(x.getStatus().getConditions());
          conditions.removeIf(k -> NodeClaims.DISRUPTION_REASON.equals(k.type()));
          x.getStatus().setConditions(conditions);
          return x;
        });
  }
}
