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
import dev.karpenter.cloudprovider.UnavailableOfferings;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.cloudprovider.kubelet.SimulatedKubelet;
import dev.karpenter.cloudprovider.module.BackgroundLoop;
import dev.karpenter.cloudprovider.module.ProviderController;
import dev.karpenter.cloudprovider.module.ProviderModule;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cloud on this machine, backed by the real instance-type catalog. {@link #create} launches the
 * cheapest available offering of a claim (falling through offerings without capacity, which it
 * marks in its {@link UnavailableOfferings}); test hooks inject insufficient capacity and create
 * errors. Each launched instance is handed to a {@link SimulatedKubelet}, which registers its Node
 * after {@code bootDelay} and runs its pods.
 */
public final class SimulatedCloudProvider implements CloudProvider, AutoCloseable {
  public static final String PROVIDER_ID_PREFIX = "sim:///";
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedCloudProvider.class);

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
  private final SimulatedKubelet kubelet;
  private final UnavailableOfferings unavailable;
  private final Map<String, Instance> instances = new ConcurrentHashMap<>();
  private final Set<String> insufficientCapacity = ConcurrentHashMap.newKeySet();
  private volatile String createError;
  private final AtomicLong ids = new AtomicLong(System.nanoTime() & 0xffffffL);
  private final AtomicLong launches = new AtomicLong();
  private volatile SharedIndexInformer<EC2NodeClass> nodeClassInformer;
  // Every instance as launched (providerID -> entry): what launchedFor adopts and the file holds.
  private final Map<String, InstanceFile.Entry> entries = new ConcurrentHashMap<>();
  private volatile InstanceFile file;
  private volatile Duration gcGrace = GC_GRACE;

  /** An instance without a NodeClaim is terminated once it is older than this (upstream's). */
  public static final Duration GC_GRACE = Duration.ofSeconds(30);

  private static final Duration GC_EVERY = Duration.ofSeconds(5);

  public SimulatedCloudProvider(
      KubernetesClient client, Catalog catalog, Settings settings, Clock clock) {
    this.client = client;
    this.catalog = catalog;
    this.settings = settings;
    this.clock = clock;
    this.unavailable = new UnavailableOfferings(clock);
    this.kubelet =
        new SimulatedKubelet(
            client,
            new SimulatedKubelet.Settings(
                settings.bootDelay(),
                settings.devicePluginDelay(),
                settings.leaseRenewal(),
                settings.startupTaintDelay()),
            clock);
  }

  /** Starts the kubelet stand-in that plays kubelet for this cloud's instances. */
  public SimulatedCloudProvider start() {
    nodeClassInformer = client.resources(EC2NodeClass.class).inform();
    InstanceFile f = file;
    if (f != null) {
      for (InstanceFile.Entry e : f.read()) {
        Instance inst =
            new Instance(
                e.id(),
                e.providerId(),
                e.nodeName(),
                e.nodeClaim(),
                e.instanceType(),
                e.zone(),
                e.capacityType(),
                e.pricePerHour(),
                Instant.parse(e.launchedAt()));
        instances.put(e.providerId(), inst);
        entries.put(e.providerId(), e);
        ids.accumulateAndGet(Long.parseLong(e.id().substring(2), 16), Math::max);
        kubelet.resume(kubeletInstance(e));
      }
      LOG.info("{} instances running in {}", instances.size(), f.path());
    }
    kubelet.start();
    return this;
  }

  /**
   * Keeps the instances in {@code path} (read at {@link #start}, rewritten on every launch and
   * termination), so they outlive this process like a cloud's instances outlive its controller; a
   * restarted operator finds them running and its kubelet stand-in resumes their Nodes. Call before
   * {@link #start}.
   */
  public SimulatedCloudProvider persistingTo(java.nio.file.Path path) {
    this.file = path == null ? null : new InstanceFile(path);
    return this;
  }

  /** The garbage collector's grace period (default {@link #GC_GRACE}; tests shorten it). */
  public SimulatedCloudProvider withGcGrace(Duration grace) {
    this.gcGrace = grace;
    return this;
  }

  private void persist() {
    InstanceFile f = file;
    if (f != null) {
      f.write(entries.values());
    }
  }

  /**
   * This cloud with the controllers it brings: the EC2NodeClass readiness reconciler. The kubelet
   * stand-in is not among them: it is the world, started by {@link #start} and stopped by {@link
   * #close}, and runs whether or not this replica leads.
   */
  public ProviderModule module() {
    return new ProviderModule(
        this,
        List.of(
            ProviderController.of(
                "ec2nodeclass", new SimulatedNodeClassReconciler(catalog, clock), o -> {})),
        List.of(new BackgroundLoop("simulated.garbagecollection", GC_EVERY, this::collectGarbage)));
  }

  /**
   * Terminates instances older than the grace period that no NodeClaim owns: their claim is gone,
   * or it records another instance (a second launch for one claim), as upstream's NodeClaim garbage
   * collection does with the cloud's list.
   */
  void collectGarbage() {
    Instant cutoff = clock.instant().minus(gcGrace);
    Map<String, NodeClaim> claims = new java.util.HashMap<>();
    for (NodeClaim c : client.resources(NodeClaim.class).list().getItems()) {
      claims.put(c.getMetadata().getName(), c);
    }
    for (Instance inst : List.copyOf(instances.values())) {
      if (inst.launchedAt().isAfter(cutoff)) {
        continue;
      }
      NodeClaim owner = claims.get(inst.nodeClaim());
      String recorded =
          owner == null || owner.getStatus() == null ? null : owner.getStatus().getProviderID();
      if (owner != null && (recorded == null || recorded.equals(inst.providerId()))) {
        continue;
      }
      LOG.info(
          "garbage-collecting instance {} ({}): {}",
          inst.id(),
          inst.nodeName(),
          owner == null
              ? "NodeClaim " + inst.nodeClaim() + " is gone"
              : "NodeClaim " + inst.nodeClaim() + " records " + recorded);
      if (instances.remove(inst.providerId()) != null) {
        entries.remove(inst.providerId());
        persist();
        kubelet.terminate(inst.providerId());
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
    EC2NodeClass nc = client.resources(EC2NodeClass.class).withName(nodeClass).get();
    if (nc == null) {
      throw new CloudProviderException.NodeClassNotReady(
          "EC2NodeClass " + nodeClass + " not found");
    }
    String amiProblem = SimulatedNodeClassReconciler.amiProblem(nc);
    if (amiProblem != null) {
      throw new CloudProviderException.NodeClassNotReady(
          "EC2NodeClass " + nodeClass + " is not ready: " + amiProblem);
    }
    Requirements reqs = ApiConversions.requirements(claim.getSpec().requirementsOrEmpty());
    Resources requests =
        claim.getSpec().resources() == null
            ? Resources.NONE
            : ApiConversions.resources(claim.getSpec().resources().requests());
    record Candidate(InstanceType type, Offering offering) {}
    List<Candidate> candidates = new ArrayList<>();
    for (InstanceType t : catalog.instanceTypes()) {
      if (!t.allocatable().fits(requests)) {
        continue;
      }
      for (Offering o : t.offerings()) {
        if (o.available() && t.admits(reqs, o)) {
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
    unavailable.markUnavailable(
        shortOfferings.stream().map(UnavailableOfferings.Key::parse).toList());
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
    NodeClaim launched = Serialization.clone(claim);
    Map<String, String> labels = new LinkedHashMap<>(nonNull(launched.getMetadata().getLabels()));
    labels.putAll(instanceLabels(type, offering));
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
    SimulatedKubelet.Instance booting = kubeletInstance(launched, type, inst);
    entries.put(providerId, entry(inst, booting, launched));
    instances.put(providerId, inst);
    launches.incrementAndGet();
    persist();
    kubelet.boot(booting);
    return launched;
  }

  private static InstanceFile.Entry entry(
      Instance inst, SimulatedKubelet.Instance k, NodeClaim launched) {
    return new InstanceFile.Entry(
        inst.id(),
        inst.providerId(),
        inst.nodeName(),
        inst.nodeClaim(),
        inst.instanceType(),
        inst.zone(),
        inst.capacityType(),
        inst.pricePerHour(),
        inst.launchedAt().toString(),
        k.labels(),
        k.taints(),
        k.startupTaints(),
        k.capacity().milli(),
        k.allocatable().milli(),
        launched);
  }

  private static SimulatedKubelet.Instance kubeletInstance(InstanceFile.Entry e) {
    return new SimulatedKubelet.Instance(
        e.providerId(),
        e.nodeName(),
        e.id(),
        e.labels(),
        e.taints(),
        e.startupTaints(),
        new Resources(e.capacity()),
        new Resources(e.allocatable()));
  }

  /** What kubelet will find on the instance: the launched claim's labels, taints and shape. */
  private static SimulatedKubelet.Instance kubeletInstance(
      NodeClaim launched, InstanceType type, Instance inst) {
    Map<String, String> labels = new LinkedHashMap<>(launched.getMetadata().getLabels());
    labels.put(Labels.EC2NODECLASS, launched.getSpec().nodeClassRef().name());
    List<Taint> taints = new ArrayList<>();
    NodeClaims.taints(launched).forEach(t -> taints.add(t.toModel()));
    NodeClaims.startupTaints(launched).forEach(t -> taints.add(t.toModel()));
    return new SimulatedKubelet.Instance(
        inst.providerId(),
        inst.nodeName(),
        inst.id(),
        labels,
        taints,
        NodeClaims.startupTaints(launched).stream().map(dev.karpenter.api.v1.Taint::key).toList(),
        type.capacity(),
        type.allocatable());
  }

  private Map<String, String> instanceLabels(InstanceType type, Offering offering) {
    Map<String, String> labels = new LinkedHashMap<>(type.labels());
    labels.put(Labels.INSTANCE_TYPE, type.name());
    labels.put(Labels.ZONE, offering.zone());
    labels.put(Labels.REGION, catalog.region());
    labels.put(Labels.CAPACITY_TYPE, offering.capacityType());
    labels.putIfAbsent(Labels.OS, "linux");
    return labels;
  }

  @Override
  public void delete(NodeClaim claim) {
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    Instance inst = pid == null ? null : instances.remove(pid);
    if (inst == null) {
      throw new CloudProviderException.NodeClaimNotFound(
          "no instance for NodeClaim " + claim.getMetadata().getName());
    }
    entries.remove(pid);
    persist();
    LOG.info("terminated {} ({})", inst.id(), inst.nodeName());
    kubelet.terminate(pid);
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
  public Optional<NodeClaim> launchedFor(NodeClaim claim) {
    String name = claim.getMetadata().getName();
    return entries.values().stream()
        .filter(e -> e.nodeClaim().equals(name) && instances.containsKey(e.providerId()))
        .findFirst()
        .map(e -> Serialization.clone(e.launched()));
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

  @Override
  public List<InstanceType> instanceTypes(NodePool nodePool) {
    var ref = nodePool.getSpec().template().spec().nodeClassRef();
    return unavailable.apply(typesOf(ref == null ? null : nodeClass(ref.name())));
  }

  private EC2NodeClass nodeClass(String name) {
    SharedIndexInformer<EC2NodeClass> informer = nodeClassInformer;
    EC2NodeClass nc = informer == null ? null : informer.getStore().getByKey(name);
    return nc != null ? nc : client.resources(EC2NodeClass.class).withName(name).get();
  }

  /** The catalog as the node class sees it: kubelet, root volume and AMI family applied. */
  private List<InstanceType> typesOf(EC2NodeClass nc) {
    if (nc == null) {
      return catalog.instanceTypes();
    }
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
  public UnavailableOfferings unavailableOfferings() {
    return unavailable;
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
    unavailable.clear();
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

  // ---------------------------------------------------------------- helpers

  public static String key(String capacityType, String instanceType, String zone) {
    return capacityType + ":" + instanceType + ":" + zone;
  }

  private static Map<String, String> nonNull(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  @Override
  public void close() {
    kubelet.close();
    if (nodeClassInformer != null) {
      nodeClassInformer.close();
    }
  }
}
