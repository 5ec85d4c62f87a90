package dev.karpenter.cloudprovider.simulated;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
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
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cloud on this machine, backed by the real instance-type catalog. {@link #create} launches the
 * cheapest available offering of a claim; after {@code bootDelay} the "instance" registers a Node
 * as kubelet would (all well-known labels, catalog capacity and allocatable, the claim's taints and
 * startup taints, Ready); accelerators appear {@code devicePluginDelay} later, as a device plugin
 * advertises them. It also plays kubelet for pods bound to its nodes: they become Running and
 * Ready, and pods being deleted there are removed.
 */
public final class SimulatedCloudProvider implements CloudProvider, AutoCloseable {
  public static final String PROVIDER_ID_PREFIX = "sim:///";
  public static final String UNREGISTERED_TAINT = "karpenter.sh/unregistered";
  static final Duration ICE_CACHE_TTL = Duration.ofMinutes(3);
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedCloudProvider.class);
  private static final Set<String> DEVICE_PLUGIN_RESOURCES =
      Set.of(
          "nvidia.com/gpu",
          "amd.com/gpu",
          "aws.amazon.com/neuron",
          "aws.amazon.com/neuroncore",
          "habana.ai/gaudi");

  /**
   * @param bootDelay launch until the Node registers
   * @param devicePluginDelay registration until accelerators are advertised
   * @param leaseRenewal how often each node's kubelet Lease is renewed
   * @param startupTaintDelay registration until a simulated daemon (e.g. a CNI or the GPU operator)
   *     removes the NodePool's startupTaints
   */
  public record Settings(
      Duration bootDelay,
      Duration devicePluginDelay,
      Duration leaseRenewal,
      Duration startupTaintDelay) {
    public static Settings defaults() {
      return new Settings(
          Duration.ofSeconds(3),
          Duration.ofSeconds(2),
          Duration.ofSeconds(10),
          Duration.ofSeconds(1));
    }

    /** The same timings with every delay scaled to {@code boot} (tests and benchmarks). */
    public Settings withBootDelay(Duration boot) {
      return new Settings(boot, devicePluginDelay, leaseRenewal, startupTaintDelay);
    }

    public Settings withDelays(Duration boot, Duration devicePlugin, Duration startupTaints) {
      return new Settings(boot, devicePlugin, leaseRenewal, startupTaints);
    }
  }

  /** One running (or booting) instance. */
  public record Instance(
      String id,
      String providerId,
      String nodeName,
      String nodeClaim,
      String instanceType,
      String zone,
      String capacityType,
      double pricePerHour,
      Instant launchedAt) {}

  private final KubernetesClient client;
  private final Catalog catalog;
  private final Settings settings;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final Map<String, Instance> instances = new ConcurrentHashMap<>();
  private final Set<String> insufficientCapacity = ConcurrentHashMap.newKeySet();
  // Offerings a launch found short, hidden from instanceTypes() like Karpenter's 3-minute ICE
  // cache.
  private final Map<String, Instant> learnedUnavailable = new ConcurrentHashMap<>();
  private volatile String createError;
  private final Set<String> simNodes = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong(System.nanoTime() & 0xffffffL);
  private final AtomicLong launches = new AtomicLong();
  private SharedIndexInformer<Pod> podInformer;
  private SharedIndexInformer<Node> nodeInformer;
  private volatile SharedIndexInformer<EC2NodeClass> nodeClassInformer;

  public SimulatedCloudProvider(
      KubernetesClient client, Catalog catalog, Settings settings, Clock clock) {
    this.client = client;
    this.catalog = catalog;
    this.settings = settings;
    this.clock = clock;
    this.executor =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "simulated-cloud");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts playing kubelet (pods, node leases) for the simulated nodes. */
  public SimulatedCloudProvider start() {
    nodeClassInformer = client.resources(EC2NodeClass.class).inform();
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
                    simNodes.remove(n.getMetadata().getName());
                  }
                });
    podInformer =
        client
            .pods()
            .inAnyNamespace()
            .inform(
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
    long every = settings.leaseRenewal().toMillis();
    executor.scheduleWithFixedDelay(this::renewLeases, every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  private void track(Node n) {
    String pid = n.getSpec() == null ? null : n.getSpec().getProviderID();
    if (pid != null && pid.startsWith(PROVIDER_ID_PREFIX)) {
      boolean added = simNodes.add(n.getMetadata().getName());
      if (added && podInformer != null) {
        // Pods may have been bound before we saw the node.
        for (Pod p : podInformer.getStore().list()) {
          kubelet(p);
        }
      }
    }
  }

  // ---------------------------------------------------------------- CloudProvider

  @Override
  public NodeClaim create(NodeClaim claim) {
    String injected = createError;
    if (injected != null) {
      throw new CloudProviderException.CreateError(injected);
    }
    String nodeClass = claim.getSpec().nodeClassRef().name();
    EC2NodeClass nc = nodeClass(nodeClass);
    if (nc == null) {
      throw new CloudProviderException.NodeClassNotReady(
          "EC2NodeClass " + nodeClass + " not found");
    }
    Requirements reqs = ApiConversions.requirements(claim.getSpec().requirementsOrEmpty());
    Resources requests =
        claim.getSpec().resources() == null
            ? Resources.NONE
            : ApiConversions.resources(claim.getSpec().resources().requests());
    record Candidate(InstanceType type, Offering offering) {}
    List<Candidate> candidates = new ArrayList<>();
    for (InstanceType t : typesOf(nc)) {
      if (!t.allocatable().fits(requests)) {
        continue;
      }
      for (Offering o : t.offerings()) {
        if (o.available() && matches(reqs, t, o)) {
          candidates.add(new Candidate(t, o));
        }
      }
    }
    candidates.sort(
        Comparator.comparingDouble((Candidate c) -> c.offering().price())
            .thenComparing(c -> c.type().name())
            .thenComparing(c -> c.offering().zone()));
    List<String> failed = new ArrayList<>();
    for (Candidate c : candidates) {
      String key = key(c.offering().capacityType(), c.type().name(), c.offering().zone());
      if (insufficientCapacity.contains(key)) {
        failed.add(key);
        continue;
      }
      // Like CreateFleet, the launch falls through to the next cheapest pool and reports the rest.
      learn(failed);
      return launch(claim, c.type(), c.offering());
    }
    learn(failed);
    throw new CloudProviderException.InsufficientCapacity(
        candidates.isEmpty()
            ? "no instance type offering satisfies the NodeClaim's requirements"
            : "insufficient capacity for all " + failed.size() + " offerings (" + failed + ")",
        failed);
  }

  private void learn(List<String> shortOfferings) {
    Instant until = clock.instant().plus(ICE_CACHE_TTL);
    shortOfferings.forEach(k -> learnedUnavailable.put(k, until));
  }

  private boolean knownUnavailable(String key) {
    Instant until = learnedUnavailable.get(key);
    return until != null && clock.instant().isBefore(until);
  }

  private static boolean matches(Requirements reqs, InstanceType t, Offering o) {
    for (Requirement r : reqs.all()) {
      String key = r.key();
      String value;
      if (key.equals(Labels.ZONE)) {
        value = o.zone();
      } else if (key.equals(Labels.CAPACITY_TYPE)) {
        value = o.capacityType();
      } else if (key.equals(Labels.INSTANCE_TYPE)) {
        value = t.name();
      } else if (Labels.ALL.contains(key) && !key.equals(Labels.NODEPOOL)) {
        value = t.labels().get(key);
      } else {
        continue;
      }
      if (!r.matches(value)) {
        return false;
      }
    }
    return true;
  }

  private NodeClaim launch(NodeClaim claim, InstanceType type, Offering offering) {
    long n = ids.incrementAndGet();
    String id = String.format("i-%017x", n);
    String providerId = PROVIDER_ID_PREFIX + offering.zone() + "/" + id;
    String nodeName =
        String.format(
            "ip-10-%d-%d-%d.%s.compute.internal",
            (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, catalog.region());
    Instance inst =
        new Instance(
            id,
            providerId,
            nodeName,
            claim.getMetadata().getName(),
            type.name(),
            offering.zone(),
            offering.capacityType(),
            offering.price(),
            clock.instant());
    instances.put(providerId, inst);
    launches.incrementAndGet();
    NodeClaim launched = copy(claim);
    Map<String, String> labels = new LinkedHashMap<>(nonNull(launched.getMetadata().getLabels()));
    labels.putAll(nodeLabels(type, offering, nodeName));
    launched.getMetadata().setLabels(labels);
    NodeClaimStatus status =
        launched.getStatus() == null ? new NodeClaimStatus() : launched.getStatus();
    status.setProviderID(providerId);
    status.setImageID("ami-simulated-al2023");
    status.setCapacity(ApiConversions.quantities(type.capacity()));
    status.setAllocatable(ApiConversions.quantities(type.allocatable()));
    launched.setStatus(status);
    LOG.info(
        "launched {} {} {} {} for NodeClaim {}",
        id,
        type.name(),
        offering.capacityType(),
        offering.zone(),
        claim.getMetadata().getName());
    executor.schedule(
        () -> register(launched, type, inst),
        settings.bootDelay().toMillis(),
        TimeUnit.MILLISECONDS);
    return launched;
  }

  private Map<String, String> nodeLabels(InstanceType type, Offering offering, String nodeName) {
    Map<String, String> labels = new LinkedHashMap<>(type.labels());
    labels.put(Labels.INSTANCE_TYPE, type.name());
    labels.put(Labels.ZONE, offering.zone());
    labels.put(Labels.REGION, catalog.region());
    labels.put(Labels.CAPACITY_TYPE, offering.capacityType());
    labels.putIfAbsent(Labels.OS, "linux");
    labels.put("kubernetes.io/hostname", nodeName);
    return labels;
  }

  private void register(NodeClaim claim, InstanceType type, Instance inst) {
    if (!instances.containsKey(inst.providerId())) {
      return;
    }
    try {
      Map<String, String> labels = new LinkedHashMap<>(nonNull(claim.getMetadata().getLabels()));
      labels.put(Labels.EC2NODECLASS, claim.getSpec().nodeClassRef().name());
      List<Taint> taints = new ArrayList<>();
      taints.add(new Taint("NoExecute", UNREGISTERED_TAINT, null, null));
      dev.karpenter.state.NodeClaims.taints(claim).forEach(t -> taints.add(t.toModel()));
      dev.karpenter.state.NodeClaims.startupTaints(claim).forEach(t -> taints.add(t.toModel()));
      boolean accelerators = hasDevicePluginResources(type);
      Resources capacity = withoutDevicePlugins(type.capacity(), accelerators);
      Resources allocatable = withoutDevicePlugins(type.allocatable(), accelerators);
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
          new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
              .withCapacity(ApiConversions.quantities(capacity))
              .withAllocatable(ApiConversions.quantities(allocatable))
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
              .withArchitecture(type.labels().getOrDefault(Labels.ARCH, "amd64"))
              .withOperatingSystem("linux")
              .withKubeletVersion("v1.33.13-sim")
              .withKubeProxyVersion("v1.33.13-sim")
              .withContainerRuntimeVersion("containerd://1.7.27")
              .withOsImage("Amazon Linux 2023 (simulated)")
              .withKernelVersion("6.1.0")
              .withMachineID(inst.id())
              .withSystemUUID(inst.id())
              .withBootID(inst.id())
              .endNodeInfo()
              .build());
      // A merge patch without resourceVersion: controllers may touch the new node concurrently.
      created.getMetadata().setResourceVersion(null);
      client.nodes().resource(created).patchStatus();
      renewLease(inst.nodeName(), created);
      LOG.info("node {} registered for {}", inst.nodeName(), inst.nodeClaim());
      List<String> startupKeys =
          dev.karpenter.state.NodeClaims.startupTaints(claim).stream()
              .map(dev.karpenter.api.v1.Taint::key)
              .toList();
      if (!startupKeys.isEmpty()) {
        executor.schedule(
            () -> removeStartupTaints(inst, startupKeys),
            settings.startupTaintDelay().toMillis(),
            TimeUnit.MILLISECONDS);
      }
      if (accelerators) {
        executor.schedule(
            () -> advertiseDevices(inst, type),
            settings.devicePluginDelay().toMillis(),
            TimeUnit.MILLISECONDS);
      }
    } catch (KubernetesClientException e) {
      LOG.warn("registering node {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  private void advertiseDevices(Instance inst, InstanceType type) {
    if (!instances.containsKey(inst.providerId())) {
      return;
    }
    try {
      client
          .nodes()
          .withName(inst.nodeName())
          .editStatus(
              n -> {
                n.getStatus().setCapacity(ApiConversions.quantities(type.capacity()));
                n.getStatus().setAllocatable(ApiConversions.quantities(type.allocatable()));
                return n;
              });
      LOG.info("device plugin advertised accelerators on {}", inst.nodeName());
    } catch (KubernetesClientException e) {
      LOG.warn("advertising devices on {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  /** Plays the node daemon (CNI, GPU operator) that lifts the startup taints once it is up. */
  private void removeStartupTaints(Instance inst, List<String> keys) {
    if (!instances.containsKey(inst.providerId())) {
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
                              .filter(t -> !keys.contains(t.getKey()))
                              .toList());
                }
                return n;
              });
      LOG.info("startup taints {} removed from {}", keys, inst.nodeName());
    } catch (KubernetesClientException e) {
      LOG.warn("removing startup taints from {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  private static boolean hasDevicePluginResources(InstanceType t) {
    return DEVICE_PLUGIN_RESOURCES.stream().anyMatch(r -> t.capacity().get(r) > 0);
  }

  private static Resources withoutDevicePlugins(Resources r, boolean strip) {
    if (!strip) {
      return r;
    }
    Map<String, Long> m = new HashMap<>(r.milli());
    DEVICE_PLUGIN_RESOURCES.forEach(m::remove);
    return new Resources(m);
  }

  @Override
  public void delete(NodeClaim claim) {
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    Instance inst = pid == null ? null : instances.remove(pid);
    if (inst == null) {
      throw new CloudProviderException.NodeClaimNotFound(
          "no instance for NodeClaim " + claim.getMetadata().getName());
    }
    LOG.info("terminated {} ({})", inst.id(), inst.nodeName());
    try {
      client.nodes().withName(inst.nodeName()).delete();
      client.leases().inNamespace("kube-node-lease").withName(inst.nodeName()).delete();
    } catch (KubernetesClientException e) {
      LOG.warn("deleting node {} failed: {}", inst.nodeName(), e.getMessage());
    }
  }

  @Override
  public NodeClaim get(String providerId) {
    Instance inst = instances.get(providerId);
    if (inst == null) {
      throw new CloudProviderException.NodeClaimNotFound("no instance " + providerId);
    }
    return asClaim(inst);
  }

  @Override
  public List<NodeClaim> list() {
    return instances.values().stream().map(this::asClaim).toList();
  }

  private NodeClaim asClaim(Instance inst) {
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(inst.nodeClaim());
    c.getMetadata()
        .setLabels(
            Map.of(
                Labels.INSTANCE_TYPE, inst.instanceType(),
                Labels.ZONE, inst.zone(),
                Labels.CAPACITY_TYPE, inst.capacityType()));
    NodeClaimStatus s = new NodeClaimStatus();
    s.setProviderID(inst.providerId());
    s.setNodeName(inst.nodeName());
    c.setStatus(s);
    return c;
  }

  private EC2NodeClass nodeClass(String name) {
    SharedIndexInformer<EC2NodeClass> informer = nodeClassInformer;
    EC2NodeClass nc = informer == null ? null : informer.getStore().getByKey(name);
    return nc != null ? nc : client.resources(EC2NodeClass.class).withName(name).get();
  }

  /** The catalog as the node class sees it: kubelet, root volume and AMI family applied. */
  private List<InstanceType> typesOf(EC2NodeClass nc) {
    try {
      return catalog.instanceTypes(NodeClassSettings.of(nc));
    } catch (IllegalArgumentException e) {
      LOG.warn(
          "EC2NodeClass {}: {}; using the AL2023 defaults",
          nc.getMetadata().getName(),
          e.getMessage());
      return catalog.instanceTypes();
    }
  }

  @Override
  public List<InstanceType> instanceTypes(NodePool nodePool) {
    Instant now = clock.instant();
    learnedUnavailable.values().removeIf(until -> !now.isBefore(until));
    var ref = nodePool.getSpec().template().spec().nodeClassRef();
    List<InstanceType> types = typesOf(ref == null ? null : nodeClass(ref.name()));
    if (learnedUnavailable.isEmpty()) {
      return types;
    }
    List<InstanceType> out = new ArrayList<>();
    for (InstanceType t : types) {
      List<Offering> offs =
          t.offerings().stream()
              .map(
                  o ->
                      knownUnavailable(key(o.capacityType(), t.name(), o.zone()))
                          ? o.withAvailable(false)
                          : o)
              .toList();
      out.add(new InstanceType(t.name(), t.labels(), t.capacity(), t.overhead(), offs));
    }
    return out;
  }

  @Override
  public Optional<String> isDrifted(NodeClaim nodeClaim) {
    return Optional.empty();
  }

  @Override
  public String name() {
    return "simulated";
  }

  // ---------------------------------------------------------------- test and demo hooks

  /**
   * From now on, launching this offering fails with insufficient capacity. As on EC2, the listed
   * instance types do not show it until a launch has run into it.
   */
  public void injectInsufficientCapacity(String capacityType, String instanceType, String zone) {
    insufficientCapacity.add(key(capacityType, instanceType, zone));
  }

  public void clearInsufficientCapacity() {
    insufficientCapacity.clear();
    learnedUnavailable.clear();
  }

  /** From now on every launch fails with this error (null: launches work again). */
  public void injectCreateError(String message) {
    createError = message;
  }

  /** Instances launched since start, including terminated ones. */
  public long launchCount() {
    return launches.get();
  }

  public Optional<Instance> instance(String providerId) {
    return Optional.ofNullable(instances.get(providerId));
  }

  public List<Instance> instances() {
    return List.copyOf(instances.values());
  }

  public Catalog catalog() {
    return catalog;
  }

  // ---------------------------------------------------------------- kubelet

  private void kubelet(Pod p) {
    String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
    if (node == null || !simNodes.contains(node)) {
      return;
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      executor.execute(() -> removeTerminating(p));
      return;
    }
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if ("Pending".equals(phase) || phase == null) {
      executor.execute(() -> run(p));
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
                List<io.fabric8.kubernetes.api.model.ContainerStatus> cs = new ArrayList<>();
                for (var c : p.getSpec().getContainers()) {
                  cs.add(
                      new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
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
    for (String node : List.copyOf(simNodes)) {
      try {
        renewLease(node, null);
      } catch (KubernetesClientException e) {
        LOG.debug("renewing lease of {} failed: {}", node, e.getMessage());
      }
    }
  }

  private void renewLease(String nodeName, Node owner) {
    ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), java.time.ZoneOffset.UTC);
    var leases = client.leases().inNamespace("kube-node-lease");
    Lease existing = leases.withName(nodeName).get();
    if (existing == null) {
      LeaseBuilder b =
          new LeaseBuilder()
              .withNewMetadata()
              .withName(nodeName)
              .withNamespace("kube-node-lease")
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

  // ---------------------------------------------------------------- helpers

  public static String key(String capacityType, String instanceType, String zone) {
    return capacityType + ":" + instanceType + ":" + zone;
  }

  private static String ts(Instant i) {
    return i.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String ip(String nodeName) {
    String[] parts = nodeName.split("\\.")[0].split("-");
    return parts.length >= 5
        ? parts[1] + "." + parts[2] + "." + parts[3] + "." + parts[4]
        : "10.0.0.1";
  }

  private static String podIp(Pod p) {
    int h = p.getMetadata().getUid() == null ? 1 : p.getMetadata().getUid().hashCode();
    return "100.64." + ((h >>> 8) & 0xff) + "." + (h & 0xff);
  }

  private static Map<String, String> nonNull(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private static NodeClaim copy(NodeClaim c) {
    return io.fabric8.kubernetes.client.utils.Serialization.clone(c);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    if (podInformer != null) {
      podInformer.close();
    }
    if (nodeInformer != null) {
      nodeInformer.close();
    }
    if (nodeClassInformer != null) {
      nodeClassInformer.close();
    }
  }

  static Map<String, Quantity> quantities(Resources r) {
    return ApiConversions.quantities(r);
  }
}
