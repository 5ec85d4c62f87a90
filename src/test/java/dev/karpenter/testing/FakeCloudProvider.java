package dev.karpenter.testing;

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
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.state.ApiConversions;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cloud provider for unit tests, without a cluster: {@link #create} launches the cheapest
 * available offering of the real catalog that satisfies the claim (capacity and allocatable as the
 * catalog derives them), falling through offerings made short with {@link #insufficientCapacity}
 * (which it then marks in its {@link UnavailableOfferings}, as a provider does), or throws the
 * error set with {@link #failCreates}. Every call is recorded.
 */
public final class FakeCloudProvider implements CloudProvider {
  public static final String PROVIDER_ID_PREFIX = "fake:///";

  private final Catalog catalog;
  private final UnavailableOfferings unavailable;
  private final Map<String, NodeClaim> instances = new ConcurrentHashMap<>();
  private final Set<UnavailableOfferings.Key> shortOfferings = ConcurrentHashMap.newKeySet();
  private final List<NodeClaim> createCalls = new CopyOnWriteArrayList<>();
  private final List<NodeClaim> deleteCalls = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private volatile CloudProviderException createError;

  public FakeCloudProvider(Clock clock) {
    this(Catalog.load("us-east-1"), clock);
  }

  public FakeCloudProvider(Catalog catalog, Clock clock) {
    this.catalog = catalog;
    this.unavailable = new UnavailableOfferings(clock);
  }

  /** From now on launches of this offering fail with insufficient capacity. */
  public void insufficientCapacity(String instanceType, String zone, String capacityType) {
    shortOfferings.add(new UnavailableOfferings.Key(instanceType, zone, capacityType));
  }

  /** From now on every create throws {@code e} (null: creates work again). */
  public void failCreates(CloudProviderException e) {
    createError = e;
  }

  /** The claims {@link #create} was called with, in order (copies as passed). */
  public List<NodeClaim> createCalls() {
    return List.copyOf(createCalls);
  }

  public List<NodeClaim> deleteCalls() {
    return List.copyOf(deleteCalls);
  }

  public Catalog catalog() {
    return catalog;
  }

  @Override
  public NodeClaim create(NodeClaim claim) {
    createCalls.add(Serialization.clone(claim));
    CloudProviderException error = createError;
    if (error != null) {
      throw error;
    }
    Requirements reqs = ApiConversions.requirements(claim.getSpec().requirementsOrEmpty());
    Resources requests =
        claim.getSpec().resources() == null
            ? Resources.NONE
            : ApiConversions.resources(claim.getSpec().resources().requests());
    record Candidate(InstanceType type, Offering offering) {}
    List<Candidate> candidates = new ArrayList<>();
    for (InstanceType t : instanceTypes((NodePool) null)) {
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
    List<UnavailableOfferings.Key> failed = new ArrayList<>();
    for (Candidate c : candidates) {
      var key =
          new UnavailableOfferings.Key(
              c.type().name(), c.offering().zone(), c.offering().capacityType());
      if (shortOfferings.contains(key)) {
        failed.add(key);
        continue;
      }
      unavailable.markUnavailable(failed);
      return launch(claim, c.type(), c.offering());
    }
    unavailable.markUnavailable(failed);
    throw new CloudProviderException.InsufficientCapacity(
        "insufficient capacity for " + failed.size() + " offerings",
        failed.stream().map(UnavailableOfferings.Key::toString).toList());
  }

  private NodeClaim launch(NodeClaim claim, InstanceType type, Offering offering) {
    String providerId =
        PROVIDER_ID_PREFIX
            + offering.zone()
            + "/"
            + String.format("i-%017x", ids.incrementAndGet());
    NodeClaim launched = Serialization.clone(claim);
    Map<String, String> labels = new LinkedHashMap<>();
    if (launched.getMetadata().getLabels() != null) {
      labels.putAll(launched.getMetadata().getLabels());
    }
    labels.putAll(type.labels());
    labels.put(Labels.INSTANCE_TYPE, type.name());
    labels.put(Labels.ZONE, offering.zone());
    labels.put(Labels.CAPACITY_TYPE, offering.capacityType());
    launched.getMetadata().setLabels(labels);
    NodeClaimStatus status = new NodeClaimStatus();
    status.setProviderID(providerId);
    status.setImageID("ami-fake");
    status.setCapacity(ApiConversions.quantities(type.capacity()));
    status.setAllocatable(ApiConversions.quantities(type.allocatable()));
    launched.setStatus(status);
    instances.put(providerId, launched);
    return Serialization.clone(launched);
  }

  @Override
  public void delete(NodeClaim claim) {
    deleteCalls.add(Serialization.clone(claim));
    String pid = claim.getStatus() == null ? null : claim.getStatus().getProviderID();
    if (pid == null || instances.remove(pid) == null) {
      throw new CloudProviderException.NodeClaimNotFound(
          "no instance for NodeClaim " + claim.getMetadata().getName());
    }
  }

  @Override
  public NodeClaim get(String providerId) {
    NodeClaim c = instances.get(providerId);
    if (c == null) {
      throw new CloudProviderException.NodeClaimNotFound("no instance " + providerId);
    }
    return Serialization.clone(c);
  }

  @Override
  public List<NodeClaim> list() {
    return instances.values().stream().map(Serialization::clone).toList();
  }

  @Override
  public List<InstanceType> instanceTypes(NodePool nodePool) {
    return unavailable.apply(catalog.instanceTypes());
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
    return "fake";
  }
}
