package dev.karpenter.bench;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.provisioning.Provisioner;
import dev.karpenter.scheduling.Quantities;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A burst of pods created at once on a live cluster, measured end to end per pod: created (the
 * create request returned) → kube-scheduler's {@code PodScheduled=False/Unschedulable} observed →
 * the operator's provisioner created a NodeClaim for it (or nominated it to one in flight) → bound
 * → Running. Alongside: every provisioning round's batch window, and the NodePool's launched
 * capacity (NodeClaim status, every watch event) against its limit at every instant.
 */
public final class BurstBenchmark {
  /** Percentiles in milliseconds (nearest rank); NaN when no pod has both ends. */
  public record Stat(int count, double p50Ms, double p90Ms, double p99Ms, double maxMs) {
    static Stat of(List<Double> ms) {
      ms.sort(Double::compare);
      return new Stat(
          ms.size(),
          ProvisioningLatencyBenchmark.percentile(ms, 50),
          ProvisioningLatencyBenchmark.percentile(ms, 90),
          ProvisioningLatencyBenchmark.percentile(ms, 99),
          ms.isEmpty() ? Double.NaN : ms.getLast());
    }
  }

  /** One provisioning round, in milliseconds from the first pod's create request. */
  public record Batch(
      long openedMs,
      long lastTriggerMs,
      long closedMs,
      long finishedMs,
      int triggers,
      int pods,
      long solveMs,
      int claims) {}

  /**
   * The result. {@code placed}: bound to a node at the end; {@code deletedAfterBinding}: bound,
   * then deleted before Running by someone else (the benchmark deletes nothing; kube-controller-
   * manager's taint eviction does when its Node cache still shows the {@code
   * karpenter.sh/unregistered:NoExecute} taint that kube-scheduler already saw lifted); {@code
   * deletedUnbound}: deleted before being bound; {@code limitMilli}/{@code peakMilli}: the
   * NodePool's limit and the most launched capacity of that resource seen at any instant.
   */
  public record Report(
      int pods,
      int placed,
      int running,
      int deletedAfterBinding,
      int deletedUnbound,
      int nodeClaims,
      String limitResource,
      long limitMilli,
      long peakMilli,
      long limitSamples,
      double createSeconds,
      double seconds,
      Stat createdToNodeClaim,
      Stat createdToUnschedulable,
      Stat unschedulableToNodeClaim,
      Stat createdToBound,
      Stat createdToRunning,
      List<Batch> batches) {}

  private static final class Times {
    volatile Instant created;
    volatile Instant unschedulable;
    volatile Instant claimed;
    volatile Instant bound;
    volatile Instant running;
    volatile Instant deleted;
  }

  private final KubernetesClient client;
  private final KarpenterOperator operator;
  private final Clock clock;
  private final Consumer<String> log;
  private final Map<String, Times> times = new ConcurrentHashMap<>();
  private final Map<String, Long> launched = new ConcurrentHashMap<>();
  private final Map<String, Boolean> claims = new ConcurrentHashMap<>();
  private final List<Provisioner.Round> rounds = new CopyOnWriteArrayList<>();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong samples = new AtomicLong();

  public BurstBenchmark(
      KubernetesClient client, KarpenterOperator operator, Clock clock, Consumer<String> log) {
    this.client = client;
    this.operator = operator;
    this.clock = clock;
    this.log = log;
  }

