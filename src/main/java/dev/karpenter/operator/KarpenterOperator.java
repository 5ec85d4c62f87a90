package dev.karpenter.operator;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.CloudProvider;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.module.BackgroundLoop;
import dev.karpenter.cloudprovider.module.ProviderController;
import dev.karpenter.cloudprovider.module.ProviderModule;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.disruption.DisruptionController;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.metrics.controller.MetricsController;
import dev.karpenter.node.termination.DoNotDisruptWarnings;
import dev.karpenter.node.termination.NodeTerminationReconciler;
import dev.karpenter.nodeclaim.disruption.NodeClaimDisruptionReconciler;
import dev.karpenter.nodeclaim.disruption.PodEvents;
import dev.karpenter.nodeclaim.expiration.ExpirationReconciler;
import dev.karpenter.nodeclaim.lifecycle.NodeClaimLifecycleReconciler;
import dev.karpenter.nodepool.NodePoolReconciler;
import dev.karpenter.provisioning.Batcher;
import dev.karpenter.provisioning.Provisioner;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.state.ClusterState;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the operator: cluster state, the chosen provider's {@link ProviderModule} (its cloud, its
 * controllers and loops), the provisioner and disruption singletons (started only while this
 * replica holds the leader Lease), the core JOSDK controllers (NodeClaim lifecycle, Node
 * termination, NodePool status), metrics and the HTTP endpoints.
 */
