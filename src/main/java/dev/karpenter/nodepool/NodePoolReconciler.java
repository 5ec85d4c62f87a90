package dev.karpenter.nodepool;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.api.v1.NodePoolStatus;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.disruption.decision.BudgetStatus;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.ClusterSnapshot;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.Conditions;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * NodePool status and annotations: {@code status.resources} and {@code status.nodes} from its
 * NodeClaims, the conditions ValidationSucceeded (False for limits that are not quantities),
 * NodeClassReady, NodeRegistrationHealthy, Ready and our InstanceTypesAvailable (False when no
 * instance type satisfies the requirements), Warning events for each of those problems, and the
 * {@code karpenter.sh/nodepool-hash} annotation; the disruption budgets in force ({@value
 * #BUDGETS_CONDITION} condition, an event when they change, {@code
 * karpenter_nodepools_allowed_disruptions}), requeued at the next budget window boundary.
 */
public final class NodePoolReconciler implements Reconciler<NodePool> {
  public static final String BUDGETS_CONDITION = "DisruptionBudgetsInForce";

  /** How far ahead budget windows are looked for; the pool is re-evaluated at least this often. */
  static final Duration BUDGET_HORIZON = Duration.ofDays(8);

  private final KubernetesClient client;
  private final ClusterState state;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  private final Function<NodePool, List<InstanceType>> instanceTypes;
  private final EventRecorder events;
  private final Map<String, String> announced = new java.util.concurrent.ConcurrentHashMap<>();

  public NodePoolReconciler(
      KubernetesClient client, ClusterState state, KarpenterMetrics metrics, Clock clock) {
    this(client, state, metrics, clock, p -> List.of());
  }

  public NodePoolReconciler(
      KubernetesClient client,
      ClusterState state,
      KarpenterMetrics metrics,
      Clock clock,
      Function<NodePool, List<InstanceType>> instanceTypes) {
    this(client, state, metrics, clock, instanceTypes, null);
  }

  /**
   * @param instanceTypes the pool's instance types (the cloud provider's), to count NodeClaims that
   *     have not launched yet at the most their options may bring, as the provisioner does
   * @param events where budget changes are announced, or null
   */
  public NodePoolReconciler(
      KubernetesClient client,
      ClusterState state,
      KarpenterMetrics metrics,
      Clock clock,
      Function<NodePool, List<InstanceType>> instanceTypes,
      EventRecorder events) {
    this.events = events;
    this.client = client;
    this.state = state;
    this.metrics = metrics;
    this.clock = clock;
    this.instanceTypes = instanceTypes;
  }

  @Override
  public List<EventSource<?, NodePool>> prepareEventSources(EventSourceContext<NodePool> ctx) {
    var claims =
        InformerEventSourceConfiguration.from(NodeClaim.class, NodePool.class)
            .withSecondaryToPrimaryMapper(
                (NodeClaim c) -> {
                  String pool = NodeClaims.nodePool(c);
                  return pool == null ? Set.of() : Set.of(new ResourceID(pool));
                })
            .build();
    var classes =
        InformerEventSourceConfiguration.from(EC2NodeClass.class, NodePool.class)
            .withSecondaryToPrimaryMapper(
                (EC2NodeClass nc) ->
                    state.nodePools().stream()
                        .filter(
                            p ->
                                nc.getMetadata()
                                    .getName()
                                    .equals(p.getSpec().template().spec().nodeClassRef().name()))
                        .map(p -> new ResourceID(p.getMetadata().getName()))
                        .collect(Collectors.toSet()))
            .build();
    return List.of(new InformerEventSource<>(claims, ctx), new InformerEventSource<>(classes, ctx));
  }

