package dev.karpenter.state;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The cluster as the controllers see it: informer caches of pods, nodes, NodeClaims, NodePools,
 * DaemonSets, PodDisruptionBudgets and EC2NodeClasses, with the lookups the controllers share.
 * Listeners hear about pods that became provisionable and about node / NodeClaim changes.
 */
public final class ClusterState implements AutoCloseable {
  public static final String PROVIDER_ID_INDEX = "providerID";

  private final KubernetesClient client;
  private final java.time.Clock clock;
  // When this process first saw each unbound pod pending: the start of its wait for capacity.
  private final Map<String, java.time.Instant> pendingSince =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final List<Consumer<Pod>> provisionableListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> capacityListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> configListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<NodeClaim>> nodeClaimListeners = new CopyOnWriteArrayList<>();
  private final List<BiConsumer<Pod, Pod>> podListeners = new CopyOnWriteArrayList<>();
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<NodeClaim> nodeClaims;
  private SharedIndexInformer<NodePool> nodePools;
  private SharedIndexInformer<DaemonSet> daemonSets;
  private SharedIndexInformer<EC2NodeClass> nodeClasses;
  private SharedIndexInformer<PersistentVolumeClaim> claims;
  private SharedIndexInformer<PersistentVolume> volumes;
  private SharedIndexInformer<StorageClass> storageClasses;
  private SharedIndexInformer<PodDisruptionBudget> podDisruptionBudgets;

  public ClusterState(KubernetesClient client) {
    this(client, java.time.Clock.systemUTC());
  }

