package dev.karpenter.operator;

import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.cloudprovider.simulated.SimulatedNodeClassReconciler;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.metrics.controller.MetricsController;
import dev.karpenter.node.termination.Terminator;
import dev.karpenter.nodeclaim.lifecycle.NodeClaimLifecycleReconciler;
import dev.karpenter.nodepool.NodePoolReconciler;
import dev.karpenter.provisioning.Batcher;
import dev.karpenter.provisioning.Provisioner;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the operator: cluster state, the cloud, the provisioner singleton (started only while this
 * replica holds the leader Lease), the JOSDK controllers (NodeClaim lifecycle and termination,
 * NodePool status, EC2NodeClass readiness), metrics and the HTTP endpoints.
 */
public final class KarpenterOperator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KarpenterOperator.class);

  private final KubernetesClient client;
  private final OperatorConfig config;
  private final Clock clock;
  private final KarpenterMetrics metrics;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final Provisioner provisioner;
  private final Operator operator;
  private final ScheduledExecutorService background;
  private final AtomicBoolean leader = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private HttpEndpoints http;

  /** An operator on the given cloud; {@code cloud} must already be started. */
  public KarpenterOperator(
      KubernetesClient client,
      OperatorConfig config,
      CloudProvider cloud,
      Catalog catalog,
      KarpenterMetrics metrics,
      Clock clock) {
    this(
        client,
        config,
        cloud,
        metrics,
        clock,
        op ->
            op.register(
                new SimulatedNodeClassReconciler(catalog, clock), o -> o.withName("ec2nodeclass")));
  }

  /**
   * An operator on the given cloud, whose provider registers its own controllers (the EC2NodeClass
   * reconciler among them) through {@code providerControllers}.
   */
  public KarpenterOperator(
      KubernetesClient client,
      OperatorConfig config,
      CloudProvider cloud,
      KarpenterMetrics metrics,
      Clock clock,
      java.util.function.Consumer<Operator> providerControllers) {
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    this.cloud = new MeteredCloudProvider(cloud, metrics);
    this.state = new ClusterState(client);
    EventRecorder events = new EventRecorder(client, clock, Duration.ofMinutes(5));
    this.provisioner =
        new Provisioner(
            client,
            state,
            this.cloud,
            events,
            metrics,
            new Batcher(clock, config.batchIdle(), config.batchMax()),
            new Scheduler(Scheduler.Options.defaults().withImproveBudget(Duration.ofMillis(200))),
            clock);
    Terminator terminator = new Terminator(client, state, this.cloud, events, metrics, clock);
    this.operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withStopOnInformerErrorDuringStartup(true)
                    .withLeaderElectionConfiguration(
                        LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                                config.leaseName())
                            .withLeaseNamespace(config.leaseNamespace())
                            .withIdentity(config.identity())
                            .withLeaseDuration(Duration.ofSeconds(15))
                            .withRenewDeadline(Duration.ofSeconds(10))
                            .withRetryPeriod(Duration.ofSeconds(2))
                            .withLeaderCallbacks(
                                new LeaderCallbacks(
                                    this::startLeading,
                                    this::stopLeading,
                                    id -> LOG.info("leader is {}", id)))
                            .withExitOnStopLeading(false)
                            .build()));
    operator.register(
        new NodeClaimLifecycleReconciler(
            client,
            state,
            this.cloud,
            provisioner,
            terminator,
            events,
            metrics,
            clock,
            config.registrationTtl(),
            config.launchTtl()),
        o -> o.withFinalizer(NodeClaims.FINALIZER).withName("nodeclaim.lifecycle"));
    operator.register(
        new NodePoolReconciler(client, state, metrics, clock), o -> o.withName("nodepool"));
    providerControllers.accept(operator);
    this.background =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-refresh");
              t.setDaemon(true);
              return t;
            });
  }

  /** The operator on the simulated cloud, built from the config. */
  public static KarpenterOperator simulated(
      KubernetesClient client, OperatorConfig config, Clock clock) {
    Catalog catalog = Catalog.load(config.region());
    SimulatedCloudProvider cloud =
        new SimulatedCloudProvider(client, catalog, config.simulated(), clock).start();
    return new KarpenterOperator(client, config, cloud, catalog, new KarpenterMetrics(), clock)
        .owning(cloud);
  }

  /**
   * The operator on AWS: the AWS provider and its controllers (EC2NodeClass, instance-type and
   * price refresh, garbage collection and tagging, interruption).
   */
  public static KarpenterOperator aws(
      KubernetesClient client,
      OperatorConfig config,
      dev.karpenter.cloudprovider.aws.AwsSettings settings,
      Clock clock) {
    var clients = dev.karpenter.cloudprovider.aws.AwsClients.create(settings.region());
    var cloud =
        new dev.karpenter.cloudprovider.aws.AwsCloudProvider(client, clients, settings, clock);
    KarpenterMetrics metrics = new KarpenterMetrics();
    var controllers =
        new dev.karpenter.cloudprovider.aws.AwsControllers(
            client, cloud, new EventRecorder(client, clock, Duration.ofMinutes(5)), metrics, clock);
    KarpenterOperator op =
        new KarpenterOperator(client, config, cloud, metrics, clock, controllers::register);
    controllers.start();
    return op.owning(
        () -> {
          controllers.close();
          cloud.close();
        });
  }

  private AutoCloseable owned;

  /** Closes {@code c} (e.g. the cloud this operator was built with) when the operator closes. */
  public KarpenterOperator owning(AutoCloseable c) {
    this.owned = c;
    return this;
  }

  public KarpenterOperator start() throws IOException {
    state.start();
    MetricsController mc = new MetricsController(state, metrics);
    mc.refresh();
    background.scheduleWithFixedDelay(
        () -> {
          try {
            mc.refresh();
          } catch (RuntimeException e) {
            LOG.debug("metrics refresh failed: {}", e.toString());
          }
        },
        2,
        2,
        TimeUnit.SECONDS);
    if (config.metricsPort() >= 0) {
      http = new HttpEndpoints(config.metricsPort(), metrics, state::synced);
      LOG.info("metrics on http://127.0.0.1:{}/metrics", http.port());
    }
    operator.start();
    return this;
  }

  private void startLeading() {
    leader.set(true);
    LOG.info("{} became leader", config.identity());
    provisioner.start();
  }

  private void stopLeading() {
    leader.set(false);
    LOG.info("{} stopped leading", config.identity());
    provisioner.stop();
  }

  public boolean isLeader() {
    return leader.get();
  }

  public Provisioner provisioner() {
    return provisioner;
  }

  public ClusterState state() {
    return state;
  }

  public KarpenterMetrics metrics() {
    return metrics;
  }

  public CloudProvider cloud() {
    return cloud;
  }

  /** Port of the HTTP endpoints, or -1 when disabled. */
  public int metricsPort() {
    return http == null ? -1 : http.port();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    provisioner.stop();
    background.shutdownNow();
    try {
      operator.stop();
    } catch (RuntimeException e) {
      LOG.debug("operator stop: {}", e.toString());
    }
    if (http != null) {
      http.close();
    }
    state.close();
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        LOG.debug("closing cloud: {}", e.toString());
      }
    }
  }
}
