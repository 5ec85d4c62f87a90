package dev.karpenter.nodepool;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.api.v1.NodePoolStatus;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.metrics.KarpenterMetrics;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * NodePool status and annotations: {@code status.resources} and {@code status.nodes} from its
 * NodeClaims, the conditions ValidationSucceeded, NodeClassReady, NodeRegistrationHealthy and
 * Ready, and the {@code karpenter.sh/nodepool-hash} annotation.
 */
public final class NodePoolReconciler implements Reconciler<NodePool> {
  private final KubernetesClient client;
  private final ClusterState state;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  private final Function<NodePool, List<InstanceType>> instanceTypes;

  public NodePoolReconciler(
      KubernetesClient client, ClusterState state, KarpenterMetrics metrics, Clock clock) {
    this(client, state, metrics, clock, p -> List.of());
  }

  /**
   * @param instanceTypes the pool's instance types (the cloud provider's), to count NodeClaims that
   *     have not launched yet at the most their options may bring, as the provisioner does
   */
  public NodePoolReconciler(
      KubernetesClient client,
      ClusterState state,
      KarpenterMetrics metrics,
      Clock clock,
      Function<NodePool, List<InstanceType>> instanceTypes) {
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
    Conditions.set(
        conditions, "ValidationSucceeded", "True", "ValidationSucceeded", "", gen, clock);
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
    Conditions.set(
        conditions,
        "Ready",
        classReady ? "True" : "False",
        classReady ? "Ready" : "NodeClassNotReady",
        classReady ? "" : "NodeClassReady=False",
        gen,
        clock);
    status.setConditions(conditions);
    status.setNodeClassObservedGeneration(
        nc.map(x -> x.getMetadata().getGeneration()).orElse(null));
    if (Objects.equals(old.getResources(), status.getResources())
        && Objects.equals(old.getNodes(), status.getNodes())
        && Objects.equals(old.getConditions(), status.getConditions())) {
      return UpdateControl.noUpdate();
    }
    client
        .resources(NodePool.class)
        .withName(name)
        .editStatus(
            p -> {
              p.setStatus(status);
              return p;
            });
    return UpdateControl.noUpdate();
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
