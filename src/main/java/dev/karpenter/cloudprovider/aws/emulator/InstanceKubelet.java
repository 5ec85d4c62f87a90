package dev.karpenter.cloudprovider.aws.emulator;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.kubelet.SimulatedKubelet;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * Boots the instances moto launched (moto runs nothing) on the shared {@link SimulatedKubelet}:
 * when a NodeClaim gets an {@code aws:///} providerID whose instance moto reports running, the
 * kubelet stand-in registers its Node under the instance's private DNS name with the claim's
 * labels, taints, capacity and allocatable. Instances moto reports terminated lose their Node, as
 * the cloud controller manager would do. It is the world, not a controller: it reads moto directly,
 * never through the provider.
 */
public final class InstanceKubelet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceKubelet.class);
  private static final String PREFIX = "aws:///";

  private final KubernetesClient client;
  private final Ec2Client ec2;
  private final SimulatedKubelet kubelet;
  private final Set<String> booted = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "instance-kubelet");
            t.setDaemon(true);
            return t;
          });
  private SharedIndexInformer<NodeClaim> claims;

  /**
   * @param ec2 a client straight to moto
   * @param registrationDelay instance running until its Node registers
   */
  public InstanceKubelet(
      KubernetesClient client, Ec2Client ec2, Duration registrationDelay, Clock clock) {
    this.client = client;
    this.ec2 = ec2;
    this.kubelet =
        new SimulatedKubelet(
            client,
            new SimulatedKubelet.Settings(
                registrationDelay, Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ZERO),
            clock);
  }

  public InstanceKubelet start() {
    kubelet.start();
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
    executor.scheduleWithFixedDelay(this::reapTerminated, 2, 2, TimeUnit.SECONDS);
    return this;
  }

  private void consider(NodeClaim c) {
    String pid = c.getStatus() == null ? null : c.getStatus().getProviderID();
    if (pid == null
        || !pid.startsWith(PREFIX)
        || c.getStatus().getCapacity() == null
        || !booted.add(pid)) {
      return;
    }
    executor.execute(() -> boot(c, pid));
  }

  private void boot(NodeClaim c, String pid) {
    Instance inst;
    try {
      inst = describe(instanceId(pid));
    } catch (SdkException e) {
      LOG.warn("describing {} for NodeClaim {}: {}", pid, c.getMetadata().getName(), e.toString());
      booted.remove(pid);
      return;
    }
    if (inst == null || !"running".equals(inst.state().nameAsString())) {
      LOG.info("instance {} of NodeClaim {} is not running", pid, c.getMetadata().getName());
      return;
    }
    Map<String, String> labels = new LinkedHashMap<>(c.getMetadata().getLabels());
    labels.put(Labels.EC2NODECLASS, c.getSpec().nodeClassRef().name());
    List<Taint> taints = new ArrayList<>();
    NodeClaims.taints(c).forEach(t -> taints.add(t.toModel()));
    NodeClaims.startupTaints(c).forEach(t -> taints.add(t.toModel()));
    kubelet.boot(
        new SimulatedKubelet.Instance(
            pid,
            inst.privateDnsName(),
            inst.instanceId(),
            labels,
            taints,
            NodeClaims.startupTaints(c).stream().map(dev.karpenter.api.v1.Taint::key).toList(),
            ApiConversions.resources(c.getStatus().getCapacity()),
            ApiConversions.resources(c.getStatus().getAllocatable())));
  }

  private void reapTerminated() {
    for (String pid : List.copyOf(booted)) {
      try {
        Instance inst = describe(instanceId(pid));
        String state = inst == null ? "terminated" : inst.state().nameAsString();
        if (state.equals("shutting-down") || state.equals("terminated")) {
          kubelet.terminate(pid);
          booted.remove(pid);
        }
      } catch (RuntimeException e) {
        LOG.debug("checking {}: {}", pid, e.toString());
      }
    }
  }

  private Instance describe(String id) {
    return ec2.describeInstances(r -> r.instanceIds(id)).reservations().stream()
        .flatMap(r -> r.instances().stream())
        .findFirst()
        .orElse(null);
  }

  private static String instanceId(String providerId) {
    return providerId.substring(providerId.lastIndexOf('/') + 1);
  }

  /** Whether the Node of this instance is (being) registered. */
  public boolean isRunning(String providerId) {
    return kubelet.isRunning(providerId);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    if (claims != null) {
      claims.close();
    }
    kubelet.close();
  }
}
