package dev.karpenter.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Karpenter's Prometheus metrics (reference §5) plus the names the GPU guide queries, on one
 * Micrometer registry. Label sets are fixed per family because Prometheus requires it.
 */
public final class KarpenterMetrics {
  /** Label keys of the per-node families, after Karpenter's node-label snake_case set. */
  public static final List<String> NODE_LABEL_KEYS =
      List.of(
          "node_name",
          "nodepool",
          "zone",
          "instance_type",
          "capacity_type",
          "arch",
          "os",
          "instance_category",
          "instance_family",
          "instance_size",
          "instance_gpu_name",
          "instance_gpu_count",
          "instance_accelerator_name",
          "phase",
          "managed");

  public static final List<String> POD_LABEL_KEYS =
      List.of(
          "name",
          "namespace",
          "owner",
          "node",
          "scheduled",
          "nodepool",
          "zone",
          "arch",
          "capacity_type",
          "instance_type",
          "phase",
          "ready",
          "managed");

  private final PrometheusMeterRegistry registry;
  private final Timer provisionerScheduling;
  private final Timer schedulerScheduling;
  private final AtomicLong unschedulablePods = new AtomicLong();
  private final AtomicLong stateNodeCount = new AtomicLong();
  private final AtomicLong stateSynced = new AtomicLong();
  private final Map<String, MultiGauge> multiGauges = new ConcurrentHashMap<>();
  private final Map<List<String>, AtomicLong> allowedDisruptions = new ConcurrentHashMap<>();

