package dev.karpenter.nodepool;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.api.v1.NodePoolStatus;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
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

  public NodePoolReconciler(
      KubernetesClient client, ClusterState state, KarpenterMetrics metrics, Clock clock) {
    this.client = client;
    this.state = state;
    this.metrics = metrics;
    this.clock = clock;
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
    Resources total = Resources.NONE;
    long nodes = 0;
    for (NodeClaim c : state.nodeClaims()) {
      if (name.equals(NodeClaims.nodePool(c))) {
        total = total.plus(ApiConversions.capacity(c, Map.of()));
        if (NodeClaims.isTrue(c, NodeClaims.REGISTERED)) {
          nodes++;
        }
      }
    }
    NodePoolStatus old = pool.getStatus() == null ? new NodePoolStatus() : pool.getStatus();
    NodePoolStatus status = new NodePoolStatus();
    status.setResources(ApiConversions.quantities(total.plus(Resources.of("nodes", nodes * 1000))));
    status.setNodes(nodes);
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
    if (nodes > 0) {
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

  static String zoneOf(NodeClaim c) {
    return c.getMetadata().getLabels() == null
        ? ""
        : c.getMetadata().getLabels().getOrDefault(Labels.ZONE, "");
  }
}
