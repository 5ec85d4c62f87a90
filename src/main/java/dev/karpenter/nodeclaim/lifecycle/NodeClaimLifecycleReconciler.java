package dev.karpenter.nodeclaim.lifecycle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.node.termination.Terminator;
import dev.karpenter.provisioning.Provisioner;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.Conditions;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * NodeClaim lifecycle: Launched (cloud create) → Registered (the Node with its providerID joined;
 * labels synced, unregistered taint removed) → Initialized (Ready, startup taints gone, requested
 * extended resources advertised). Liveness deletes claims that do not register in time. Deletion
 * runs the {@link Terminator}. The claim's finalizer is {@code karpenter.sh/termination}.
 */
public final class NodeClaimLifecycleReconciler
    implements Reconciler<NodeClaim>, Cleaner<NodeClaim> {
  private static final Set<String> BASE_RESOURCES =
      Set.of("cpu", "memory", "pods", "ephemeral-storage");

  private final KubernetesClient client;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final Provisioner provisioner;
  private final Terminator terminator;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  private final Duration registrationTtl;
  private final Duration launchTtl;
  // Karpenter's launch cache: what the cloud launched for a claim (by UID) until the claim is seen
  // Launched. A reconcile on a cached copy that predates the status write must not launch again:
  // every extra launch is an instance that no NodePool limit counts.
  private final Map<String, NodeClaim> launchedByUid =
      new java.util.concurrent.ConcurrentHashMap<>();

  public NodeClaimLifecycleReconciler(
      KubernetesClient client,
      ClusterState state,
      CloudProvider cloud,
      Provisioner provisioner,
      Terminator terminator,
      EventRecorder events,
      KarpenterMetrics metrics,
      Clock clock,
      Duration registrationTtl,
      Duration launchTtl) {
    this.client = client;
    this.state = state;
    this.cloud = cloud;
    this.provisioner = provisioner;
    this.terminator = terminator;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.registrationTtl = registrationTtl;
    this.launchTtl = launchTtl;
  }

  @Override
  public List<EventSource<?, NodeClaim>> prepareEventSources(EventSourceContext<NodeClaim> ctx) {
    var config =
        InformerEventSourceConfiguration.from(Node.class, NodeClaim.class)
            .withSecondaryToPrimaryMapper(
                (Node n) -> {
                  String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
                  if (pid == null) {
                    return Set.of();
                  }
                  return state
                      .nodeClaimByProviderId(pid)
                      .map(c -> Set.of(new ResourceID(c.getMetadata().getName())))
                      .orElse(Set.of());
                })
            .build();
    return List.of(new InformerEventSource<>(config, ctx));
  }

  @Override
  public UpdateControl<NodeClaim> reconcile(NodeClaim claim, Context<NodeClaim> ctx) {
    String pool = nodePool(claim);
    NodeClaimStatus status = claim.getStatus() == null ? new NodeClaimStatus() : claim.getStatus();
    List<dev.karpenter.api.v1.Condition> conditions = Conditions.copy(status.getConditions());
    Long gen = claim.getMetadata().getGeneration();

    String uid = claim.getMetadata().getUid();
    if (NodeClaims.isTrue(claim, NodeClaims.LAUNCHED) && uid != null) {
      launchedByUid.remove(uid);
    }
    if (!NodeClaims.isTrue(claim, NodeClaims.LAUNCHED)) {
      NodeClaim launched = uid == null ? null : launchedByUid.get(uid);
      try {
        if (launched == null) {
          launched = cloud.create(claim);
          if (uid != null) {
            launchedByUid.put(uid, launched);
          }
        }
      } catch (CloudProviderException.InsufficientCapacity e) {
        provisioner.markUnavailable(e.unavailableOfferings());
        return launchFailed(claim, "InsufficientCapacityError", e.getMessage());
      } catch (CloudProviderException.NodeClassNotReady e) {
        return launchFailed(claim, "NodeClassNotReady", e.getMessage());
      } catch (CloudProviderException.CreateError e) {
        return createFailed(claim, status, conditions, e.getMessage());
      }
      Map<String, String> labels = launched.getMetadata().getLabels();
      client
          .resources(NodeClaim.class)
          .withName(claim.getMetadata().getName())
          .edit(
              c -> {
                Map<String, String> merged =
                    new LinkedHashMap<>(nonNull(c.getMetadata().getLabels()));
                merged.putAll(labels);
                c.getMetadata().setLabels(merged);
                return c;
              });
      status.setProviderID(launched.getStatus().getProviderID());
      status.setImageID(launched.getStatus().getImageID());
      status.setCapacity(launched.getStatus().getCapacity());
      status.setAllocatable(launched.getStatus().getAllocatable());
      Conditions.set(conditions, NodeClaims.LAUNCHED, "True", "Launched", "", gen, clock);
      Conditions.set(
          conditions,
          NodeClaims.REGISTERED,
          "Unknown",
          "NodeNotFound",
          "Node not registered with cluster",
          gen,
          clock);
      Conditions.set(
          conditions,
          NodeClaims.INITIALIZED,
          "Unknown",
          "NodeNotFound",
          "Node not registered with cluster",
          gen,
          clock);
      Conditions.set(
          conditions, NodeClaims.READY, "Unknown", "NotReady", "Node not registered", gen, clock);
      metrics.nodeClaimLaunched(pool);
      events.normal(
          claim,
          "Launched",
          "Status condition transitioned, Type: Launched, Status: True, Reason: Launched ("
              + labels.get(Labels.INSTANCE_TYPE)
              + " "
              + labels.get(Labels.CAPACITY_TYPE)
              + " "
              + labels.get(Labels.ZONE)
              + ", "
              + status.getProviderID()
              + ")");
      return patchStatus(claim, status, conditions).rescheduleAfter(Duration.ofSeconds(2));
    }

    Optional<Node> node = state.nodeByProviderId(status.getProviderID());
    if (node.isEmpty()) {
      Instant launchedAt =
          NodeClaims.condition(claim, NodeClaims.LAUNCHED)
              .map(c -> Instant.parse(c.lastTransitionTime()))
              .orElse(clock.instant());
      if (Duration.between(launchedAt, clock.instant()).compareTo(registrationTtl) > 0) {
        events.warning(
            claim,
            "RegistrationTimeout",
            "Node did not register within " + registrationTtl + "; deleting NodeClaim");
        terminator.reason(claim, "RegistrationTimeout");
        client.resource(claim).delete();
        return UpdateControl.noUpdate();
      }
      return UpdateControl.<NodeClaim>noUpdate().rescheduleAfter(Duration.ofSeconds(5));
    }
    Node n = node.get();
    boolean changed = false;
    if (!NodeClaims.isTrue(claim, NodeClaims.REGISTERED)) {
      register(claim, n);
      status.setNodeName(n.getMetadata().getName());
      Conditions.set(conditions, NodeClaims.REGISTERED, "True", "Registered", "", gen, clock);
      metrics.nodeClaimRegistered(pool);
      metrics.nodeCreated(pool, label(n, Labels.ZONE));
      events.normal(
          claim,
          "Registered",
          "Status condition transitioned, Type: Registered, Status: True, Reason: Registered (node "
              + n.getMetadata().getName()
              + ")");
      changed = true;
    }
    if (!NodeClaims.isTrue(claim, NodeClaims.INITIALIZED)) {
      String[] why = initializationBlocker(claim, n);
      if (why == null) {
        client
            .nodes()
            .withName(n.getMetadata().getName())
            .edit(
                x -> {
                  x.getMetadata().getLabels().put("karpenter.sh/initialized", "true");
                  return x;
                });
        Conditions.set(conditions, NodeClaims.INITIALIZED, "True", "Initialized", "", gen, clock);
        Conditions.set(conditions, NodeClaims.READY, "True", "Ready", "", gen, clock);
        metrics.nodeClaimInitialized(pool);
        events.normal(
            claim,
            "Initialized",
            "Status condition transitioned, Type: Initialized, Status: True, Reason: Initialized");
        changed = true;
      } else {
        changed |=
            Conditions.set(
                conditions, NodeClaims.INITIALIZED, "Unknown", why[0], why[1], gen, clock);
        changed |=
            Conditions.set(
                conditions, NodeClaims.READY, "Unknown", "NotInitialized", why[1], gen, clock);
      }
    }
    boolean initialized =
        NodeClaims.isTrue(withConditions(claim, conditions), NodeClaims.INITIALIZED);
    // Our node cache may lag the event that triggered this reconcile: poll until initialized.
    UpdateControl<NodeClaim> u =
        changed ? patchStatus(claim, status, conditions) : UpdateControl.noUpdate();
    return initialized ? u : u.rescheduleAfter(Duration.ofSeconds(1));
  }

  private void register(NodeClaim claim, Node n) {
    client
        .nodes()
        .withName(n.getMetadata().getName())
        .edit(
            x -> {
              Map<String, String> labels =
                  new LinkedHashMap<>(nonNull(x.getMetadata().getLabels()));
              labels.putAll(nonNull(claim.getMetadata().getLabels()));
              labels.put("karpenter.sh/registered", "true");
              x.getMetadata().setLabels(labels);
              List<Taint> taints = new ArrayList<>();
              if (x.getSpec().getTaints() != null) {
                for (Taint t : x.getSpec().getTaints()) {
                  if (!"karpenter.sh/unregistered".equals(t.getKey())) {
                    taints.add(t);
                  }
                }
              }
              x.getSpec().setTaints(taints);
              return x;
            });
  }

  /** Reason and message why the node is not initialized yet, or null when it is. */
  static String[] initializationBlocker(NodeClaim claim, Node n) {
    boolean ready =
        n.getStatus() != null
            && n.getStatus().getConditions() != null
            && n.getStatus().getConditions().stream()
                .anyMatch(
                    (NodeCondition c) ->
                        "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    if (!ready) {
      return new String[] {"NodeNotReady", "Node status is NotReady"};
    }
    List<Taint> taints = n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
    for (dev.karpenter.api.v1.Taint st : dev.karpenter.state.NodeClaims.startupTaints(claim)) {
      for (Taint t : taints) {
        if (t.getKey().equals(st.key()) && t.getEffect().equals(st.effect().name())) {
          return new String[] {
            "StartupTaintsExist", "StartupTaint \"" + st.key() + "\" still exists"
          };
        }
      }
    }
    for (Taint t : taints) {
      if (NodeClaims.isEphemeral(t)) {
        return new String[] {
          "KnownEphemeralTaintsExist", "KnownEphemeralTaint \"" + t.getKey() + "\" still exists"
        };
      }
    }
    Resources requested =
        claim.getSpec().resources() == null
            ? Resources.NONE
            : ApiConversions.resources(claim.getSpec().resources().requests());
    Resources allocatable =
        n.getStatus() == null
            ? Resources.NONE
            : ApiConversions.resources(n.getStatus().getAllocatable());
    for (Map.Entry<String, Long> e : requested.milli().entrySet()) {
      if (!BASE_RESOURCES.contains(e.getKey())
          && e.getValue() > 0
          && allocatable.get(e.getKey()) <= 0) {
        return new String[] {
          "ResourceNotRegistered",
          "Resource \"" + e.getKey() + "\" was requested but not registered"
        };
      }
    }
    return null;
  }

  /** A retryable launch error: Launched=Unknown until it works, deleted after the launch TTL. */
  private UpdateControl<NodeClaim> createFailed(
      NodeClaim claim,
      NodeClaimStatus status,
      List<dev.karpenter.api.v1.Condition> conditions,
      String message) {
    Instant created = Instant.parse(claim.getMetadata().getCreationTimestamp());
    if (launchTimedOut(created, clock.instant(), launchTtl)) {
      events.warning(
          claim,
          "LaunchTimeout",
          "NodeClaim was not launched within " + launchTtl + ": " + message + "; deleting it");
      terminator.reason(claim, "LaunchTimeout");
      client.resource(claim).delete();
      return UpdateControl.noUpdate();
    }
    boolean changed =
        Conditions.set(
            conditions,
            NodeClaims.LAUNCHED,
            "Unknown",
            "LaunchFailed",
            message,
            claim.getMetadata().getGeneration(),
            clock);
    if (changed) {
      events.warning(claim, "LaunchFailed", "Failed to launch NodeClaim: " + message);
    }
    UpdateControl<NodeClaim> u =
        changed ? patchStatus(claim, status, conditions) : UpdateControl.noUpdate();
    Duration left = Duration.between(clock.instant(), created.plus(launchTtl));
    Duration retry = Duration.ofSeconds(5);
    return u.rescheduleAfter(left.compareTo(retry) < 0 ? left.plusMillis(100) : retry);
  }

  /** Whether a claim created at {@code created} has used up its launch TTL at {@code now}. */
  static boolean launchTimedOut(Instant created, Instant now, Duration launchTtl) {
    return Duration.between(created, now).compareTo(launchTtl) >= 0;
  }

  private UpdateControl<NodeClaim> launchFailed(NodeClaim claim, String reason, String message) {
    events.warning(claim, reason, "Failed to launch NodeClaim: " + message);
    terminator.reason(claim, "ProvisioningFailed");
    client.resource(claim).delete();
    return UpdateControl.noUpdate();
  }

  @Override
  public DeleteControl cleanup(NodeClaim claim, Context<NodeClaim> ctx) {
    NodeClaim launched =
        claim.getMetadata().getUid() == null
            ? null
            : launchedByUid.get(claim.getMetadata().getUid());
    if (launched != null
        && (claim.getStatus() == null || claim.getStatus().getProviderID() == null)) {
      // Deleted before its status showed the launch: terminate the instance that was launched.
      NodeClaim withInstance = io.fabric8.kubernetes.client.utils.Serialization.clone(claim);
      NodeClaimStatus s =
          withInstance.getStatus() == null ? new NodeClaimStatus() : withInstance.getStatus();
      s.setProviderID(launched.getStatus().getProviderID());
      withInstance.setStatus(s);
      claim = withInstance;
    }
    DeleteControl d = terminator.terminate(claim);
    if (d.isRemoveFinalizer() && claim.getMetadata().getUid() != null) {
      launchedByUid.remove(claim.getMetadata().getUid());
    }
    return d;
  }

  private UpdateControl<NodeClaim> patchStatus(
      NodeClaim claim, NodeClaimStatus status, List<dev.karpenter.api.v1.Condition> conditions) {
    NodeClaim fresh = new NodeClaim();
    fresh.getMetadata().setName(claim.getMetadata().getName());
    status.setConditions(conditions);
    fresh.setStatus(status);
    return UpdateControl.patchStatus(fresh);
  }

  private static NodeClaim withConditions(
      NodeClaim c, List<dev.karpenter.api.v1.Condition> conditions) {
    NodeClaim x = new NodeClaim();
    x.setMetadata(c.getMetadata());
    NodeClaimStatus s = new NodeClaimStatus();
    s.setConditions(conditions);
    x.setStatus(s);
    return x;
  }

  private static String nodePool(NodeClaim c) {
    String p = NodeClaims.nodePool(c);
    return p == null ? "" : p;
  }

  private static String label(Node n, String key) {
    return n.getMetadata().getLabels() == null
        ? ""
        : n.getMetadata().getLabels().getOrDefault(key, "");
  }

  private static Map<String, String> nonNull(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}