  /**
   * Creates {@code pods} pods in {@code namespace} (through {@code parallel} concurrent create
   * requests), each requesting {@code cpu} and selecting {@code nodePool}, and waits until every
   * one is Running or {@code timeout} passes.
   */
  public Report run(
      String namespace,
      String nodePool,
      String limitResource,
      long limitMilli,
      String cpu,
      int pods,
      int parallel,
      Duration timeout)
      throws InterruptedException {
    Provisioner p = operator.provisioner();
    p.onCreated(
        (claim, keys) -> {
          claims.put(claim.getMetadata().getName(), true);
          keys.forEach(this::claimed);
        });
    p.onNominated(
        (key, target) -> {
          if (target.startsWith("nodeclaim/")) {
            claimed(key);
          }
        });
    p.onRound(rounds::add);
    SharedIndexInformer<NodeClaim> claimWatch =
        client
            .resources(NodeClaim.class)
            .withLabel("karpenter.sh/nodepool", nodePool)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(NodeClaim c) {
                    launched(c, limitResource);
                  }

                  @Override
                  public void onUpdate(NodeClaim o, NodeClaim c) {
                    launched(c, limitResource);
                  }

                  @Override
                  public void onDelete(NodeClaim c, boolean unknown) {
                    launched.remove(c.getMetadata().getName());
                  }
                });
    SharedIndexInformer<Pod> podWatch =
        client
            .pods()
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    observe(pod);
                  }

                  @Override
                  public void onUpdate(Pod o, Pod pod) {
                    observe(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknown) {
                    Times t =
                        times.get(
                            pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
                    if (t != null && t.deleted == null) {
                      t.deleted = clock.instant();
                      log.accept(
                          "pod "
                              + pod.getMetadata().getName()
                              + " was deleted by someone else"
                              + (t.bound == null ? " before it was bound" : " after it was bound"));
                    }
                  }
                });
    Instant start = clock.instant();
    double createSeconds;
    try {
      Semaphore inFlight = new Semaphore(parallel);
      List<Future<?>> creates = new ArrayList<>();
      try (ExecutorService creators = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < pods; i++) {
          String name = "burst-" + i;
          times.put(namespace + "/" + name, new Times());
          inFlight.acquire();
          creates.add(
              creators.submit(
                  () -> {
                    try {
                      client.resource(pod(namespace, name, nodePool, cpu)).create();
                      times.get(namespace + "/" + name).created = clock.instant();
                    } finally {
                      inFlight.release();
                    }
                  }));
        }
      }
      for (Future<?> f : creates) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          log.accept("creating a pod failed: " + e.getCause());
        }
      }
      createSeconds = Duration.between(start, clock.instant()).toMillis() / 1000.0;
      log.accept(String.format("created %d pods in %.1f s", pods, createSeconds));
      Instant deadline = clock.instant().plus(timeout);
      long lastLog = 0;
      while (count(t -> t.running != null || t.deleted != null) < pods
          && clock.instant().isBefore(deadline)) {
        Thread.sleep(200);
        long now = System.nanoTime();
        if (now - lastLog > 10_000_000_000L) {
          lastLog = now;
          log.accept(
              String.format(
                  "%d unschedulable, %d with a NodeClaim, %d bound, %d running; %d NodeClaims",
                  count(t -> t.unschedulable != null),
                  count(t -> t.claimed != null),
                  count(t -> t.bound != null),
                  count(t -> t.running != null),
                  claims.size()));
        }
      }
    } finally {
      podWatch.close();
      claimWatch.close();
    }
    double seconds = Duration.between(start, clock.instant()).toMillis() / 1000.0;
    List<Batch> batches = new ArrayList<>();
    for (Provisioner.Round r : rounds) {
      if (r.window() == null) {
        continue;
      }
      batches.add(
          new Batch(
              ms(start, r.window().opened()),
              ms(start, r.window().lastTrigger()),
              ms(start, r.window().closed()),
              ms(start, r.finished()),
              r.window().triggers(),
              r.pods(),
              r.solve().toMillis(),
              r.nodeClaims()));
    }
    return new Report(
        pods,
        count(t -> t.bound != null),
        count(t -> t.running != null),
        count(t -> t.deleted != null && t.running == null && t.bound != null),
        count(t -> t.deleted != null && t.bound == null),
        claims.size(),
        limitResource,
        limitMilli,
        peak.get(),
        samples.get(),
        createSeconds,
        seconds,
        stat(t -> t.created, t -> t.claimed),
        stat(t -> t.created, t -> t.unschedulable),
        stat(t -> t.unschedulable, t -> t.claimed),
        stat(t -> t.created, t -> t.bound),
        stat(t -> t.created, t -> t.running),
        batches);
  }

  private static long ms(Instant start, Instant t) {
    return Duration.between(start, t).toMillis();
  }

  private int count(java.util.function.Predicate<Times> p) {
    int n = 0;
    for (Times t : times.values()) {
      if (p.test(t)) {
        n++;
      }
    }
    return n;
  }

  private Stat stat(
      java.util.function.Function<Times, Instant> from,
      java.util.function.Function<Times, Instant> to) {
    List<Double> ms = new ArrayList<>();
    for (Times t : times.values()) {
      Instant a = from.apply(t);
      Instant b = to.apply(t);
      if (a != null && b != null) {
        // A watch event can beat the create call's return by a hair: no negative latencies.
        ms.add(Math.max(0, Duration.between(a, b).toNanos() / 1e6));
      }
    }
    return Stat.of(ms);
  }

  private void claimed(String key) {
    Times t = times.get(key);
    if (t != null && t.claimed == null) {
      t.claimed = clock.instant();
    }
  }

  private void launched(NodeClaim c, String resource) {
    Map<String, Quantity> cap = c.getStatus() == null ? null : c.getStatus().getCapacity();
    if (cap != null && cap.get(resource) != null) {
      launched.put(c.getMetadata().getName(), Quantities.parseMilli(cap.get(resource).toString()));
    }
    long sum = 0;
    for (long v : launched.values()) {
      sum += v;
    }
    samples.incrementAndGet();
    peak.accumulateAndGet(sum, Math::max);
  }

  private void observe(Pod pod) {
    Times t = times.get(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
    if (t == null) {
      return;
    }
    Instant now = clock.instant();
    if (t.unschedulable == null
        && pod.getStatus() != null
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    "PodScheduled".equals(c.getType())
                        && "False".equals(c.getStatus())
                        && "Unschedulable".equals(c.getReason()))) {
      t.unschedulable = now;
    }
    if (t.bound == null && pod.getSpec().getNodeName() != null) {
      t.bound = now;
    }
    if (t.running == null
        && pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase())) {
      t.running = now;
    }
  }

  private static Pod pod(String ns, String name, String nodePool, String cpu) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .addToLabels("app", "burst-benchmark")
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(Map.of("karpenter.sh/nodepool", nodePool))
        .withTerminationGracePeriodSeconds(0L)
        .addNewContainer()
        .withName("app")
        .withImage("registry.k8s.io/pause:3.10")
        .withNewResources()
        .addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity("64Mi"))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }
}
