package dev.karpenter.cloudprovider.kubelet;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.ResourceNames;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays kubelet (and the node daemons around it) for instances that have none: {@link #boot} an
 * instance and, after {@code registrationDelay}, its Node registers with the given labels, taints
 * (plus {@code karpenter.sh/unregistered}), capacity, allocatable and providerID, Ready, with a
 * kubelet Lease; extended resources of device plugins (GPUs, Neuron) appear {@code
 * devicePluginDelay} later; the startup taints are lifted {@code startupTaintDelay} after
 * registration, as a CNI or GPU operator would. Pods bound to its Nodes become Running and Ready,
 * pods being deleted there are removed. {@link #terminate} stops the instance: its Node and Lease
 * are deleted, as the cloud controller manager would.
 *
 * <p>Cloud-neutral: the simulated cloud uses it, and so can a provider whose instances run on an
 * emulator. One stand-in per cluster and cloud; it runs on every operator replica's cloud, not only
 * the leader's, because it is the world, not a controller.
 */
public final class SimulatedKubelet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedKubelet.class);
  static final String LEASE_NAMESPACE = "kube-node-lease";
  private static final Set<String> DEVICE_PLUGIN_RESOURCES =
      Set.of(
          ResourceNames.NVIDIA_GPU,
          ResourceNames.AMD_GPU,
          ResourceNames.NEURON,
          ResourceNames.NEURON_CORE,
          ResourceNames.HABANA_GAUDI);

  /**
   * @param registrationDelay boot until the Node registers
   * @param devicePluginDelay registration until accelerators are advertised
   * @param leaseRenewal how often each Node's Lease is renewed
   * @param startupTaintDelay registration until the startup taints are lifted
   */
  public record Settings(
      Duration registrationDelay,
      Duration devicePluginDelay,
      Duration leaseRenewal,
      Duration startupTaintDelay) {}

  /**
   * An instance that appeared in the cloud and should join the cluster.
   *
   * @param providerId the Node's {@code spec.providerID}, e.g. {@code aws:///us-east-1a/i-0abc}
   * @param nodeName the Node's name
   * @param instanceId machine, system and boot id in {@code status.nodeInfo}
   * @param labels every Node label (well-known instance-type labels, zone, region, capacity type,
   *     NodePool and claim labels); {@code kubernetes.io/hostname} is added
   * @param taints the NodeClaim's taints and startup taints
   * @param startupTaints keys of the taints a node daemon lifts after registration
   * @param capacity node capacity, including extended resources
   * @param allocatable node allocatable, including extended resources
   */
  public record Instance(
      String providerId,
      String nodeName,
      String instanceId,
      Map<String, String> labels,
      List<Taint> taints,
      List<String> startupTaints,
      Resources capacity,
      Resources allocatable) {
    public Instance {
      labels = Map.copyOf(labels);
      taints = List.copyOf(taints);
      startupTaints = List.copyOf(startupTaints);
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  // Pods start in parallel, as on real kubelets (one per node), at most this many status writes at
  // once; a pod already starting is not queued again by the updates that follow its binding.
  private final java.util.concurrent.ExecutorService starters =
      Executors.newVirtualThreadPerTaskExecutor();
  private final java.util.concurrent.Semaphore startSlots = new java.util.concurrent.Semaphore(16);
  private final Set<String> starting = ConcurrentHashMap.newKeySet();
  private final Map<String, Instance> running = new ConcurrentHashMap<>();
  private final Set<String> nodes = ConcurrentHashMap.newKeySet();
  private SharedIndexInformer<Pod> podInformer;
  private SharedIndexInformer<Node> nodeInformer;

  public SimulatedKubelet(KubernetesClient client, Settings settings, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
    this.executor =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "simulated-kubelet");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts running pods and renewing Leases for the Nodes it registered. */
  public SimulatedKubelet start() {
    nodeInformer =
        client
            .nodes()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Node n) {
                    track(n);
                  }

                  @Override
                  public void onUpdate(Node o, Node n) {
                    track(n);
                  }

                  @Override
                  public void onDelete(Node n, boolean unknown) {
                    nodes.remove(n.getMetadata().getName());
                  }
                });
    // Bound pods only, trimmed like the operator's own cache: this simulates the nodes' kubelets.
    podInformer =
        client
            .pods()
            .inAnyNamespace()
            .withoutField("spec.nodeName", "")
            .runnableInformer(0)
            .itemStore(new dev.karpenter.state.TrimmedItemStore<>());
    podInformer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod p) {
            kubelet(p);
          }

          @Override
          public void onUpdate(Pod o, Pod p) {
            kubelet(p);
          }

          @Override
          public void onDelete(Pod p, boolean unknown) {}
        });
    podInformer.exceptionHandler(
        (started, t) -> {
          LOG.warn("pod informer failed ({}), retrying", t.toString());
          return true;
        });
    podInformer.start();
    long every = settings.leaseRenewal().toMillis();
    executor.scheduleWithFixedDelay(this::renewLeases, every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The instance booted: its Node registers after the registration delay. */
  public void boot(Instance instance) {
    running.put(instance.providerId(), instance);
    executor.schedule(
        () -> register(instance), settings.registrationDelay().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * An instance that was running before this stand-in started (its kubelet kept running while the
   * process that simulates it restarted): its Node, if registered, is looked after again from now
   * on; one that had not registered yet registers after the registration delay. Call before {@link
   * #start}.
   */
  public void resume(Instance instance) {
    running.put(instance.providerId(), instance);
    Node existing;
    try {
      existing = client.nodes().withName(instance.nodeName()).get();
    } catch (KubernetesClientException e) {
      existing = null;
    }
    if (existing == null) {
      boot(instance);
    }
  }

  /** The instance is gone: its Node and Lease are deleted (a no-op for unknown ids). */
  public void terminate(String providerId) {
    Instance inst = running.remove(providerId);
    if (inst == null) {
      return;
    }
    try {
      client.nodes().withName(inst.nodeName()).delete();
      client.leases().inNamespace(LEASE_NAMESPACE).withName(inst.nodeName()).delete();
    } catch (KubernetesClientException e) {
      LOG.warn("deleting node {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  public boolean isRunning(String providerId) {
    return running.containsKey(providerId);
  }

  private void track(Node n) {
    String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
    if (pid != null && running.containsKey(pid)) {
      boolean added = nodes.add(n.getMetadata().getName());
      if (added && podInformer != null) {
        // Pods may have been bound before we saw the node.
        for (Pod p : podInformer.getStore().list()) {
          kubelet(p);
        }
      }
    }
  }

  private void register(Instance inst) {
    if (!running.containsKey(inst.providerId())) {
      return;
    }
    try {
      Map<String, String> labels = new LinkedHashMap<>(inst.labels());
      labels.put(Labels.HOSTNAME, inst.nodeName());
      List<Taint> taints = new ArrayList<>();
      taints.add(new Taint("NoExecute", Labels.UNREGISTERED_TAINT_KEY, null, null));
      taints.addAll(inst.taints());
      boolean accelerators = hasDevicePluginResources(inst.capacity());
      String now = ts(clock.instant());
      Node node =
          new NodeBuilder()
              .withNewMetadata()
              .withName(inst.nodeName())
              .withLabels(labels)
              .endMetadata()
              .withNewSpec()
              .withProviderID(inst.providerId())
              .withTaints(taints)
              .endSpec()
              .build();
      Node created = client.nodes().resource(node).create();
      created.setStatus(
          new NodeStatusBuilder()
              .withCapacity(ApiConversions.quantities(withoutDevicePlugins(inst.capacity())))
              .withAllocatable(ApiConversions.quantities(withoutDevicePlugins(inst.allocatable())))
              .addNewCondition()
              .withType("Ready")
              .withStatus("True")
              .withReason("KubeletReady")
              .withMessage("kubelet is posting ready status (simulated)")
              .withLastHeartbeatTime(now)
              .withLastTransitionTime(now)
              .endCondition()
              .addNewAddress()
              .withType("InternalIP")
              .withAddress(ip(inst.nodeName()))
              .endAddress()
              .addNewAddress()
              .withType("Hostname")
              .withAddress(inst.nodeName())
              .endAddress()
              .withNewNodeInfo()
              .withArchitecture(inst.labels().getOrDefault(Labels.ARCH, "amd64"))
              .withOperatingSystem(inst.labels().getOrDefault(Labels.OS, "linux"))
              .withKubeletVersion("v1.33.13-sim")
              .withKubeProxyVersion("v1.33.13-sim")
              .withContainerRuntimeVersion("containerd://1.7.27")
              .withOsImage("Amazon Linux 2023 (simulated)")
              .withKernelVersion("6.1.0")
              .withMachineID(inst.instanceId())
              .withSystemUUID(inst.instanceId())
              .withBootID(inst.instanceId())
              .endNodeInfo()
              .build());
      // A merge patch without resourceVersion: controllers may touch the new node concurrently.
      created.getMetadata().setResourceVersion(null);
      client.nodes().resource(created).patchStatus();
      try {
        renewLease(inst.nodeName(), created);
      } catch (KubernetesClientException e) {
        // The renewal loop may have created it first; it renews it from now on either way.
        LOG.debug("creating the lease of {}: {}", inst.nodeName(), e.getMessage());
      }
      LOG.info("node {} registered ({})", inst.nodeName(), inst.providerId());
      if (!inst.startupTaints().isEmpty()) {
        executor.schedule(
            () -> removeStartupTaints(inst),
            settings.startupTaintDelay().toMillis(),
            TimeUnit.MILLISECONDS);
      }
      if (accelerators) {
        executor.schedule(
            () -> advertiseDevices(inst),
            settings.devicePluginDelay().toMillis(),
            TimeUnit.MILLISECONDS);
      }
    } catch (KubernetesClientException e) {
      LOG.warn("registering node {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  private void advertiseDevices(Instance inst) {
    if (!running.containsKey(inst.providerId())) {
      return;
    }
    try {
      client
          .nodes()
          .withName(inst.nodeName())
          .editStatus(
              n -> {
                n.getStatus().setCapacity(ApiConversions.quantities(inst.capacity()));
                n.getStatus().setAllocatable(ApiConversions.quantities(inst.allocatable()));
                return n;
              });
      LOG.info("device plugin advertised accelerators on {}", inst.nodeName());
    } catch (KubernetesClientException e) {
      if (retryOnConflict(e, () -> advertiseDevices(inst))) {
        return;
      }
      LOG.warn("advertising devices on {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  /** Plays the node daemon (CNI, GPU operator) that lifts the startup taints once it is up. */
  private void removeStartupTaints(Instance inst) {
    if (!running.containsKey(inst.providerId())) {
      return;
    }
    try {
      client
          .nodes()
          .withName(inst.nodeName())
          .edit(
              n -> {
                if (n.getSpec().getTaints() != null) {
                  n.getSpec()
                      .setTaints(
                          n.getSpec().getTaints().stream()
                              .filter(t -> !inst.startupTaints().contains(t.getKey()))
                              .toList());
                }
                return n;
              });
      LOG.info("startup taints {} removed from {}", inst.startupTaints(), inst.nodeName());
    } catch (KubernetesClientException e) {
      if (retryOnConflict(e, () -> removeStartupTaints(inst))) {
        return;
      }
      LOG.warn("removing startup taints from {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  /**
   * A read-modify-write of the Node lost a race with a controller writing it (409): do it again on
   * the fresh object shortly, as the kubelet and device plugins do.
   */
  private boolean retryOnConflict(KubernetesClientException e, Runnable again) {
    if (e.getCode() != 409) {
      return false;
    }
    executor.schedule(again, 100, TimeUnit.MILLISECONDS);
    return true;
  }

  /** Whether a device plugin, not the kubelet, advertises some of these resources. */
  public static boolean hasDevicePluginResources(Resources r) {
    return DEVICE_PLUGIN_RESOURCES.stream().anyMatch(name -> r.get(name) > 0);
  }

  private static Resources withoutDevicePlugins(Resources r) {
    Map<String, Long> m = new HashMap<>(r.milli());
    DEVICE_PLUGIN_RESOURCES.forEach(m::remove);
    return new Resources(m);
  }

  private void kubelet(Pod p) {
    String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
    if (node == null || !nodes.contains(node)) {
      return;
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      executor.execute(() -> removeTerminating(p));
      return;
    }
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if (("Pending".equals(phase) || phase == null)
        && !starters.isShutdown()
        && starting.add(p.getMetadata().getUid())) {
      starters.execute(
          () -> {
            try {
              startSlots.acquire();
              try {
                run(p);
              } finally {
                startSlots.release();
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              starting.remove(p.getMetadata().getUid());
            }
          });
    }
  }

  private void run(Pod p) {
    String now = ts(clock.instant());
    List<PodCondition> conditions = new ArrayList<>();
    for (String type : List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
      conditions.add(
          new PodConditionBuilder()
              .withType(type)
              .withStatus("True")
              .withLastTransitionTime(now)
              .build());
    }
    try {
      client
          .pods()
          .inNamespace(p.getMetadata().getNamespace())
          .withName(p.getMetadata().getName())
          .editStatus(
              cur -> {
                if (cur.getStatus() != null && "Running".equals(cur.getStatus().getPhase())) {
                  return cur;
                }
                cur.getStatus().setPhase("Running");
                cur.getStatus().setStartTime(now);
                cur.getStatus().setHostIP(ip(p.getSpec().getNodeName()));
                cur.getStatus().setPodIP(podIp(p));
                cur.getStatus().setConditions(conditions);
                List<ContainerStatus> cs = new ArrayList<>();
                for (var c : p.getSpec().getContainers()) {
                  cs.add(
                      new ContainerStatusBuilder()
                          .withName(c.getName())
                          .withImage(c.getImage())
                          .withImageID("sim://" + c.getImage())
                          .withContainerID("containerd://sim-" + p.getMetadata().getUid())
                          .withReady(true)
                          .withStarted(true)
                          .withRestartCount(0)
                          .withNewState()
                          .withNewRunning()
                          .withStartedAt(now)
                          .endRunning()
                          .endState()
                          .build());
                }
                cur.getStatus().setContainerStatuses(cs);
                return cur;
              });
    } catch (KubernetesClientException e) {
      LOG.debug("setting pod {} Running failed: {}", p.getMetadata().getName(), e.getMessage());
    }
  }

  private void removeTerminating(Pod p) {
    try {
      client
          .pods()
          .inNamespace(p.getMetadata().getNamespace())
          .withName(p.getMetadata().getName())
          .withGracePeriod(0)
          .delete();
    } catch (KubernetesClientException e) {
      LOG.debug("removing pod {} failed: {}", p.getMetadata().getName(), e.getMessage());
    }
  }

  private void renewLeases() {
    for (String node : List.copyOf(nodes)) {
      try {
        renewLease(node, null);
      } catch (KubernetesClientException e) {
        LOG.debug("renewing lease of {} failed: {}", node, e.getMessage());
      }
    }
  }

  private void renewLease(String nodeName, Node owner) {
    ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    var leases = client.leases().inNamespace(LEASE_NAMESPACE);
    Lease existing = leases.withName(nodeName).get();
    if (existing == null) {
      LeaseBuilder b =
          new LeaseBuilder()
              .withNewMetadata()
              .withName(nodeName)
              .withNamespace(LEASE_NAMESPACE)
              .endMetadata()
              .withNewSpec()
              .withHolderIdentity(nodeName)
              .withLeaseDurationSeconds(40)
              .withRenewTime(now)
              .endSpec();
      if (owner != null) {
        b.editMetadata()
            .addNewOwnerReference()
            .withApiVersion("v1")
            .withKind("Node")
            .withName(nodeName)
            .withUid(owner.getMetadata().getUid())
            .endOwnerReference()
            .endMetadata();
      }
      leases.resource(b.build()).create();
    } else {
      existing.getSpec().setRenewTime(now);
      leases.resource(existing).update();
    }
  }

  private static String ts(Instant i) {
    return i.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** The InternalIP of an {@code ip-a-b-c-d...} node name. */
  static String ip(String nodeName) {
    String[] parts = nodeName.split("\\.")[0].split("-");
    return parts.length >= 5
        ? parts[1] + "." + parts[2] + "." + parts[3] + "." + parts[4]
        : "10.0.0.1";
  }

  private static String podIp(Pod p) {
    int h = p.getMetadata().getUid() == null ? 1 : p.getMetadata().getUid().hashCode();
    return "100.64." + ((h >>> 8) & 0xff) + "." + (h & 0xff);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    starters.shutdownNow();
    if (podInformer != null) {
      podInformer.close();
    }
    if (nodeInformer != null) {
      nodeInformer.close();
    }
  }
}
