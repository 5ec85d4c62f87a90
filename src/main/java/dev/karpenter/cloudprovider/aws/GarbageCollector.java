package dev.karpenter.cloudprovider.aws;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * Both directions of upstream's NodeClaim garbage collection: instances tagged for this cluster
 * that no NodeClaim owns after a grace period (the operator died between CreateFleet and writing
 * the claim) are terminated; launched NodeClaims whose instance is gone are deleted. The tagging
 * half adds {@code Name} and {@code karpenter.sh/nodeclaim} once the node has registered.
 */
final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

  private final KubernetesClient client;
  private final AwsCloudProvider cloud;
  private final Clock clock;
  private final Duration grace;

  GarbageCollector(KubernetesClient client, AwsCloudProvider cloud, Clock clock, Duration grace) {
    this.client = client;
    this.cloud = cloud;
    this.clock = clock;
    this.grace = grace;
  }

  /** One pass; returns the instances it terminated. */
  List<String> collect() {
    List<Instance> instances;
    List<NodeClaim> claims;
    try {
      instances = cloud.instances();
      claims = client.resources(NodeClaim.class).list().getItems();
    } catch (SdkException | KubernetesClientException e) {
      LOG.warn("garbage collection skipped: {}", e.getMessage());
      return List.of();
    }
    Set<String> owned = new HashSet<>();
    Map<String, NodeClaim> byName = new HashMap<>();
    for (NodeClaim c : claims) {
      byName.put(c.getMetadata().getName(), c);
      if (c.getStatus() != null && c.getStatus().getProviderID() != null) {
        owned.add(AwsCloudProvider.instanceId(c.getStatus().getProviderID()));
      }
    }
    Instant cutoff = clock.instant().minus(grace);
    List<String> leaked = new ArrayList<>();
    Set<String> live = new HashSet<>();
    for (Instance i : instances) {
      live.add(i.instanceId());
      if (owned.contains(i.instanceId())) {
        tag(i, claims);
        continue;
      }
      String claimName = AwsCloudProvider.tags(i).get(AwsCloudProvider.TAG_NODECLAIM);
      NodeClaim c = claimName == null ? null : byName.get(claimName);
      boolean claimWaiting =
          c != null && (c.getStatus() == null || c.getStatus().getProviderID() == null);
      if (claimWaiting) {
        // The claim's next launch adopts this instance (AwsCloudProvider#create).
        continue;
      }
      if (i.launchTime() != null && i.launchTime().isBefore(cutoff)) {
        leaked.add(i.instanceId());
      }
    }
    if (!leaked.isEmpty()) {
      try {
        cloud.terminate(leaked);
        LOG.info("garbage-collected {} instances without a NodeClaim: {}", leaked.size(), leaked);
      } catch (SdkException e) {
        LOG.warn("terminating leaked instances {}: {}", leaked, AwsErrors.describe(e));
      }
    }
    for (NodeClaim c : claims) {
      String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
      if (pid == null
          || !pid.startsWith(AwsCloudProvider.PROVIDER_ID_PREFIX)
          || c.getMetadata().getDeletionTimestamp() != null
          || live.contains(AwsCloudProvider.instanceId(pid))
          || !NodeClaims.isTrue(c, NodeClaims.LAUNCHED)) {
        continue;
      }
      try {
        if (cloud
            .describe(AwsCloudProvider.instanceId(pid))
            .filter(x -> !AwsCloudProvider.gone(x))
            .isPresent()) {
          continue;
        }
        client.resources(NodeClaim.class).withName(c.getMetadata().getName()).delete();
        LOG.info(
            "NodeClaim {}: instance {} is gone; deleting the claim",
            c.getMetadata().getName(),
            pid);
      } catch (SdkException | KubernetesClientException e) {
        LOG.debug("NodeClaim {} garbage collection: {}", c.getMetadata().getName(), e.getMessage());
      }
    }
    return leaked;
  }

  /**
   * Name and nodeclaim tags once the claim's node has registered (upstream's tagging controller).
   */
  private void tag(Instance i, List<NodeClaim> claims) {
    Map<String, String> tags = AwsCloudProvider.tags(i);
    for (NodeClaim c : claims) {
      String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
      String node = c.getStatus() == null ? null : c.getStatus().getNodeName();
      if (pid == null || node == null || !AwsCloudProvider.instanceId(pid).equals(i.instanceId())) {
        continue;
      }
      String claim = c.getMetadata().getName();
      if (node.equals(tags.get("Name")) && claim.equals(tags.get(AwsCloudProvider.TAG_NODECLAIM))) {
        return;
      }
      try {
        cloud
            .clients()
            .ec2()
            .createTags(
                r ->
                    r.resources(i.instanceId())
                        .tags(
                            t -> t.key("Name").value(node),
                            t -> t.key(AwsCloudProvider.TAG_NODECLAIM).value(claim)));
        LOG.info(
            "tagged {} Name={} {}={}", i.instanceId(), node, AwsCloudProvider.TAG_NODECLAIM, claim);
      } catch (SdkException e) {
        LOG.debug("tagging {}: {}", i.instanceId(), AwsErrors.describe(e));
      }
      return;
    }
  }
}
