package dev.karpenter.state;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimSpec;
import dev.karpenter.api.v1.NodeClaimTemplateSpec;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodePoolHash;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one way a planned node becomes a NodeClaim, shared by the provisioner (new capacity) and the
 * disruption controller (replacements): the NodePool's template with the plan's requirements,
 * instance-type options and requests, owned by the NodePool and stamped with its hash.
 */
public final class NodeClaimTemplates {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

  private NodeClaimTemplates() {}

  public static NodeClaim nodeClaim(NodeClaimPlan plan, NodePool pool) {
    NodeClaimTemplateSpec t = pool.getSpec().template().spec();
    NodeClaim c = new NodeClaim();
    c.getMetadata().setName(pool.getMetadata().getName() + "-" + suffix());
    Map<String, String> labels = new LinkedHashMap<>(plan.labels());
    labels.remove(Labels.ZONE);
    labels.remove(Labels.CAPACITY_TYPE);
    labels.remove(Labels.INSTANCE_TYPE);
    labels.put(Labels.NODEPOOL, pool.getMetadata().getName());
    c.getMetadata().setLabels(labels);
    // Created with the finalizer rather than have the lifecycle add it: one write less per claim,
    // and no moment in which a deleted claim's stale event re-creates it by adding one.
    c.getMetadata().setFinalizers(List.of(NodeClaims.FINALIZER));
    c.getMetadata()
        .setAnnotations(
            Map.of(
                NodePoolHash.ANNOTATION,
                NodePoolHash.of(pool),
                NodePoolHash.VERSION_ANNOTATION,
                NodePoolHash.VERSION));
    c.getMetadata()
        .setOwnerReferences(
            List.of(
                new OwnerReferenceBuilder()
                    .withApiVersion(pool.getApiVersion())
                    .withKind(pool.getKind())
                    .withName(pool.getMetadata().getName())
                    .withUid(pool.getMetadata().getUid())
                    .withBlockOwnerDeletion(true)
                    .build()));
    Requirements reqs =
        plan.requirements()
            .with(Requirement.of(Labels.INSTANCE_TYPE, "In", plan.instanceTypeOptions()));
    // The NodeClaim CRD rejects these keys in requirements; the labels carry them instead.
    List<NodeSelectorRequirementWithMinValues> apiReqs =
        ApiConversions.toApi(reqs).stream()
            .filter(r -> !r.key().equals(Labels.NODEPOOL) && !r.key().equals(Labels.HOSTNAME))
            .toList();
    c.setSpec(
        new NodeClaimSpec(
            t.taints(),
            t.startupTaints(),
            apiReqs,
            new NodeClaimSpec.ResourceRequirements(ApiConversions.quantities(plan.requests())),
            t.nodeClassRef(),
            t.terminationGracePeriod(),
            t.expireAfter()));
    return c;
  }

  private static String suffix() {
    StringBuilder sb = new StringBuilder(5);
    for (int i = 0; i < 5; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