  @Override
  public UpdateControl<NodePool> reconcile(NodePool pool, Context<NodePool> ctx) {
    String name = pool.getMetadata().getName();
    metrics.registerNodePool(name);
    String hash = NodePoolHash.of(pool);
    Map<String, String> ann = pool.getMetadata().getAnnotations();
    if (ann == null || !hash.equals(ann.get(NodePoolHash.ANNOTATION))) {
      client
          .resources(NodePool.class)
          .withName(name)
          .edit(
              p -> {
                Map<String, String> a =
                    p.getMetadata().getAnnotations() == null
                        ? new HashMap<>()
                        : new HashMap<>(p.getMetadata().getAnnotations());
                a.put(NodePoolHash.ANNOTATION, hash);
                a.put(NodePoolHash.VERSION_ANNOTATION, NodePoolHash.VERSION);
                p.getMetadata().setAnnotations(a);
                return p;
              });
    }
    List<NodeClaim> claims = state.nodeClaims();
    ClusterSnapshot.PoolUsage usage =
        ClusterSnapshot.usage(claims, state.nodes(), Map.of(name, typesOf(pool)))
            .getOrDefault(name, ClusterSnapshot.PoolUsage.NONE);
    long registered =
        claims.stream()
            .filter(c -> name.equals(NodeClaims.nodePool(c)))
            .filter(c -> NodeClaims.isTrue(c, NodeClaims.REGISTERED))
            .count();
    NodePoolStatus old = pool.getStatus() == null ? new NodePoolStatus() : pool.getStatus();
    NodePoolStatus status = new NodePoolStatus();
    status.setResources(ApiConversions.quantities(usage.resources()));
    status.setNodes(usage.nodes());
    List<Condition> conditions = Conditions.copy(old.getConditions());
    Long gen = pool.getMetadata().getGeneration();
    String className = pool.getSpec().template().spec().nodeClassRef().name();
    var nc = state.nodeClass(className);
    boolean classReady =
        nc.isPresent()
            && nc.get().getStatus() != null
            && nc.get().getStatus().getConditions() != null
            && nc.get().getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.type()) && c.isTrue());
    List<String> limitProblems = ApiConversions.limitProblems(pool);
    // A limit beyond what is counted only saturates (unlimited in effect): a warning, still valid.
    List<String> invalid =
        ApiConversions.limitsValid(pool)
            ? List.of()
            : limitProblems.stream().filter(m -> !m.endsWith("treated as unlimited")).toList();
    Conditions.set(
        conditions,
        "ValidationSucceeded",
        invalid.isEmpty() ? "True" : "False",
        invalid.isEmpty() ? "ValidationSucceeded" : "LimitsInvalid",
        String.join("; ", invalid),
        gen,
        clock);
    String noTypes = classReady ? noInstanceTypes(pool) : null;
    Conditions.set(
        conditions,
        INSTANCE_TYPES_AVAILABLE,
        noTypes == null ? "True" : "False",
        noTypes == null ? "InstanceTypesAvailable" : "NoInstanceTypes",
        noTypes == null ? "" : noTypes,
        gen,
        clock);
    Conditions.set(
        conditions,
        "NodeClassReady",
        classReady ? "True" : "False",
        classReady ? "NodeClassReady" : "NodeClassNotReady",
        classReady
            ? ""
            : "EC2NodeClass " + className + (nc.isPresent() ? " is not ready" : " not found"),
        gen,
        clock);
    if (conditions.stream().noneMatch(c -> "NodeRegistrationHealthy".equals(c.type()))) {
      Conditions.set(
          conditions,
          "NodeRegistrationHealthy",
          "Unknown",
          "AwaitingReconciliation",
          "",
          gen,
          clock);
    }
    if (registered > 0) {
      Conditions.set(
          conditions, "NodeRegistrationHealthy", "True", "NodeRegistrationHealthy", "", gen, clock);
    }
    boolean ready = classReady && invalid.isEmpty();
    Conditions.set(
        conditions,
        "Ready",
        ready ? "True" : "False",
        ready ? "Ready" : classReady ? "ValidationFailed" : "NodeClassNotReady",
        ready ? "" : classReady ? "ValidationSucceeded=False" : "NodeClassReady=False",
        gen,
        clock);
    Instant now = clock.instant();
    BudgetStatus budgets = BudgetStatus.of(pool, budgetedNodes(name, claims), now, BUDGET_HORIZON);
    Conditions.set(
        conditions,
        BUDGETS_CONDITION,
        budgets.errors().isEmpty() ? "True" : "False",
        budgets.reason(),
        budgets.message(),
        gen,
        clock);
    for (BudgetStatus.Line l : budgets.lines()) {
      metrics.allowedDisruptions(name, l.reason().name(), l.allowed());
    }
    // Announced when another budget takes over or a reason becomes blocked or unblocked, not on
    // every node count change.
    String signature = budgets.signature();
    if (events != null && !signature.equals(announced.put(name, signature))) {
      if (budgets.errors().isEmpty()) {
        events.normal(pool, BUDGETS_CONDITION, budgets.message());
      } else {
        events.warning(pool, "InvalidBudget", budgets.message());
      }
    }
    Duration requeue =
        budgets
            .nextChange()
            .map(t -> Duration.between(now, t))
            .filter(d -> d.compareTo(BUDGET_HORIZON) < 0)
            .orElse(BUDGET_HORIZON);
    if (requeue.isNegative()) {
      requeue = Duration.ZERO;
    }
    if (events != null) {
      if (!classReady) {
        events.warning(
            pool,
            "NodeClassNotReady",
            "EC2NodeClass "
                + className
                + (nc.isPresent() ? " is not ready" : " not found")
                + "; nothing is launched from NodePool "
                + name);
      }
      for (String problem : limitProblems) {
        events.warning(pool, "InvalidLimits", problem);
      }
      if (noTypes != null) {
        events.warning(pool, "NoInstanceTypes", noTypes);
      }
    }
    status.setConditions(conditions);
    status.setNodeClassObservedGeneration(
        nc.map(x -> x.getMetadata().getGeneration()).orElse(null));
    if (Objects.equals(old.getResources(), status.getResources())
        && Objects.equals(old.getNodes(), status.getNodes())
        && Objects.equals(old.getConditions(), status.getConditions())) {
      return UpdateControl.<NodePool>noUpdate().rescheduleAfter(requeue);
    }
    client
        .resources(NodePool.class)
        .withName(name)
        .editStatus(
            p -> {
              p.setStatus(status);
              return p;
            });
    return UpdateControl.<NodePool>noUpdate().rescheduleAfter(requeue);
  }

  /**
   * The nodes budgets count, as upstream: the pool's initialized NodeClaims whose instance is not
   * already terminating.
   */
  static int budgetedNodes(String pool, List<NodeClaim> claims) {
    int n = 0;
    for (NodeClaim c : claims) {
      if (pool.equals(NodeClaims.nodePool(c))
          && NodeClaims.isTrue(c, NodeClaims.INITIALIZED)
          && !NodeClaims.isTrue(c, NodeClaims.INSTANCE_TERMINATING)) {
        n++;
      }
    }
    return n;
  }

  /** Our condition: whether any instance type offering satisfies the pool's requirements. */
  public static final String INSTANCE_TYPES_AVAILABLE = "InstanceTypesAvailable";

  /** Why no instance type satisfies the pool's requirements, or null if one does. */
  private String noInstanceTypes(NodePool pool) {
    List<InstanceType> types = typesOf(pool);
    if (types.isEmpty()) {
      // The cloud could not list them; that is not the requirements' fault.
      return null;
    }
    Requirements reqs =
        ApiConversions.requirements(pool.getSpec().template().spec().requirementsOrEmpty());
    for (InstanceType t : types) {
      for (Offering o : t.offerings()) {
        if (t.admits(reqs, o)) {
          return null;
        }
      }
    }
    return "no instance type of the "
        + types.size()
        + " the EC2NodeClass offers satisfies spec.template.spec.requirements "
        + reqs.all().stream().map(Requirement::toString).toList();
  }

  private List<InstanceType> typesOf(NodePool pool) {
    try {
      return instanceTypes.apply(pool);
    } catch (RuntimeException e) {
      // Usage of launched claims does not need them; unlaunched ones then count as nothing.
      return List.of();
    }
  }

  static String zoneOf(NodeClaim c) {
    return c.getMetadata().getLabels() == null
        ? ""
        : c.getMetadata().getLabels().getOrDefault(Labels.ZONE, "");
  }
}