  public KarpenterMetrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  public KarpenterMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("karpenter.build.info", () -> 1)
        .tags("version", version(), "goversion", "java" + Runtime.version().feature())
        .tags("goarch", System.getProperty("os.arch"), "commit", "")
        .register(registry);
    provisionerScheduling =
        Timer.builder("karpenter.provisioner.scheduling.duration")
            .description("Duration of one provisioning scheduling simulation")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry);
    schedulerScheduling =
        Timer.builder("karpenter.scheduler.scheduling.duration")
            .tag("controller", "provisioner")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry);
    Gauge.builder(
            "karpenter.scheduler.unschedulable.pods.count", unschedulablePods, AtomicLong::get)
        .tag("controller", "provisioner")
        .register(registry);
    Gauge.builder("karpenter.cluster.state.node.count", stateNodeCount, AtomicLong::get)
        .register(registry);
    Gauge.builder("karpenter.cluster.state.synced", stateSynced, AtomicLong::get)
        .register(registry);
    for (String action : List.of("delete", "replace")) {
      for (String method : List.of("emptiness", "consolidation", "drift", "expiration")) {
        registry.counter(
            "karpenter.disruption.actions.performed",
            "action",
            action,
            "method",
            method,
            "consolidation_type",
            "");
      }
    }
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * The metric families the GPU guide's dashboard queries and alert rules name, with their
   * Prometheus type; each is declared on every scrape, even before it has a series.
   */
  public static final Map<String, String> GUIDE_FAMILIES =
      guideFamilies(
          "karpenter_nodeclaims_launched_total counter",
          "karpenter_nodeclaims_registered_total counter",
          "karpenter_nodeclaims_terminated_total counter",
          "karpenter_pods_state gauge",
          "karpenter_nodepool_usage gauge",
          "karpenter_nodepool_limit gauge",
          "karpenter_voluntary_disruption_eligible_nodes gauge",
          "karpenter_disruption_actions_performed_total counter",
          "karpenter_nodes_allocatable gauge",
          "karpenter_nodes_total_daemon_requests gauge",
          "karpenter_provisioner_scheduling_duration_seconds histogram");

  // The Prometheus client reserves the _created suffix (OpenMetrics), so these are exported short.
  private static final Map<String, String> RESERVED_RENAMES =
      Map.of(
          "karpenter_nodeclaims_total", "karpenter_nodeclaims_created_total",
          "karpenter_nodes_total", "karpenter_nodes_created_total");

  private static Map<String, String> guideFamilies(String... nameAndType) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String s : nameAndType) {
      String[] p = s.split(" ");
      m.put(p[0], p[1]);
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Prometheus text format 0.0.4 of every meter, with Karpenter's {@code *_created_total} names,
   * followed by HELP/TYPE declarations of guide families that have no series yet.
   */
  public String scrape() {
    StringBuilder out = new StringBuilder();
    java.util.Set<String> declared = new java.util.HashSet<>();
    for (String line : registry.scrape().split("\n")) {
      out.append(renamed(line)).append('\n');
      if (line.startsWith("# TYPE ")) {
        declared.add(renamed(line).split(" ")[2]);
      }
    }
    GUIDE_FAMILIES.forEach(
        (name, type) -> {
          if (!declared.contains(name)) {
            out.append("# HELP ").append(name).append(" Karpenter metric (no series yet)\n");
            out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
          }
        });
    return out.toString();
  }

  private static String renamed(String line) {
    for (Map.Entry<String, String> e : RESERVED_RENAMES.entrySet()) {
      String from = e.getKey();
      if (line.startsWith(from + "{") || line.startsWith(from + " ")) {
        return e.getValue() + line.substring(from.length());
      }
      for (String prefix : List.of("# HELP ", "# TYPE ")) {
        if (line.startsWith(prefix + from + " ")) {
          return prefix + e.getValue() + line.substring(prefix.length() + from.length());
        }
      }
    }
    return line;
  }

  private static String version() {
    String v = KarpenterMetrics.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  // ------------------------------------------------------------------ counters

  /** Registers every per-NodePool counter at zero so guide alerts evaluate before any event. */
  public void registerNodePool(String nodePool) {
    nodeClaimsCreated(nodePool, "provisioned", 0);
    counter("karpenter.nodeclaims.launched", "nodepool", nodePool);
    counter("karpenter.nodeclaims.registered", "nodepool", nodePool);
    counter("karpenter.nodeclaims.initialized", "nodepool", nodePool);
    terminatedCounter(nodePool, "ProvisioningFailed", "", "");
  }

  private Counter counter(String name, String... tags) {
    return registry.counter(name, tags);
  }

  public void nodeClaimsCreated(String nodePool, String reason, int n) {
    counter(
            "karpenter.nodeclaims.created",
            "reason",
            reason,
            "nodepool",
            nodePool,
            "min_values_relaxed",
            "false")
        .increment(n);
  }

  public void nodeClaimLaunched(String nodePool) {
    counter("karpenter.nodeclaims.launched", "nodepool", nodePool).increment();
  }

  public void nodeClaimRegistered(String nodePool) {
    counter("karpenter.nodeclaims.registered", "nodepool", nodePool).increment();
  }

  public void nodeClaimInitialized(String nodePool) {
    counter("karpenter.nodeclaims.initialized", "nodepool", nodePool).increment();
  }

  private Counter terminatedCounter(
      String nodePool, String reason, String capacityType, String zone) {
    return counter(
        "karpenter.nodeclaims.terminated",
        "nodepool",
        nodePool,
        "reason",
        reason,
        "capacity_type",
        capacityType,
        "zone",
        zone);
  }

  /**
   * A NodeClaim went away; {@code reason} is {@code ProvisioningFailed} when its launch failed, as
   * the GPU guide's alert expects.
   */
  public void nodeClaimTerminated(
      String nodePool, String reason, String capacityType, String zone) {
    terminatedCounter(nodePool, reason, capacityType, zone).increment();
  }

  public void nodeCreated(String nodePool, String zone) {
    counter("karpenter.nodes.created", "nodepool", nodePool, "zone", zone).increment();
  }

  public void nodeTerminated(String nodePool, String zone) {
    counter("karpenter.nodes.terminated", "nodepool", nodePool, "zone", zone).increment();
  }

  public void nodeDrained(String nodePool) {
    counter("karpenter.nodes.drained", "nodepool", nodePool).increment();
  }

  public void evictionRequest(String code) {
    counter("karpenter.pods.eviction.requests", "code", code).increment();
  }

  public void cloudProviderCall(String method, Duration took, String error) {
    Timer.builder("karpenter.cloudprovider.duration")
        .tags("controller", "", "method", method, "provider", "simulated")
        .publishPercentileHistogram()
        .register(registry)
        .record(took);
    if (error != null) {
      counter(
              "karpenter.cloudprovider.errors",
              "controller",
              "",
              "method",
              method,
              "provider",
              "simulated",
              "error",
              error)
          .increment();
    }
  }

  /** An SQS interruption message was received ({@code message_type} as upstream, or unknown). */
  public void interruptionReceived(String messageType) {
    counter("karpenter.interruption.received.messages", "message_type", messageType).increment();
  }

  public void interruptionDeleted() {
    counter("karpenter.interruption.deleted.messages").increment();
  }

  /** Time from the message's send to its handling. */
  public void interruptionQueueDuration(Duration d) {
    Timer.builder("karpenter.interruption.message.queue.duration")
        .publishPercentileHistogram()
        .register(registry)
        .record(d);
  }

  // ------------------------------------------------------------------ voluntary disruption

  /**
   * Registers the disruption counters at zero: consolidation never times out here (every candidate
   * is considered), so the timeouts counter is truthfully 0.
   */
  public void registerDisruption() {
    for (String type : List.of("multi", "single")) {
      counter("karpenter.voluntary.disruption.consolidation.timeouts", "consolidation_type", type);
    }
    for (String type : List.of("empty", "multi", "single")) {
      counter("karpenter.voluntary.disruption.failed.validations", "consolidation_type", type);
    }
  }

  /**
   * A disruption command was decided and started ({@code decision} delete or replace, {@code
   * reason} empty / underutilized / drifted, {@code consolidationType} empty / multi / single or
   * "").
   */
  public void disruptionDecision(String decision, String reason, String consolidationType) {
    counter(
            "karpenter.voluntary.disruption.decisions",
            "decision",
            decision,
            "reason",
            reason,
            "consolidation_type",
            consolidationType)
        .increment();
  }

  public void disruptionFailedValidation(String consolidationType) {
    counter(
            "karpenter.voluntary.disruption.failed.validations",
            "consolidation_type",
            consolidationType)
        .increment();
  }

  /** A started command was rolled back (a replacement failed or timed out). */
  public void disruptionQueueFailure(String decision, String reason, String consolidationType) {
    counter(
            "karpenter.voluntary.disruption.queue.failures",
            "decision",
            decision,
            "reason",
            reason,
            "consolidation_type",
            consolidationType)
        .increment();
  }

  /** A NodeClaim was deleted by disruption ({@code reason} lower case, as upstream). */
  public void nodeClaimDisrupted(String reason, String nodePool, String capacityType) {
    counter(
            "karpenter.nodeclaims.disrupted",
            "reason",
            reason,
            "nodepool",
            nodePool,
            "capacity_type",
            capacityType)
        .increment();
  }

  /**
   * An action the disruption loop performed ({@code action} delete or replace, {@code method}
   * emptiness / consolidation / drift / expiration).
   */
  public void disruptionAction(String action, String method, String consolidationType) {
    counter(
            "karpenter.disruption.actions.performed",
            "action",
            action,
            "method",
            method,
            "consolidation_type",
            consolidationType)
        .increment();
  }

  /** Nodes eligible for voluntary disruption now, by reason (replaces every series). */
  public void disruptionEligibleNodes(Map<String, Integer> byReason) {
    replace(
        "karpenter.voluntary.disruption.eligible.nodes",
        byReason.entrySet().stream()
            .map(e -> new Row(Tags.of("reason", e.getKey()), e.getValue()))
            .toList());
  }

  // ------------------------------------------------------------------ timers and gauges

  public void schedulingDuration(Duration d) {
    provisionerScheduling.record(d);
    schedulerScheduling.record(d);
  }

  public void unschedulablePods(long n) {
    unschedulablePods.set(n);
  }

  public void clusterState(long nodes, boolean synced) {
    stateNodeCount.set(nodes);
    stateSynced.set(synced ? 1 : 0);
  }

  /**
   * How many of the pool's nodes its budgets allow disrupting for {@code reason} now: {@code
   * karpenter_nodepools_allowed_disruptions}.
   */
  public void allowedDisruptions(String nodePool, String reason, long n) {
    allowedDisruptions
        .computeIfAbsent(
            List.of(nodePool, reason),
            k -> {
              AtomicLong v = new AtomicLong();
              Gauge.builder("karpenter.nodepools.allowed.disruptions", v, AtomicLong::get)
                  .tags("nodepool", nodePool, "reason", reason)
                  .register(registry);
              return v;
            })
        .set(n);
  }

  /** One labelled gauge row. */
  public record Row(Tags tags, double value) {}

  /** Replaces every series of a labelled gauge family with {@code rows}. */
  public void replace(String name, List<Row> rows) {
    multiGauge(name)
        .register(
            rows.stream()
                .map(r -> MultiGauge.Row.of(r.tags(), r.value()))
                .map(r -> (MultiGauge.Row<?>) r)
                .toList(),
            true);
  }

  private MultiGauge multiGauge(String name) {
    return multiGauges.computeIfAbsent(name, n -> MultiGauge.builder(n).register(registry));
  }
}
