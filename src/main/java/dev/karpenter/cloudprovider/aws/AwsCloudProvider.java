package dev.karpenter.cloudprovider.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimStatus;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.CloudProviderException;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.UnavailableOfferings;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateConfigRequest;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * The {@link CloudProvider} on EC2: instance types from the AWS APIs shaped by each EC2NodeClass,
 * launches through a launch template per configuration and one {@code instant} CreateFleet per
 * NodeClaim, terminations, lookups by the cluster tag, and drift against the class's resolved AMIs,
 * subnets, security groups and static hash.
 */
public final class AwsCloudProvider implements CloudProvider, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AwsCloudProvider.class);
  public static final String PROVIDER_ID_PREFIX = "aws:///";
  static final String TAG_NODEPOOL = "karpenter.sh/nodepool";
  static final String TAG_NODECLAIM = "karpenter.sh/nodeclaim";
  static final String TAG_NODECLASS = "karpenter.k8s.aws/ec2nodeclass";
  static final String TAG_EKS_CLUSTER = "eks:eks-cluster-name";
  static final int MAX_INSTANCE_TYPES = 60;

  private final KubernetesClient client;
  private final AwsClients aws;
  private final AwsSettings settings;
  private final Clock clock;
  private final AwsCatalog catalog;
  private final LaunchTemplates launchTemplates;
  private final UnavailableOfferings unavailable;
  private final java.util.function.Function<String, EC2NodeClass> nodeClasses;
  private volatile SharedIndexInformer<EC2NodeClass> nodeClassInformer;

  public AwsCloudProvider(
      KubernetesClient client, AwsClients aws, AwsSettings settings, Clock clock) {
    this(client, aws, settings, clock, null);
  }

  /** With {@code nodeClasses} looking classes up instead of the API server (unit tests). */
  AwsCloudProvider(
      KubernetesClient client,
      AwsClients aws,
      AwsSettings settings,
      Clock clock,
      java.util.function.Function<String, EC2NodeClass> nodeClasses) {
    this.nodeClasses = nodeClasses != null ? nodeClasses : this::cachedNodeClass;
    this.client = client;
    this.aws = aws;
    this.settings = settings;
    this.clock = clock;
    this.catalog = new AwsCatalog(aws.ec2(), aws.pricing(), aws.region().id(), clock);
    this.launchTemplates = new LaunchTemplates(aws.ec2(), settings.clusterName());
    this.unavailable = new UnavailableOfferings(clock);
  }

  AwsSettings settings() {
    return settings;
  }

  AwsClients clients() {
    return aws;
  }

  AwsCatalog catalog() {
    return catalog;
  }

  LaunchTemplates launchTemplates() {
    return launchTemplates;
  }

  UnavailableOfferings unavailable() {
    return unavailable;
  }

  @Override
  public UnavailableOfferings unavailableOfferings() {
    return unavailable;
  }

  String clusterTag() {
    return "kubernetes.io/cluster/" + settings.clusterName();
  }

  // ---------------------------------------------------------------- instance types

  @Override
  public List<InstanceType> instanceTypes(NodePool nodePool) {
    var ref = nodePool.getSpec().template().spec().nodeClassRef();
    EC2NodeClass nc = ref == null ? null : nodeClass(ref.name());
    if (nc == null || nc.getSpec() == null) {
      return List.of();
    }
    return instanceTypes(nc);
  }

  /** The class's instance types: its settings, its subnets' zones, the ICE cache. */
  List<InstanceType> instanceTypes(EC2NodeClass nc) {
    NodeClassSettings s = settings(nc.getSpec());
    Set<String> zones = new LinkedHashSet<>();
    EC2NodeClassStatus st = nc.getStatus();
    if (st != null && st.getSubnets() != null) {
      st.getSubnets().forEach(x -> zones.add(x.zone()));
    }
    List<InstanceType> out = new ArrayList<>();
    for (InstanceType t : catalog.get().instanceTypes(s)) {
      if (st != null && st.getAmis() != null && !st.getAmis().isEmpty() && ami(st, t) == null) {
        continue;
      }
      List<Offering> offs = new ArrayList<>();
      for (Offering o : t.offerings()) {
        if (!zones.contains(o.zone())) {
          continue;
        }
        offs.add(
            unavailable.isUnavailable(t.name(), o.zone(), o.capacityType())
                ? o.withAvailable(false)
                : o);
      }
      out.add(new InstanceType(t.name(), t.labels(), t.capacity(), t.overhead(), offs));
    }
    return out;
  }

  static NodeClassSettings settings(EC2NodeClassSpec spec) {
    var k = spec.kubelet();
    String root = null;
    if (spec.blockDeviceMappings() != null) {
      for (var b : spec.blockDeviceMappings()) {
        if (b.ebs() != null && (Boolean.TRUE.equals(b.rootVolume()) || root == null)) {
          root = b.ebs().volumeSize();
        }
      }
    }
    return new NodeClassSettings(
        NodeClassResolver.family(spec),
        k == null ? null : k.maxPods(),
        k == null ? null : k.podsPerCore(),
        k == null || k.kubeReserved() == null ? Map.of() : k.kubeReserved(),
        k == null || k.systemReserved() == null ? Map.of() : k.systemReserved(),
        k == null || k.evictionHard() == null ? Map.of() : k.evictionHard(),
        root,
        spec.instanceStorePolicy() != null);
  }

  /** The first AMI whose requirements the type meets (NVIDIA for GPUs, Neuron for Inferentia). */
  static EC2NodeClassStatus.Ami ami(EC2NodeClassStatus st, InstanceType t) {
    for (EC2NodeClassStatus.Ami a : st.getAmis()) {
      boolean ok = true;
      for (EC2NodeClassStatus.Requirement r :
          a.requirements() == null ? List.<EC2NodeClassStatus.Requirement>of() : a.requirements()) {
        Requirement req = Requirement.of(r.key(), r.operator(), r.values());
        if (!req.matches(t.labels().get(r.key()))) {
          ok = false;
          break;
        }
      }
      if (ok) {
        return a;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- create

  private record Candidate(InstanceType type, Offering offering) {}

  @Override
  public NodeClaim create(NodeClaim claim) {
    String name = claim.getMetadata().getName();
    String ncName = claim.getSpec().nodeClassRef().name();
    EC2NodeClass nc = nodeClass(ncName);
    if (nc == null) {
      throw new CloudProviderException.NodeClassNotReady("EC2NodeClass " + ncName + " not found");
    }
    Optional<Condition> ready =
        nc.getStatus() == null || nc.getStatus().getConditions() == null
            ? Optional.empty()
            : nc.getStatus().getConditions().stream()
                .filter(c -> c.type().equals("Ready"))
                .findFirst();
    if (ready.isEmpty() || !ready.get().isTrue()) {
      throw new CloudProviderException.NodeClassNotReady(
          "EC2NodeClass "
              + ncName
              + " is not Ready"
              + ready.map(c -> ": " + c.message()).orElse(""));
    }
    Optional<Instance> existing = adoptable(name);
    if (existing.isPresent()) {
      Instance i = existing.get();
      InstanceType t =
          instanceTypes(nc).stream()
              .filter(x -> x.name().equals(i.instanceTypeAsString()))
              .findFirst()
              .orElse(null);
      if (t != null) {
        LOG.info(
            "NodeClaim {}: adopting instance {} launched for it earlier", name, i.instanceId());
        return launchedClaim(
            claim,
            nc,
            t,
            i.instanceId(),
            i.placement().availabilityZone(),
            "spot".equals(i.instanceLifecycleAsString()) ? Labels.SPOT : Labels.ON_DEMAND,
            i.imageId());
      }
    }
    Requirements reqs = ApiConversions.requirements(claim.getSpec().requirementsOrEmpty());
    Resources requests =
        claim.getSpec().resources() == null
            ? Resources.NONE
            : ApiConversions.resources(claim.getSpec().resources().requests());
    List<Candidate> candidates = new ArrayList<>();
    for (InstanceType t : instanceTypes(nc)) {
      if (!t.allocatable().fits(requests)) {
        continue;
      }
      for (Offering o : t.offerings()) {
        if (o.available() && t.admits(reqs, o)) {
          candidates.add(new Candidate(t, o));
        }
      }
    }
    if (candidates.isEmpty()) {
      throw new CloudProviderException.InsufficientCapacity(
          "no available offering of EC2NodeClass " + ncName + " satisfies NodeClaim " + name,
          List.of());
    }
    // Spot when the claim allows it and some spot offering is there, as upstream.
    String capacityType =
        candidates.stream().anyMatch(c -> c.offering().capacityType().equals(Labels.SPOT))
            ? Labels.SPOT
            : Labels.ON_DEMAND;
    candidates.removeIf(c -> !c.offering().capacityType().equals(capacityType));
    candidates.sort(
        Comparator.comparingDouble((Candidate c) -> c.offering().price())
            .thenComparing(c -> c.type().name())
            .thenComparing(c -> c.offering().zone()));
    Set<String> types = new LinkedHashSet<>();
    for (Candidate c : candidates) {
      if (types.size() < MAX_INSTANCE_TYPES) {
        types.add(c.type().name());
      }
    }
    candidates.removeIf(c -> !types.contains(c.type().name()));
    try {
      return launch(claim, nc, candidates, capacityType, true);
    } catch (SdkException e) {
      throw new CloudProviderException.CreateError(
          "launching NodeClaim " + name + ": " + AwsErrors.describe(e));
    }
  }

  private NodeClaim launch(
      NodeClaim claim,
      EC2NodeClass nc,
      List<Candidate> candidates,
      String capacityType,
      boolean retry) {
    EC2NodeClassStatus st = nc.getStatus();
    Map<String, String> subnetByZone = new LinkedHashMap<>();
    for (EC2NodeClassStatus.Subnet s : st.getSubnets()) {
      subnetByZone.putIfAbsent(s.zone(), s.id());
    }
    String pool = NodeClaims.nodePool(claim);
    Map<String, String> tags = launchTags(nc, pool, claim.getMetadata().getName());
    // One template per AMI, the overrides of the types that AMI serves.
    Map<String, List<FleetLaunchTemplateOverridesRequest>> byTemplate = new LinkedHashMap<>();
    Map<String, String> amiByTemplate = new HashMap<>();
    for (Candidate c : candidates) {
      EC2NodeClassStatus.Ami ami = ami(st, c.type());
      String subnet = subnetByZone.get(c.offering().zone());
      if (ami == null || subnet == null) {
        continue;
      }
      String lt = launchTemplates.ensure(launchConfig(nc, ami.id(), claim, capacityType));
      amiByTemplate.put(lt, ami.id());
      byTemplate
          .computeIfAbsent(lt, k -> new ArrayList<>())
          .add(
              FleetLaunchTemplateOverridesRequest.builder()
                  .instanceType(c.type().name())
                  .subnetId(subnet)
                  .availabilityZone(c.offering().zone())
                  .imageId(ami.id())
                  .priority(c.offering().price())
                  .build());
    }
    List<FleetLaunchTemplateConfigRequest> configs = new ArrayList<>();
    byTemplate.forEach(
        (lt, overrides) ->
            configs.add(
                FleetLaunchTemplateConfigRequest.builder()
                    .launchTemplateSpecification(s -> s.launchTemplateName(lt).version("$Latest"))
                    .overrides(overrides)
                    .build()));
    boolean spot = capacityType.equals(Labels.SPOT);
    CreateFleetRequest.Builder req =
        CreateFleetRequest.builder()
            .type(FleetType.INSTANT)
            .launchTemplateConfigs(configs)
            .targetCapacitySpecification(
                t ->
                    t.totalTargetCapacity(1)
                        .defaultTargetCapacityType(
                            spot
                                ? DefaultTargetCapacityType.SPOT
                                : DefaultTargetCapacityType.ON_DEMAND))
            .tagSpecifications(
                tagSpec(ResourceType.INSTANCE, tags),
                tagSpec(ResourceType.VOLUME, tags),
                tagSpec(ResourceType.FLEET, tags));
    if (spot) {
      req.spotOptions(o -> o.allocationStrategy(SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED));
    } else {
      req.onDemandOptions(o -> o.allocationStrategy(FleetOnDemandAllocationStrategy.LOWEST_PRICE));
    }
    if (nc.getSpec().context() != null) {
      req.context(nc.getSpec().context());
    }
    CreateFleetResponse resp;
    try {
      resp = aws.ec2().createFleet(req.build());
    } catch (AwsServiceException e) {
      String code = AwsErrors.code(e);
      if (retry && code != null && code.startsWith("InvalidLaunchTemplate")) {
        byTemplate.keySet().forEach(launchTemplates::invalidate);
        return launch(claim, nc, candidates, capacityType, false);
      }
      throw e;
    }
    List<String> ice = new ArrayList<>();
    List<String> other = new ArrayList<>();
    for (CreateFleetError err : resp.errors()) {
      var o =
          err.launchTemplateAndOverrides() == null
              ? null
              : err.launchTemplateAndOverrides().overrides();
      if (err.errorCode() != null
          && AwsErrors.UNFULFILLABLE_CAPACITY.contains(err.errorCode())
          && o != null) {
        unavailable.markUnavailable(o.instanceTypeAsString(), o.availabilityZone(), capacityType);
        ice.add(
            new UnavailableOfferings.Key(
                    o.instanceTypeAsString(), o.availabilityZone(), capacityType)
                .toString());
      } else if (err.errorCode() != null
          && err.errorCode().startsWith("InvalidLaunchTemplate")
          && retry) {
        byTemplate.keySet().forEach(launchTemplates::invalidate);
        return launch(claim, nc, candidates, capacityType, false);
      } else {
        other.add(err.errorCode() + ": " + err.errorMessage());
      }
    }
    CreateFleetInstance inst =
        resp.instances().stream().filter(i -> !i.instanceIds().isEmpty()).findFirst().orElse(null);
    if (inst == null) {
      if (!ice.isEmpty() && other.isEmpty()) {
        throw new CloudProviderException.InsufficientCapacity(
            "CreateFleet: insufficient capacity for " + ice, ice);
      }
      throw new CloudProviderException.CreateError(
          "CreateFleet launched nothing for NodeClaim "
              + claim.getMetadata().getName()
              + ": "
              + (other.isEmpty() ? ice : other));
    }
    // A crash here is what the garbage collector and the adoption of tagged instances are for.
    CrashPoints.reached(CrashPoints.AFTER_CREATE_FLEET);
    String id = inst.instanceIds().get(0);
    var ov =
        inst.launchTemplateAndOverrides() == null
            ? null
            : inst.launchTemplateAndOverrides().overrides();
    String type = inst.instanceTypeAsString();
    String zone = ov == null ? null : ov.availabilityZone();
    if (zone == null) {
      zone = describe(id).map(i -> i.placement().availabilityZone()).orElse("");
    }
    String lifecycle = inst.lifecycleAsString() == null ? capacityType : inst.lifecycleAsString();
    String ct = lifecycle.equals("spot") ? Labels.SPOT : Labels.ON_DEMAND;
    final String z = zone;
    Candidate chosen =
        candidates.stream()
            .filter(c -> c.type().name().equals(type) && c.offering().zone().equals(z))
            .findFirst()
            .orElse(
                candidates.stream()
                    .filter(c -> c.type().name().equals(type))
                    .findFirst()
                    .orElse(candidates.get(0)));
    LOG.info(
        "launched {} {} {} {} for NodeClaim {} (NodePool {})",
        id,
        type,
        ct,
        zone,
        claim.getMetadata().getName(),
        pool);
    String templateUsed =
        inst.launchTemplateAndOverrides() == null
                || inst.launchTemplateAndOverrides().launchTemplateSpecification() == null
            ? null
            : inst.launchTemplateAndOverrides().launchTemplateSpecification().launchTemplateName();
    String imageId =
        (ov != null && ov.imageId() != null
            ? ov.imageId()
            : templateUsed != null && amiByTemplate.containsKey(templateUsed)
                ? amiByTemplate.get(templateUsed)
                : ami(st, chosen.type()).id());
    return launchedClaim(claim, nc, chosen.type(), id, zone, ct, imageId);
  }

  private NodeClaim launchedClaim(
      NodeClaim claim,
      EC2NodeClass nc,
      InstanceType type,
      String id,
      String zone,
      String ct,
      String imageId) {
    NodeClaim launched = io.fabric8.kubernetes.client.utils.Serialization.clone(claim);
    Map<String, String> labels = new LinkedHashMap<>();
    if (launched.getMetadata().getLabels() != null) {
      labels.putAll(launched.getMetadata().getLabels());
    }
    labels.putAll(type.labels());
    labels.put(Labels.INSTANCE_TYPE, type.name());
    labels.put(Labels.ZONE, zone);
    labels.put(Labels.REGION, aws.region().id());
    labels.put(Labels.CAPACITY_TYPE, ct);
    launched.getMetadata().setLabels(labels);
    Map<String, String> ann = new LinkedHashMap<>();
    if (launched.getMetadata().getAnnotations() != null) {
      ann.putAll(launched.getMetadata().getAnnotations());
    }
    String hash =
        nc.getMetadata().getAnnotations() == null
            ? null
            : nc.getMetadata().getAnnotations().get(AwsNodeClassReconciler.HASH_ANNOTATION);
    if (hash != null) {
      ann.put(AwsNodeClassReconciler.HASH_ANNOTATION, hash);
      ann.put(AwsNodeClassReconciler.HASH_VERSION_ANNOTATION, AwsNodeClassReconciler.HASH_VERSION);
    }
    launched.getMetadata().setAnnotations(ann);
    NodeClaimStatus status =
        launched.getStatus() == null ? new NodeClaimStatus() : launched.getStatus();
    status.setProviderID(PROVIDER_ID_PREFIX + zone + "/" + id);
    status.setImageID(imageId);
    status.setCapacity(ApiConversions.quantities(type.capacity()));
    status.setAllocatable(ApiConversions.quantities(type.allocatable()));
    launched.setStatus(status);
    return launched;
  }

  LaunchTemplates.Config launchConfig(
      EC2NodeClass nc, String amiId, NodeClaim claim, String capacityType) {
    EC2NodeClassSpec spec = nc.getSpec();
    EC2NodeClassStatus st = nc.getStatus();
    String family = NodeClassResolver.family(spec);
    Map<String, String> labels = new TreeMap<>();
    if (claim.getMetadata().getLabels() != null) {
      claim
          .getMetadata()
          .getLabels()
          .forEach(
              (k, v) -> {
                if (k.equals(Labels.NODEPOOL)
                    || !k.startsWith("karpenter.sh/")
                    || k.equals(Labels.CAPACITY_TYPE)) {
                  labels.put(k, v);
                }
              });
    }
    labels.put(Labels.CAPACITY_TYPE, capacityType);
    List<dev.karpenter.api.v1.Taint> taints = new ArrayList<>();
    taints.add(
        new dev.karpenter.api.v1.Taint(
            "karpenter.sh/unregistered", null, dev.karpenter.api.v1.Taint.Effect.NoExecute));
    taints.addAll(NodeClaims.taints(claim));
    taints.addAll(NodeClaims.startupTaints(claim));
    String userData =
        UserData.render(
            family,
            new UserData.Bootstrap(
                settings.clusterName(),
                settings.clusterEndpoint(),
                settings.clusterCaBundle(),
                settings.clusterCidr(),
                spec.kubelet(),
                labels,
                taints),
            spec.userData());
    Map<String, String> tags = new TreeMap<>();
    if (spec.tags() != null) {
      tags.putAll(spec.tags());
    }
    tags.put(clusterTag(), "owned");
    tags.put(TAG_EKS_CLUSTER, settings.clusterName());
    tags.put(TAG_NODECLASS, nc.getMetadata().getName());
    return new LaunchTemplates.Config(
        nc.getMetadata().getName(),
        amiId,
        st.getSecurityGroups().stream().map(EC2NodeClassStatus.SecurityGroup::id).toList(),
        st.getInstanceProfile(),
        spec.blockDeviceMappings() == null || spec.blockDeviceMappings().isEmpty()
            ? LaunchTemplates.defaultBlockDevices(family)
            : spec.blockDeviceMappings(),
        spec.metadataOptions(),
        userData,
        tags,
        spec.networkInterfaces(),
        spec.detailedMonitoring(),
        spec.associatePublicIPAddress());
  }

  Map<String, String> launchTags(EC2NodeClass nc, String pool, String claim) {
    Map<String, String> tags = new TreeMap<>();
    if (nc.getSpec().tags() != null) {
      tags.putAll(nc.getSpec().tags());
    }
    tags.put(clusterTag(), "owned");
    tags.put(TAG_EKS_CLUSTER, settings.clusterName());
    tags.put(TAG_NODECLASS, nc.getMetadata().getName());
    if (pool != null) {
      tags.put(TAG_NODEPOOL, pool);
    }
    tags.put(TAG_NODECLAIM, claim);
    return tags;
  }

  private static TagSpecification tagSpec(ResourceType type, Map<String, String> tags) {
    return TagSpecification.builder()
        .resourceType(type)
        .tags(
            tags.entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                .toList())
        .build();
  }

  /**
   * A live instance already launched for this claim (the operator stopped between CreateFleet and
   * writing the claim): adopting it means a claim never gets two instances.
   */
  private Optional<Instance> adoptable(String claim) {
    try {
      List<Instance> out = new ArrayList<>();
      aws.ec2()
          .describeInstancesPaginator(
              r ->
                  r.filters(
                      NodeClassResolver.filter("tag:" + clusterTag(), "owned"),
                      NodeClassResolver.filter("tag:" + TAG_NODECLAIM, claim),
                      software.amazon.awssdk.services.ec2.model.Filter.builder()
                          .name("instance-state-name")
                          .values("pending", "running")
                          .build()))
          .reservations()
          .forEach(res -> out.addAll(res.instances()));
      return out.stream().findFirst();
    } catch (SdkException e) {
      LOG.debug("looking for an instance of NodeClaim {}: {}", claim, AwsErrors.describe(e));
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- delete, get, list

  @Override
  public void delete(NodeClaim claim) {
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    if (pid == null || !pid.startsWith(PROVIDER_ID_PREFIX)) {
      throw new CloudProviderException.NodeClaimNotFound(
          "NodeClaim " + claim.getMetadata().getName() + " has no AWS instance");
    }
    String id = instanceId(pid);
    Optional<Instance> inst = describe(id);
    if (inst.isEmpty() || gone(inst.get())) {
      throw new CloudProviderException.NodeClaimNotFound("instance " + id + " is terminated");
    }
    try {
      terminate(List.of(id));
    } catch (AwsServiceException e) {
      if (AwsErrors.isNotFound(e)) {
        throw new CloudProviderException.NodeClaimNotFound("instance " + id + " not found");
      }
      throw new CloudProviderException.CreateError(
          "terminating " + id + ": " + AwsErrors.describe(e));
    }
    LOG.info("terminating {} of NodeClaim {}", id, claim.getMetadata().getName());
  }

  /** TerminateInstances in batches of 500 (the API's limit is 1000 ids). */
  void terminate(List<String> ids) {
    for (int i = 0; i < ids.size(); i += 500) {
      List<String> batch = ids.subList(i, Math.min(ids.size(), i + 500));
      aws.ec2().terminateInstances(r -> r.instanceIds(batch));
    }
  }

  @Override
  public NodeClaim get(String providerId) {
    Optional<Instance> inst = describe(instanceId(providerId));
    if (inst.isEmpty() || gone(inst.get())) {
      throw new CloudProviderException.NodeClaimNotFound("no instance " + providerId);
    }
    return asClaim(inst.get());
  }

  @Override
  public List<NodeClaim> list() {
    return instances().stream().map(this::asClaim).toList();
  }

  /** Live instances tagged for this cluster by Karpenter. */
  List<Instance> instances() {
    List<Instance> out = new ArrayList<>();
    aws.ec2()
        .describeInstancesPaginator(
            r ->
                r.filters(
                        NodeClassResolver.filter("tag:" + clusterTag(), "owned"),
                        NodeClassResolver.filter("tag-key", TAG_NODEPOOL),
                        software.amazon.awssdk.services.ec2.model.Filter.builder()
                            .name("instance-state-name")
                            .values("pending", "running", "stopping", "stopped", "shutting-down")
                            .build())
                    .maxResults(1000))
        .reservations()
        .forEach(res -> out.addAll(res.instances()));
    return out;
  }

  Optional<Instance> describe(String id) {
    try {
      return aws.ec2().describeInstances(r -> r.instanceIds(id)).reservations().stream()
          .flatMap(r -> r.instances().stream())
          .findFirst();
    } catch (AwsServiceException e) {
      if (AwsErrors.isNotFound(e)) {
        return Optional.empty();
      }
      throw e;
    }
  }

  static boolean gone(Instance i) {
    String s = i.state() == null ? "" : i.state().nameAsString();
    return s.equals("terminated") || s.equals("shutting-down");
  }

  static String instanceId(String providerId) {
    return providerId.substring(providerId.lastIndexOf('/') + 1);
  }

  static String providerId(Instance i) {
    return PROVIDER_ID_PREFIX + i.placement().availabilityZone() + "/" + i.instanceId();
  }

  static Map<String, String> tags(Instance i) {
    Map<String, String> m = new HashMap<>();
    i.tags().forEach(t -> m.put(t.key(), t.value()));
    return m;
  }

  private NodeClaim asClaim(Instance i) {
    Map<String, String> tags = tags(i);
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(tags.getOrDefault(TAG_NODECLAIM, i.instanceId()));
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.INSTANCE_TYPE, i.instanceTypeAsString());
    labels.put(Labels.ZONE, i.placement().availabilityZone());
    labels.put(
        Labels.CAPACITY_TYPE,
        "spot".equals(i.instanceLifecycleAsString()) ? Labels.SPOT : Labels.ON_DEMAND);
    if (tags.containsKey(TAG_NODEPOOL)) {
      labels.put(Labels.NODEPOOL, tags.get(TAG_NODEPOOL));
    }
    c.getMetadata().setLabels(labels);
    c.getMetadata().setCreationTimestamp(i.launchTime() == null ? null : i.launchTime().toString());
    NodeClaimStatus s = new NodeClaimStatus();
    s.setProviderID(providerId(i));
    s.setImageID(i.imageId());
    c.setStatus(s);
    return c;
  }

  // ---------------------------------------------------------------- drift

  @Override
  public Optional<String> isDrifted(NodeClaim claim) {
    EC2NodeClass nc = nodeClass(claim.getSpec().nodeClassRef().name());
    if (nc == null || nc.getStatus() == null) {
      return Optional.empty();
    }
    String claimHash =
        claim.getMetadata().getAnnotations() == null
            ? null
            : claim.getMetadata().getAnnotations().get(AwsNodeClassReconciler.HASH_ANNOTATION);
    String classHash =
        nc.getMetadata().getAnnotations() == null
            ? null
            : nc.getMetadata().getAnnotations().get(AwsNodeClassReconciler.HASH_ANNOTATION);
    if (claimHash != null && classHash != null && !claimHash.equals(classHash)) {
      return Optional.of("NodeClassDrift");
    }
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    if (pid == null) {
      return Optional.empty();
    }
    Optional<Instance> inst = describe(instanceId(pid));
    if (inst.isEmpty()) {
      return Optional.empty();
    }
    return drift(nc.getStatus(), inst.get());
  }

  static Optional<String> drift(EC2NodeClassStatus st, Instance i) {
    if (st.getAmis() != null
        && !st.getAmis().isEmpty()
        && st.getAmis().stream().noneMatch(a -> a.id().equals(i.imageId()))) {
      return Optional.of("AMIDrift");
    }
    if (st.getSubnets() != null
        && !st.getSubnets().isEmpty()
        && st.getSubnets().stream().noneMatch(s -> s.id().equals(i.subnetId()))) {
      return Optional.of("SubnetDrift");
    }
    if (st.getSecurityGroups() != null
        && !st.getSecurityGroups().isEmpty()
        && !i.securityGroups().isEmpty()) {
      Set<String> want = new java.util.TreeSet<>();
      st.getSecurityGroups().forEach(g -> want.add(g.id()));
      Set<String> have = new java.util.TreeSet<>();
      i.securityGroups().forEach(g -> have.add(g.groupId()));
      if (!want.equals(have)) {
        return Optional.of("SecurityGroupDrift");
      }
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- misc

  EC2NodeClass nodeClass(String name) {
    return nodeClasses.apply(name);
  }

  /**
   * The class from an informer's cache: {@link #instanceTypes(NodePool)} runs for every NodePool in
   * every scheduling round and metrics refresh, so it must not cost an API request. Until the
   * informer has synced (or for a class it has not seen yet) the API server answers.
   */
  private EC2NodeClass cachedNodeClass(String name) {
    SharedIndexInformer<EC2NodeClass> informer = nodeClassInformer;
    if (informer == null) {
      synchronized (this) {
        if (nodeClassInformer == null) {
          nodeClassInformer = client.resources(EC2NodeClass.class).inform();
        }
        informer = nodeClassInformer;
      }
    }
    if (informer.hasSynced()) {
      EC2NodeClass cached = informer.getStore().getByKey(name);
      if (cached != null) {
        return cached;
      }
    }
    return client.resources(EC2NodeClass.class).withName(name).get();
  }

  @Override
  public String name() {
    return "aws";
  }

  @Override
  public void close() {
    synchronized (this) {
      if (nodeClassInformer != null) {
        nodeClassInformer.close();
      }
    }
    aws.close();
  }

  static final ObjectMapper JSON = new ObjectMapper();
}