  public ClusterState(KubernetesClient client, java.time.Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  public ClusterState start() {
    pods =
        add(
            client.pods().inAnyNamespace().runnableInformer(0).itemStore(new TrimmedItemStore<>()),
            new PodHandler());
    nodes = client.nodes().runnableInformer(0).itemStore(new TrimmedItemStore<>());
    nodes.addIndexers(
        Map.of(
            PROVIDER_ID_INDEX,
            n ->
                n.getSpec() == null || n.getSpec().getProviderID() == null
                    ? List.of()
                    : List.of(n.getSpec().getProviderID())));
    add(nodes, new Handler<>(n -> capacityListeners.forEach(Runnable::run)));
    nodeClaims =
        add(
            client.resources(NodeClaim.class).runnableInformer(0),
            new Handler<>(
                c -> {
                  nodeClaimListeners.forEach(l -> l.accept(c));
                  capacityListeners.forEach(Runnable::run);
                }));
    nodePools =
        add(
            client.resources(NodePool.class).runnableInformer(0),
            new ConfigHandler<>((a, b) -> Objects.equals(generation(a), generation(b))));
    daemonSets = add(client.apps().daemonSets().inAnyNamespace().runnableInformer(0), null);
    nodeClasses =
        add(
            client.resources(EC2NodeClass.class).runnableInformer(0),
            new ConfigHandler<>(
                (a, b) ->
                    Objects.equals(generation(a), generation(b))
                        && io.fabric8.kubernetes.client.utils.Serialization.asJson(a.getStatus())
                            .equals(
                                io.fabric8.kubernetes.client.utils.Serialization.asJson(
                                    b.getStatus()))));
    claims = add(client.persistentVolumeClaims().inAnyNamespace().runnableInformer(0), null);
    volumes = add(client.persistentVolumes().runnableInformer(0), null);
    storageClasses = add(client.storage().v1().storageClasses().runnableInformer(0), null);
    podDisruptionBudgets =
        add(client.policy().v1().podDisruptionBudget().inAnyNamespace().runnableInformer(0), null);
    for (SharedIndexInformer<?> i : informers) {
      i.start();
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (!synced() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return this;
  }

  private <T extends HasMetadata> SharedIndexInformer<T> add(
      SharedIndexInformer<T> informer, ResourceEventHandler<T> handler) {
    if (handler != null) {
      informer.addEventHandler(handler);
    }
    // fabric8 stops an informer whose first list fails (a slow list of 10,000 pods through a
    // loaded API server was reset mid-stream): retry instead, or the cache never fills.
    informer.exceptionHandler(
        (started, t) -> {
          org.slf4j.LoggerFactory.getLogger(ClusterState.class)
              .warn(
                  "{} informer failed ({}), retrying",
                  informer.getApiTypeClass().getSimpleName(),
                  t.toString());
          return true;
        });
    informers.add(informer);
    return informer;
  }

  private void changed(Pod p) {
    String uid = p.getMetadata().getUid();
    if (isWaiting(p)) {
      pendingSince.putIfAbsent(uid, clock.instant());
    } else {
      pendingSince.remove(uid);
    }
    if (isProvisionable(p)) {
      provisionableListeners.forEach(l -> l.accept(p));
    }
  }

  private static boolean isWaiting(Pod p) {
    if (p.getSpec() == null || p.getSpec().getNodeName() != null) {
      return false;
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }

  /**
   * When this process first saw the unbound pod {@code uid} pending (before kube-scheduler marked
   * it Unschedulable, which under load can be seconds later); empty once it is bound or gone.
   */
  public Optional<java.time.Instant> pendingSince(String uid) {
    return Optional.ofNullable(pendingSince.get(uid));
  }

  /** Waits until every cache has listed once. */
  public boolean synced() {
    return informers.stream().allMatch(SharedIndexInformer::hasSynced);
  }

  public void onProvisionablePod(Consumer<Pod> listener) {
    provisionableListeners.add(listener);
  }

  /** Called with every NodeClaim the informer adds, updates or deletes. */
  public void onNodeClaimEvent(Consumer<NodeClaim> listener) {
    nodeClaimListeners.add(listener);
  }

  /**
   * Called with every pod change: {@code (old, new)}, old null when the pod was added, new null
   * when it was deleted.
   */
  public void onPodChange(BiConsumer<Pod, Pod> listener) {
    podListeners.add(listener);
  }

  /**
   * Called when a NodePool's spec or an EC2NodeClass's spec or status (readiness, resolved subnets
   * and AMIs) changes, or one comes or goes: pods that could not be planned before may fit now,
   * without kube-scheduler marking them again.
   */
  public void onConfigurationChange(Runnable listener) {
    configListeners.add(listener);
  }

  public void onCapacityChange(Runnable listener) {
    capacityListeners.add(listener);
  }

  /**
   * Karpenter's provisionable pod: the kube-scheduler marked it {@code PodScheduled=False,
   * Unschedulable}, it is not bound, not terminating, and not a DaemonSet or static pod.
   */
  public static boolean isProvisionable(Pod p) {
    if (p.getSpec() == null || p.getSpec().getNodeName() != null) {
      return false;
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return false;
    }
    String phase = p.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return false;
    }
    boolean unschedulable = false;
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        unschedulable = true;
      }
    }
    if (!unschedulable) {
      return false;
    }
    return p.getMetadata().getOwnerReferences() == null
        || p.getMetadata().getOwnerReferences().stream()
            .noneMatch(o -> "DaemonSet".equals(o.getKind()) || "Node".equals(o.getKind()));
  }

  public List<Pod> pods() {
    return pods.getStore().list();
  }

  public List<Pod> provisionablePods() {
    return pods().stream().filter(ClusterState::isProvisionable).toList();
  }

  public List<Pod> podsOn(String nodeName) {
    return pods().stream()
        .filter(p -> nodeName.equals(p.getSpec().getNodeName()))
        .filter(
            p ->
                p.getStatus() == null
                    || !("Succeeded".equals(p.getStatus().getPhase())
                        || "Failed".equals(p.getStatus().getPhase())))
        .toList();
  }

  public List<Node> nodes() {
    return nodes.getStore().list();
  }

  public Optional<Node> node(String name) {
    return Optional.ofNullable(nodes.getStore().getByKey(name));
  }

  public Optional<Node> nodeByProviderId(String providerId) {
    if (providerId == null) {
      return Optional.empty();
    }
    List<Node> found = nodes.getIndexer().byIndex(PROVIDER_ID_INDEX, providerId);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  public List<NodeClaim> nodeClaims() {
    return nodeClaims.getStore().list();
  }

  public Optional<NodeClaim> nodeClaimByProviderId(String providerId) {
    return nodeClaims().stream()
        .filter(c -> c.getStatus() != null && providerId.equals(c.getStatus().getProviderID()))
        .findFirst();
  }

  /** PersistentVolumeClaims, PersistentVolumes and StorageClasses, for volume topology. */
  public List<PersistentVolumeClaim> persistentVolumeClaims() {
    return claims == null ? List.of() : claims.getStore().list();
  }

  public List<PersistentVolume> persistentVolumes() {
    return volumes == null ? List.of() : volumes.getStore().list();
  }

  public List<StorageClass> storageClasses() {
    return storageClasses == null ? List.of() : storageClasses.getStore().list();
  }

  public List<PodDisruptionBudget> podDisruptionBudgets() {
    return podDisruptionBudgets == null ? List.of() : podDisruptionBudgets.getStore().list();
  }

  public List<NodePool> nodePools() {
    return nodePools.getStore().list();
  }

  public Optional<NodePool> nodePool(String name) {
    return Optional.ofNullable(nodePools.getStore().getByKey(name));
  }

  public List<DaemonSet> daemonSets() {
    return daemonSets.getStore().list();
  }

  public List<EC2NodeClass> nodeClasses() {
    return nodeClasses.getStore().list();
  }

  public Optional<EC2NodeClass> nodeClass(String name) {
    return Optional.ofNullable(nodeClasses.getStore().getByKey(name));
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }

  private final class PodHandler implements ResourceEventHandler<Pod> {
    @Override
    public void onAdd(Pod p) {
      changed(p);
      podListeners.forEach(l -> l.accept(null, p));
    }

    @Override
    public void onUpdate(Pod old, Pod p) {
      changed(p);
      podListeners.forEach(l -> l.accept(old, p));
    }

    @Override
    public void onDelete(Pod p, boolean deletedFinalStateUnknown) {
      pendingSince.remove(p.getMetadata().getUid());
      podListeners.forEach(l -> l.accept(p, null));
    }
  }

  private static Long generation(HasMetadata o) {
    return o.getMetadata().getGeneration();
  }

  /** Fires the configuration listeners unless an update leaves what matters the same. */
  private final class ConfigHandler<T> implements ResourceEventHandler<T> {
    private final java.util.function.BiPredicate<T, T> same;

    ConfigHandler(java.util.function.BiPredicate<T, T> same) {
      this.same = same;
    }

    @Override
    public void onAdd(T obj) {
      configListeners.forEach(Runnable::run);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      if (!same.test(oldObj, newObj)) {
        configListeners.forEach(Runnable::run);
      }
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      configListeners.forEach(Runnable::run);
    }
  }

  private static final class Handler<T> implements ResourceEventHandler<T> {
    private final Consumer<T> onChange;

    Handler(Consumer<T> onChange) {
      this.onChange = onChange;
    }

    @Override
    public void onAdd(T obj) {
      onChange.accept(obj);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      onChange.accept(newObj);
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      onChange.accept(obj);
    }
  }
}