public final class KarpenterOperator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KarpenterOperator.class);

  /** How long a killed leader's Lease blocks a standby. */
  public static final Duration LEASE_DURATION = Duration.ofSeconds(15);

  private static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
  // A standby polls the Lease this often (plus up to 120 % jitter), which bounds the hand-over
  // after a graceful stop released it; the leader renews at the same rate. About 8 small Lease
  // requests a second from the leader and 2-4 from a standby buy a hand-over within 2 s.
  private static final Duration RETRY_PERIOD = Duration.ofMillis(250);

  private final KubernetesClient client;
  private final OperatorConfig config;
  private final Clock clock;
  private final KarpenterMetrics metrics;
  private final ClusterState state;
  private final CloudProvider cloud;
  private final Provisioner provisioner;
  private final EventRecorder events;
  private Clock disruptionClock;
  private DisruptionController disruption;
  private final PodEvents podEvents;
  private final Operator operator;
  private final ScheduledExecutorService background;
  private final List<BackgroundLoop> loops;
  private final DoNotDisruptWarnings doNotDisruptWarnings;
  private final List<ScheduledFuture<?>> running = new ArrayList<>();
  private final AtomicBoolean leader = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private HttpEndpoints http;

  /** An operator on the given provider; its cloud must already be started. */
  public KarpenterOperator(
      KubernetesClient client,
      OperatorConfig config,
      ProviderModule provider,
      KarpenterMetrics metrics,
      Clock clock) {
    this.client = client;
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    this.cloud = new MeteredCloudProvider(provider.cloudProvider(), metrics);
    this.loops = provider.loops();
    this.state = new ClusterState(client, clock);
    EventRecorder events = new EventRecorder(client, clock, Duration.ofMinutes(5));
    this.events = events;
    this.disruptionClock = clock;
    this.doNotDisruptWarnings = new DoNotDisruptWarnings(state::pods, events);
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
                            .withLeaseDuration(LEASE_DURATION)
                            .withRenewDeadline(RENEW_DEADLINE)
                            .withRetryPeriod(RETRY_PERIOD)
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
            events,
            metrics,
            clock,
            config.registrationTtl(),
            config.launchTtl()),
        o -> o.withFinalizer(NodeClaims.FINALIZER).withName(NodeClaimLifecycleReconciler.NAME));
    operator.register(
        new NodeTerminationReconciler(client, state, events, metrics, clock),
        o ->
            o.withFinalizer(NodeClaims.FINALIZER)
                .withName(NodeTerminationReconciler.NAME)
                // Only the Nodes of NodePools get the finalizer.
                .withLabelSelector(Labels.NODEPOOL));
    operator.register(
        new NodePoolReconciler(client, state, metrics, clock, cloud::instanceTypes, events),
        o -> o.withName("nodepool"));
    // Status changes (initialization, lastPodEventTime) matter to the disruption conditions.
    operator.register(
        new NodeClaimDisruptionReconciler(state, this.cloud, clock),
        o -> o.withName(NodeClaimDisruptionReconciler.NAME).withGenerationAware(false));
    operator.register(
        new ExpirationReconciler(client, events, metrics, clock),
        o -> o.withName(ExpirationReconciler.NAME));
    this.podEvents = new PodEvents(client, state, clock);
    state.onPodChange(podEvents::observe);
    provider.controllers().forEach(this::register);
    this.background =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "operator-background");
              t.setDaemon(true);
              return t;
            });
  }

  private <R extends HasMetadata> void register(ProviderController<R> c) {
    operator.register(
        c.reconciler(),
        o -> {
          o.withName(c.name());
          c.configuration().accept(o);
        });
  }

  /** The operator on the simulated cloud, built from the config. */
  public static KarpenterOperator simulated(
      KubernetesClient client, OperatorConfig config, Clock clock) {
    return simulated(client, config, clock, c -> c);
  }

  /**
   * The operator on the simulated cloud, which {@code setup} may adjust before it starts (e.g.
   * {@link SimulatedCloudProvider#persistingTo}).
   */
  public static KarpenterOperator simulated(
      KubernetesClient client,
      OperatorConfig config,
      Clock clock,
      java.util.function.UnaryOperator<SimulatedCloudProvider> setup) {
    Catalog catalog = Catalog.load(config.region());
    SimulatedCloudProvider cloud =
        setup.apply(new SimulatedCloudProvider(client, catalog, config.simulated(), clock)).start();
    return new KarpenterOperator(client, config, cloud.module(), new KarpenterMetrics(), clock)
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
    return aws(
        client,
        config,
        dev.karpenter.cloudprovider.aws.AwsClients.create(settings.region()),
        settings,
        clock);
  }

  /** The operator on AWS through the given clients (an emulator's, in the demo). */
  public static KarpenterOperator aws(
      KubernetesClient client,
      OperatorConfig config,
      dev.karpenter.cloudprovider.aws.AwsClients clients,
      dev.karpenter.cloudprovider.aws.AwsSettings settings,
      Clock clock) {
    var cloud =
        new dev.karpenter.cloudprovider.aws.AwsCloudProvider(client, clients, settings, clock);
    KarpenterMetrics metrics = new KarpenterMetrics();
    var controllers =
        new dev.karpenter.cloudprovider.aws.AwsControllers(
            client, cloud, new EventRecorder(client, clock, Duration.ofMinutes(5)), metrics, clock);
    KarpenterOperator op =
        new KarpenterOperator(client, config, controllers.module(), metrics, clock);
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

  /**
   * The clock the disruption loop decides by (budgets, consolidateAfter), when it differs from the
   * operator's (tests move it); call before {@link #start}.
   */
  public KarpenterOperator withDisruptionClock(Clock c) {
    this.disruptionClock = c;
    return this;
  }

  public KarpenterOperator start() throws IOException {
    disruption =
        new DisruptionController(
            client,
            state,
            cloud,
            events,
            metrics,
            new Scheduler(),
            disruptionClock,
            config.disruption());
    provisioner.onNominated((pod, target) -> disruption.nominated(target));
    state.start();
    MetricsController mc = new MetricsController(state, metrics, cloud::instanceTypes);
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
    if (disruption != null) {
      disruption.start();
    }
    podEvents.start();
    synchronized (running) {
      running.add(
          background.scheduleWithFixedDelay(
              () -> {
                try {
                  doNotDisruptWarnings.sweep();
                } catch (RuntimeException e) {
                  LOG.warn("do-not-disrupt annotation check failed: {}", e.toString());
                }
              },
              1,
              5,
              TimeUnit.SECONDS));
      for (BackgroundLoop loop : loops) {
        long every = loop.every().toMillis();
        running.add(
            background.scheduleWithFixedDelay(
                () -> {
                  try {
                    loop.task().run();
                  } catch (RuntimeException e) {
                    LOG.warn("{} failed: {}", loop.name(), e.toString());
                  }
                },
                every,
                every,
                TimeUnit.MILLISECONDS));
      }
    }
  }

  private void stopLeading() {
    leader.set(false);
    LOG.info("{} stopped leading", config.identity());
    provisioner.stop();
    if (disruption != null) {
      disruption.stop();
    }
    podEvents.stop();
    synchronized (running) {
      running.forEach(f -> f.cancel(false));
      running.clear();
    }
    if (closed.get()) {
      releaseLease();
      return;
    }
    // Lost, not given up (the Lease could not be renewed within the renew deadline, e.g. the API
    // server was down): JOSDK keeps its controllers running and never re-elects, so this replica
    // would act beside the next leader. It stops instead, as controller-runtime's manager exits.
    LOG.error(
        "{} lost the leader Lease (not renewed within {}); stopping",
        config.identity(),
        RENEW_DEADLINE);
    Thread t =
        new Thread(
            () -> {
              close();
              lostLeadership.run();
            },
            "lost-leadership");
    t.setDaemon(true);
    t.start();
  }

  private volatile Runnable lostLeadership = () -> {};

  /**
   * Runs after this operator stopped because it lost the leader Lease without giving it up; {@code
   * karpenter controller} exits there, so the process is restarted and competes again.
   */
  public KarpenterOperator onLostLeadership(Runnable r) {
    this.lostLeadership = r;
    return this;
  }

  /** Whether the operator was closed (by its owner, or after it lost the leader Lease). */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Gives the Lease up on a graceful stop, so a standby takes over at its next poll instead of
   * after {@link #LEASE_DURATION}. JOSDK's elector never releases (it builds fabric8's with
   * releaseOnCancel off), so this does what fabric8's release-on-cancel does, at the same point:
   * fabric8 calls this callback inside its elector lock with the elector already stopped, and JOSDK
   * stops the elector only after the controllers and their executors, so no renewal can follow and
   * nothing of ours acts after the release.
   */
  private void releaseLease() {
    LeaderElectionConfig lease =
        new LeaderElectionConfig(
            new LeaseLock(config.leaseNamespace(), config.leaseName(), config.identity()),
            LEASE_DURATION,
            RENEW_DEADLINE,
            RETRY_PERIOD,
            new LeaderCallbacks(() -> {}, () -> {}, id -> {}),
            true,
            config.leaseName());
    // JOSDK's shutdown interrupts its executors, and the callback may run on one of them: the
    // release must still reach the API server. The flag is restored after.
    boolean interrupted = Thread.interrupted();
    try {
      releaseLease(lease);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void releaseLease(LeaderElectionConfig lease) {
    // A few quick attempts: one failed request (a 409 when the leader's interrupted last renewal
    // lands between the read and the write) must not cost the standby a Lease duration.
    for (int attempt = 1; ; attempt++) {
      try {
        if (client.leaderElector().withConfig(lease).build().release()) {
          LOG.info("{} released the leader Lease", config.identity());
        } else {
          LOG.warn("{} did not release the leader Lease: it no longer holds it", config.identity());
        }
        return;
      } catch (RuntimeException e) {
        if (attempt == 3) {
          LOG.warn(
              "{} could not release the leader Lease ({}); a standby takes over when it expires",
              config.identity(),
              e.toString());
          return;
        }
        LOG.info(
            "{} release of the leader Lease failed ({}); retrying",
            config.identity(),
            e.toString());
        try {
          Thread.sleep(RETRY_PERIOD.toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  public boolean isLeader() {
    return leader.get();
  }

  public Provisioner provisioner() {
    return provisioner;
  }

  /** The disruption loop (null before {@link #start}). */
  public DisruptionController disruption() {
    return disruption;
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
    if (disruption != null) {
      disruption.stop();
    }
    podEvents.close();
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
    events.close();
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        LOG.debug("closing cloud: {}", e.toString());
      }
    }
  }
}
