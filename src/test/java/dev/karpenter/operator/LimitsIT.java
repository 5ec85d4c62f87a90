package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.scheduling.Quantities;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NodePool limits hold at every instant, on a loaded machine: both cores are kept busy by a {@link
 * CpuBurner} for the whole class, and the launched total is sampled continuously (a NodeClaim watch
 * and the simulated cloud's instances), not only at the end. The 200-pod burst repeats {@code
 * -Dkarpenter.burst.runs} times (3 by default; {@code hack/limits-under-load.sh} runs 20).
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class LimitsIT {
  static final int RUNS = Integer.getInteger("karpenter.burst.runs", 3);

  @RegisterExtension static final CpuBurner.Extension BURNER = new CpuBurner.Extension(true);

  static KubernetesClient client;
  static SimulatedCloudProvider cloud;
  static KarpenterOperator operator;

  @BeforeAll
  static void start(KubernetesClient c) {
    client = c;
    E2E.installCrds(client);
    OperatorConfig config =
        E2E.config("limits-it", "limits-it")
            .withTimeouts(Duration.ofMinutes(15), Duration.ofMinutes(5));
    cloud = E2E.cloud(client, config);
    operator = E2E.operator(client, config, cloud);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.close();
      cloud.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> aBurstOf200PodsNeverExceedsTheNodePoolCpuLimit() {
    return IntStream.rangeClosed(1, RUNS)
        .mapToObj(i -> dynamicTest("run " + i + " of " + RUNS, () -> cpuBurst(i)));
  }

  private void cpuBurst(int run) {
    String ns = "e2e-burst-" + run;
    String np = "e2e-burst-" + run;
    int limitCpu = 24;
    E2E.nodePool(
        client, np, List.of("m5.large", "m5.xlarge", "m5.2xlarge"), List.of("on-demand"), limitCpu);
    E2E.namespace(client, ns);
    try (Peak peak = new Peak(np, "cpu")) {
      client.resource(E2E.deployment(ns, "burst", 200, "500m", Map.of(Labels.POOL, np))).create();
      awaitSettled(ns, "burst", peak, (limitCpu - 8) * 1000L, Duration.ofMinutes(5));
      assertTrue(BURNER.alive(), "the CPU burner ran throughout");
      assertTrue(
          peak.max() <= limitCpu * 1000L,
          "run " + run + ": launched cpu peaked at " + peak.max() / 1000.0 + ", limit " + limitCpu);
      long pending = E2E.pods(client, ns, "burst").stream().filter(p -> !E2E.running(p)).count();
      assertTrue(pending > 0, "pods beyond the limit stay pending");
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  @Test
  void aBurstOf1000PodsNeverExceedsTheNodePoolGpuLimit() {
    String ns = "e2e-gpu-burst";
    String np = "e2e-gpu-burst";
    int limitGpu = 32;
    E2E.applyYaml(
        client,
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            spec:
              requirements:
                - key: node.kubernetes.io/instance-type
                  operator: In
                  values: ['g5.xlarge', 'g5.12xlarge', 'g5.48xlarge']
                - key: karpenter.sh/capacity-type
                  operator: In
                  values: ['on-demand']
              taints:
                - key: nvidia.com/gpu
                  effect: NoSchedule
              nodeClassRef:
                group: karpenter.k8s.aws
                kind: EC2NodeClass
                name: gpu-optimized
          limits:
            nvidia.com/gpu: '%d'
        """
            .formatted(np, limitGpu));
    E2E.namespace(client, ns);
    try (Peak peak = new Peak(np, "nvidia.com/gpu")) {
      Deployment d = E2E.deployment(ns, "gpu", 1000, "100m", Map.of(Labels.POOL, np));
      var spec = d.getSpec().getTemplate().getSpec();
      spec.getContainers()
          .getFirst()
          .getResources()
          .setRequests(Map.of("cpu", new Quantity("100m"), "nvidia.com/gpu", new Quantity("1")));
      spec.getContainers()
          .getFirst()
          .getResources()
          .setLimits(Map.of("nvidia.com/gpu", new Quantity("1")));
      spec.setTolerations(
          List.of(
              new io.fabric8.kubernetes.api.model.TolerationBuilder()
                  .withKey("nvidia.com/gpu")
                  .withOperator("Exists")
                  .withEffect("NoSchedule")
                  .build()));
      client.resource(d).create();
      // The ReplicaSet controller creates the pods in slow-start batches (minutes on a loaded
      // machine): the whole burst must be pending before the pool's fill is judged.
      E2E.await(
          "the whole burst of 1000 pods created",
          Duration.ofMinutes(10),
          () -> E2E.pods(client, ns, "gpu").size() == 1000);
      // One GPU per pod: the pool fills to within one 8-GPU node of its limit.
      awaitSettled(ns, "gpu", peak, (limitGpu - 7) * 1000L, Duration.ofMinutes(10));
      assertTrue(BURNER.alive(), "the CPU burner ran throughout");
      assertTrue(
          peak.max() <= limitGpu * 1000L,
          "launched GPUs peaked at " + peak.max() / 1000 + ", limit " + limitGpu);
      assertTrue(peak.samples() > 10, "sampled continuously (" + peak.samples() + " samples)");
    } finally {
      E2E.cleanUp(client, ns, List.of(np));
    }
  }

  /**
   * Waits until the pool holds at least {@code filled} (milli) of the resource and the number of
   * Running pods has not changed for 10 s, then observes 5 s more.
   */
  private static void awaitSettled(
      String ns, String app, Peak peak, long filled, Duration timeout) {
    try (SharedIndexInformer<Pod> pods =
        client.pods().inNamespace(ns).withLabel("app", app).inform()) {
      long[] last = {-1, System.nanoTime()};
      E2E.await(
          "the " + app + " burst to fill its pool (" + peak.resource + " >= " + filled / 1000 + ")",
          timeout,
          () -> {
            long running = pods.getStore().list().stream().filter(E2E::running).count();
            if (running != last[0]) {
              last[0] = running;
              last[1] = System.nanoTime();
              return false;
            }
            return peak.current() >= filled
                && running > 0
                && System.nanoTime() - last[1] > 10_000_000_000L;
          });
      E2E.sleep(5_000);
    }
  }

  /**
   * The most of one resource the pool's launched instances held at any instant: NodeClaim status
   * capacity from a watch (every add, update and delete) and the simulated cloud's instances,
   * polled every 20 ms.
   */
  private static final class Peak implements AutoCloseable {
    final String pool;
    final String resource;
    final Map<String, Long> byClaim = new ConcurrentHashMap<>();
    final AtomicLong max = new AtomicLong();
    final AtomicLong current = new AtomicLong();
    final AtomicLong samples = new AtomicLong();
    final SharedIndexInformer<NodeClaim> watch;
    final Thread poller;
    volatile boolean running = true;

    Peak(String pool, String resource) {
      this.pool = pool;
      this.resource = resource;
      watch =
          client
              .resources(NodeClaim.class)
              .withLabel("karpenter.sh/nodepool", pool)
              .inform(
                  new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(NodeClaim c) {
                      record(c);
                    }

                    @Override
                    public void onUpdate(NodeClaim o, NodeClaim c) {
                      record(c);
                    }

                    @Override
                    public void onDelete(NodeClaim c, boolean unknown) {
                      byClaim.remove(c.getMetadata().getName());
                    }
                  });
      poller =
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (running) {
                      observe(cloudTotal());
                      E2E.sleep(20);
                    }
                  });
    }

    private void record(NodeClaim c) {
      Map<String, Quantity> cap = c.getStatus() == null ? null : c.getStatus().getCapacity();
      if (cap != null && cap.get(resource) != null) {
        byClaim.put(c.getMetadata().getName(), Quantities.parseMilli(cap.get(resource).toString()));
      }
      observe(byClaim.values().stream().mapToLong(Long::longValue).sum());
    }

    private long cloudTotal() {
      long sum = 0;
      for (SimulatedCloudProvider.Instance i : cloud.instances()) {
        if (i.nodeClaim().startsWith(pool + "-")) {
          sum +=
              E2E.CATALOG
                  .get(i.instanceType())
                  .map(InstanceType::capacity)
                  .map(r -> r.get(resource))
                  .orElse(0L);
        }
      }
      current.set(sum);
      return sum;
    }

    private void observe(long total) {
      samples.incrementAndGet();
      max.accumulateAndGet(total, Math::max);
    }

    long max() {
      return max.get();
    }

    long current() {
      return current.get();
    }

    long samples() {
      return samples.get();
    }

    @Override
    public void close() {
      running = false;
      watch.close();
    }
  }

  private static final class Labels {
    static final String POOL = "karpenter.sh/nodepool";
  }
}
