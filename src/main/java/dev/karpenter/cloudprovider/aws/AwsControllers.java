package dev.karpenter.cloudprovider.aws;

import dev.karpenter.cloudprovider.module.ProviderController;
import dev.karpenter.cloudprovider.module.ProviderModule;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controllers the AWS provider brings, and the one place they are registered: the EC2NodeClass
 * reconciler (JOSDK, with its finalizer), and the periodic instance-type/price refresh, NodeClaim
 * garbage collection with tagging, and the SQS interruption poller when a queue is configured.
 */
public final class AwsControllers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AwsControllers.class);
  static final Duration GC_PERIOD = Duration.ofSeconds(30);

  private final AwsCloudProvider cloud;
  private final GarbageCollector gc;
  private final Interruption interruption;
  private final ScheduledExecutorService executor;
  private final AwsNodeClassReconciler nodeClass;

  public AwsControllers(
      KubernetesClient client,
      AwsCloudProvider cloud,
      EventRecorder events,
      KarpenterMetrics metrics,
      Clock clock) {
    this.cloud = cloud;
    this.nodeClass = new AwsNodeClassReconciler(client, cloud, events, clock);
    this.gc = new GarbageCollector(client, cloud, clock, cloud.settings().garbageCollectionGrace());
    this.interruption =
        cloud.settings().interruptionQueue() == null
            ? null
            : new Interruption(
                client, cloud, cloud.settings().interruptionQueue(), events, metrics, clock);
    this.executor =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "aws-controllers");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * What the operator wires: the cloud and the EC2NodeClass reconciler. The periodic loops run on
   * their own executor from {@link #start()} (garbage collection and interruption are idempotent,
   * and each acts only on this cluster's tagged instances).
   */
  public ProviderModule module() {
    return new ProviderModule(
        cloud,
        List.of(
            ProviderController.of(
                "ec2nodeclass", nodeClass, o -> o.withFinalizer(AwsNodeClassReconciler.FINALIZER))),
        List.of());
  }

  /** Starts the periodic controllers. */
  public AwsControllers start() {
    long refresh = cloud.settings().catalogRefresh().toMillis();
    executor.execute(cloud.catalog()::refresh);
    executor.scheduleWithFixedDelay(
        guarded("instance-type refresh", cloud.catalog()::refresh),
        refresh,
        refresh,
        TimeUnit.MILLISECONDS);
    long every = GC_PERIOD.toMillis();
    executor.scheduleWithFixedDelay(
        guarded("garbage collection", gc::collect), every, every, TimeUnit.MILLISECONDS);
    if (interruption != null) {
      interruption.start();
    }
    return this;
  }

  GarbageCollector garbageCollector() {
    return gc;
  }

  private static Runnable guarded(String what, Runnable r) {
    return () -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.warn("{} failed: {}", what, e.toString());
      }
    };
  }

  @Override
  public void close() {
    executor.shutdownNow();
    if (interruption != null) {
      interruption.close();
    }
  }
}
