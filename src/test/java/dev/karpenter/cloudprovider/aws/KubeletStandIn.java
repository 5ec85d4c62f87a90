package dev.karpenter.cloudprovider.aws;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * Plays kubelet for instances moto launched (moto runs nothing): when a NodeClaim gets an {@code
 * aws:///} providerID whose instance moto reports running, registers its Node (the instance's
 * private DNS name, the claim's labels, taints, capacity and allocatable, Ready) and runs the pods
 * bound to it. A thin test adapter until the shared kubelet stand-in lands.
 */
final class KubeletStandIn implements AutoCloseable {
  private final KubernetesClient client;
  private final Ec2Client ec2;
  private final Set<String> nodes = ConcurrentHashMap.newKeySet();
  private final Set<String> registering = ConcurrentHashMap.newKeySet();
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private SharedIndexInformer<NodeClaim> claims;
  private SharedIndexInformer<Pod> pods;

  KubeletStandIn(KubernetesClient client, Ec2Client ec2) {
    this.client = client;
    this.ec2 = ec2;
  }

  KubeletStandIn start() {
    claims =
        client
            .resources(NodeClaim.class)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(NodeClaim c) {
                    consider(c);
                  }

                  @Override
                  public void onUpdate(NodeClaim o, NodeClaim c) {
                    consider(c);
                  }

                  @Override
                  public void onDelete(NodeClaim c, boolean unknown) {}
                });
    pods =
        client
            .pods()
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod p) {
                    run(p);
                  }

                  @Override
                  public void onUpdate(Pod o, Pod p) {
                    run(p);
                  }

                  @Override
                  public void onDelete(Pod p, boolean unknown) {}
                });
    return this;
  }

  private void consider(NodeClaim c) {
    String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
    if (pid == null
        || !pid.startsWith(AwsCloudProvider.PROVIDER_ID_PREFIX)
        || !registering.add(pid)) {
      return;
    }
    executor.execute(() -> register(c, pid));
  }

  private void register(NodeClaim c, String pid) {
    String id = AwsCloudProvider.instanceId(pid);
    var inst =
        ec2.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0);
    String name = inst.privateDnsName();
    Map<String, String> labels = new LinkedHashMap<>(c.getMetadata().getLabels());
    labels.put(Labels.HOSTNAME, name);
    labels.put(Labels.EC2NODECLASS, c.getSpec().nodeClassRef().name());
    List<Taint> taints = new ArrayList<>();
    taints.add(new Taint("NoExecute", "karpenter.sh/unregistered", null, null));
    NodeClaims.taints(c).forEach(t -> taints.add(t.toModel()));
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Node node =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .withProviderID(pid)
            .withTaints(taints)
            .endSpec()
            .build();
    try {
      Node created = client.nodes().resource(node).create();
      created.setStatus(
          new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
              .withCapacity(c.getStatus().getCapacity())
              .withAllocatable(c.getStatus().getAllocatable())
              .addNewCondition()
              .withType("Ready")
              .withStatus("True")
              .withReason("KubeletReady")
              .withMessage("kubelet stand-in for a moto instance")
              .withLastHeartbeatTime(now)
              .withLastTransitionTime(now)
              .endCondition()
              .addNewAddress()
              .withType("InternalIP")
              .withAddress(inst.privateIpAddress())
              .endAddress()
              .build());
      created.getMetadata().setResourceVersion(null);
      client.nodes().resource(created).patchStatus();
      nodes.add(name);
      pods.getStore().list().forEach(this::run);
    } catch (KubernetesClientException e) {
      registering.remove(pid);
    }
  }

  private void run(Pod p) {
    String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
    if (node == null || !nodes.contains(node)) {
      return;
    }
    if (p.getMetadata().getDeletionTimestamp() != null) {
      executor.execute(
          () ->
              client
                  .pods()
                  .inNamespace(p.getMetadata().getNamespace())
                  .withName(p.getMetadata().getName())
                  .withGracePeriod(0)
                  .delete());
      return;
    }
    if (p.getStatus() != null && "Running".equals(p.getStatus().getPhase())) {
      return;
    }
    executor.execute(
        () -> {
          try {
            client
                .pods()
                .inNamespace(p.getMetadata().getNamespace())
                .withName(p.getMetadata().getName())
                .editStatus(
                    cur -> {
                      cur.getStatus().setPhase("Running");
                      return cur;
                    });
          } catch (KubernetesClientException e) {
            // The next pod event retries.
          }
        });
  }

  Set<String> nodes() {
    return Set.copyOf(nodes);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    if (claims != null) {
      claims.close();
    }
    if (pods != null) {
      pods.close();
    }
  }
}
