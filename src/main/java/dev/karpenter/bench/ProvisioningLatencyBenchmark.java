package dev.karpenter.bench;

import dev.karpenter.operator.KarpenterOperator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Pending pod to NodeClaim created, per pod, on a live cluster: from the moment this process
 * observes kube-scheduler's {@code PodScheduled=False/Unschedulable} on a pod until the operator's
 * provisioner has nominated it to a NodeClaim, i.e. created one for it or found it room on one in
 * flight (both on this JVM's monotonic clock). Pods arrive in waves so each wave is one
 * provisioning batch; each pod needs a node of its own.
 */
public final class ProvisioningLatencyBenchmark {
  /**
   * Latencies in milliseconds, nearest-rank percentiles, over the {@code measured} pods that were
   * both seen Unschedulable and nominated; {@code placed} pods were bound or nominated in the end
   * (a pod kube-scheduler bound to free room at once never waited for a NodeClaim).
   */
  public record Report(
      int pods,
      int placed,
      int measured,
      int nodeClaims,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double maxMs,
      double seconds) {}

  private final KubernetesClient client;
  private final KarpenterOperator operator;
  private final Consumer<String> log;
  private final Map<String, Long> unschedulableAt = new ConcurrentHashMap<>();
  private final Map<String, Long> claimCreatedAt = new ConcurrentHashMap<>();
  private final Map<String, Boolean> claims = new ConcurrentHashMap<>();

  public ProvisioningLatencyBenchmark(
      KubernetesClient client, KarpenterOperator operator, Consumer<String> log) {
    this.client = client;
    this.operator = operator;
    this.log = log;
  }

  /**
   * Creates {@code pods} pods in {@code namespace} ({@code waveSize} at a time, {@code interval}
   * apart), each requesting {@code cpu} and selecting {@code nodePool}, and measures them.
   */
  public Report run(
      String namespace,
      String nodePool,
      String cpu,
      int pods,
      int waveSize,
      Duration interval,
      Duration timeout)
      throws InterruptedException {
    operator
        .provisioner()
        .onCreated((claim, keys) -> claims.put(claim.getMetadata().getName(), true));
    // A pod's capacity is the NodeClaim created for it, or one in flight it was nominated to.
    operator
        .provisioner()
        .onNominated((key, target) -> claimCreatedAt.putIfAbsent(key, System.nanoTime()));
    SharedIndexInformer<Pod> informer =
        client
            .pods()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod p) {
                    observe(p);
                  }

                  @Override
                  public void onUpdate(Pod o, Pod p) {
                    observe(p);
                  }

                  @Override
                  public void onDelete(Pod p, boolean unknown) {}
                });
    long start = System.nanoTime();
    int placed = 0;
    try {
      for (int created = 0; created < pods; ) {
        int n = Math.min(waveSize, pods - created);
        int first = created;
        // The wave arrives as a burst, as a scaled-up Deployment's pods do.
        try (var creators = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
          for (int i = 0; i < n; i++) {
            String name = "latency-" + (first + i);
            creators.submit(() -> client.resource(pod(namespace, name, nodePool, cpu)).create());
          }
        }
        created += n;
        log.accept("created " + created + "/" + pods + " pods");
        if (created < pods) {
          Thread.sleep(interval.toMillis());
        }
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (placed(informer) < pods && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      placed = placed(informer);
    } finally {
      informer.close();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Double> ms = new ArrayList<>();
    unschedulableAt.forEach(
        (key, t0) -> {
          Long t1 = claimCreatedAt.get(key);
          if (t1 != null) {
            ms.add((t1 - t0) / 1e6);
          }
        });
    ms.sort(Double::compare);
    log.accept(
        "observed Unschedulable on "
            + unschedulableAt.size()
            + " pods; NodeClaims nominated "
            + claimCreatedAt.size()
            + " pods");
    return new Report(
        pods,
        placed,
        ms.size(),
        claims.size(),
        percentile(ms, 50),
        percentile(ms, 90),
        percentile(ms, 99),
        ms.isEmpty() ? Double.NaN : ms.getLast(),
        seconds);
  }

  /** Pods bound to a node or nominated to a NodeClaim. */
  private int placed(SharedIndexInformer<Pod> informer) {
    int n = 0;
    for (Pod p : informer.getStore().list()) {
      String key = p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
      if (p.getSpec().getNodeName() != null || claimCreatedAt.containsKey(key)) {
        n++;
      }
    }
    return n;
  }

  private void observe(Pod p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return;
    }
    boolean unschedulable =
        p.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    "PodScheduled".equals(c.getType())
                        && "False".equals(c.getStatus())
                        && "Unschedulable".equals(c.getReason()));
    if (unschedulable) {
      unschedulableAt.putIfAbsent(
          p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), System.nanoTime());
    }
  }

  /** Nearest-rank percentile of sorted values; NaN when there are none. */
  static double percentile(List<Double> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  private static Pod pod(String ns, String name, String nodePool, String cpu) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .addToLabels("app", "latency-benchmark")
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(Map.of("karpenter.sh/nodepool", nodePool))
        .withTerminationGracePeriodSeconds(0L)
        .addNewContainer()
        .withName("app")
        .withImage("registry.k8s.io/pause:3.10")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }
}
