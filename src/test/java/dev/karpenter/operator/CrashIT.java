package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.testing.CpuBurner;
import dev.karpenter.testing.LocalCluster;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash injection (issue #14 item 1): a {@code karpenter controller} process (the packaged jar) on
 * the simulated cloud, whose instances live in a file this test owns so they outlive the process,
 * is halted ({@code Runtime.halt(137)}, as SIGKILL) at a {@link CrashPoints} point, restarted
 * without the crash, and the invariants are checked: every pod Running; no instance without a
 * NodeClaim once the garbage-collection grace period has passed; never two instances for one claim;
 * the NodePool's cpu limit never exceeded by the instances; no Node left tainted {@code
 * karpenter.sh/disrupted} without its deletion in flight. The cloud's file is sampled every 100 ms
 * for the whole run, so a second instance or an overrun that lasted only until garbage collection
 * is still seen.
 *
 * <p>For {@code disruption-after-replacement} the NodePool has room for one replacement (cpu 12):
 * with both pods Running a template label is changed, both claims drift, the loop taints one,
 * launches its replacement and dies once it is Initialized; the restarted process must finish the
 * drift (no Drifted claim, neither candidate nor its instance left, one node per pod) without a
 * second replacement for the candidate, which the limit would show as 16 > 12.
 *
 * <p>CI runs the points in {@code karpenter.crash.points} (default {@link #CI_POINTS}); {@code
 * hack/crash.sh} runs all of them.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class CrashIT {
  // -Dkarpenter.test.cpuBurner=true runs this class with both cores busy (the loaded-machine
  // audit).
  @RegisterExtension static final CpuBurner.Extension BURNER = new CpuBurner.Extension(false);

  static final String NS = "e2e-crash";
  static final String LEASE_NS = "e2e-crash-lease";
  static final String NP = "e2e-crash";
  static final String APP = "crash";
  static final String CI_POINTS =
      String.join(
          ",",
          CrashPoints.LAUNCH_AFTER_CREATE,
          CrashPoints.DRAIN,
          CrashPoints.DISRUPTION_AFTER_REPLACEMENT);
  static final List<String> ALL_POINTS =
      List.of(
          CrashPoints.LAUNCH_BEFORE_CREATE,
          CrashPoints.LAUNCH_AFTER_CREATE,
          CrashPoints.REGISTRATION,
          CrashPoints.DRAIN,
          CrashPoints.DISRUPTION_AFTER_REPLACEMENT);
  // Two 3-cpu pods, one m5.xlarge (4 cpu) each: the limit fits exactly two instances, so a second
  // instance for one claim, or a replacement launched before its predecessor is gone, overruns it.
  static final int PODS = 2;
  static final int CPU_LIMIT = 8;
  // Drifting the two nodes one by one needs room for exactly one replacement at a time.
  static final int DISRUPTION_CPU_LIMIT = CPU_LIMIT + 4;
  static final Duration GC_GRACE = Duration.ofSeconds(10);

  static Stream<String> points() {
    String spec = System.getProperty("karpenter.crash.points", CI_POINTS);
    if (spec.equals("all")) {
      return ALL_POINTS.stream();
    }
    return Arrays.stream(spec.split(",")).map(String::trim).filter(s -> !s.isEmpty());
  }

  private final List<Process> processes = new ArrayList<>();

  @ParameterizedTest(name = "crash at {0}")
  @MethodSource("points")
  void nothingIsLostWhenTheControllerIsKilledAt(
      String point, LocalCluster cluster, KubernetesClient client) throws Exception {
    E2E.installCrds(client);
    E2E.namespace(client, NS);
    E2E.namespace(client, LEASE_NS);
    Path dir = Files.createDirectories(Path.of("target", "crash", point.replace('#', '-')));
    Path instances = dir.resolve("instances.json");
    Files.deleteIfExists(instances);
    Sampler sampler = new Sampler(instances);
    Thread sampling = new Thread(sampler, "crash-sampler");
    sampling.setDaemon(true);
    sampling.start();
    Process restarted = null;
    boolean disruption = point.startsWith(CrashPoints.DISRUPTION_AFTER_REPLACEMENT);
    int limit = disruption ? DISRUPTION_CPU_LIMIT : CPU_LIMIT;
    // The drift scenario's loop plans every second (upstream: 10 s); the other points keep 10 s.
    String poll = disruption ? "1s" : "10s";
    Set<String> candidates = Set.of();
    try {
      if (disruption) {
        driftablePool(client, "v1");
      } else {
        E2E.nodePool(client, NP, List.of("m5.xlarge"), List.of("on-demand"), CPU_LIMIT);
      }
      Process crashing = controller(cluster, dir, instances, "crashing", point, poll);
      client
          .resource(E2E.deployment(NS, APP, PODS, "3", Map.of("karpenter.sh/nodepool", NP)))
          .create();
      if (point.startsWith(CrashPoints.DRAIN)) {
        E2E.await(PODS + " pods Running", Duration.ofSeconds(180), () -> allRunning(client));
        NodeClaim victim = E2E.claims(client, NP).get(0);
        client.resource(victim).delete();
      }
      if (disruption) {
        E2E.await(PODS + " pods Running", Duration.ofSeconds(180), () -> allRunning(client));
        candidates =
            E2E.claims(client, NP).stream()
                .map(c -> c.getMetadata().getName())
                .collect(Collectors.toSet());
        assertEquals(PODS, candidates.size(), "one NodeClaim per pod before the drift");
        // A new template label changes the NodePool's hash: both claims are Drifted, and the loop
        // replaces them one at a time (the default 10% budget rounds up to one node).
        driftablePool(client, "v2");
      }
      assertTrue(
          crashing.waitFor(180, TimeUnit.SECONDS), "the controller reached " + point + " and died");
      assertEquals(CrashPoints.EXIT_CODE, crashing.exitValue(), "halted by the crash point");
      assertTrue(
          Files.readString(dir.resolve("crashing.log"))
              .contains("CRASH-POINT " + point.replace("#", " #")),
          "the crash was the injected one, at " + point);
      List<Map<String, Object>> atCrash = read(instances);
      if (disruption) {
        // The crash came between the replacement's launch and the candidate's deletion.
        List<NodeClaim> crashed = E2E.claims(client, NP);
        Set<String> drifting = candidates;
        List<NodeClaim> replacements =
            crashed.stream().filter(c -> !drifting.contains(c.getMetadata().getName())).toList();
        assertEquals(1, replacements.size(), "one replacement at the crash: " + crashed);
        assertTrue(
            dev.karpenter.state.NodeClaims.isTrue(
                replacements.get(0), dev.karpenter.state.NodeClaims.INITIALIZED),
            "the replacement was Initialized at the crash");
        assertEquals(
            1,
            disruptedNotDeleting(client).size(),
            "one candidate tainted, not deleted, at the crash");
        assertTrue(
            crashed.stream().allMatch(c -> c.getMetadata().getDeletionTimestamp() == null),
            "no candidate deleted at the crash");
        assertEquals(PODS + 1, atCrash.size(), "the candidates' and the replacement's instances");
      }

      restarted = controller(cluster, dir, instances, "restarted", null, poll);
      // The killed leader's Lease blocks the new process for up to the Lease duration.
      E2E.await(
          "every pod Running after the restart",
          Duration.ofSeconds(180),
          () -> allRunning(client) && E2E.claims(client, NP).stream().allMatch(CrashIT::settled));
      if (disruption) {
        Set<String> drifted = candidates;
        E2E.await(
            "both drifted NodeClaims " + drifted + " replaced, their instances gone, pods Running",
            Duration.ofSeconds(300),
            () -> {
              List<NodeClaim> now = E2E.claims(client, NP);
              return allRunning(client)
                  && now.stream().allMatch(CrashIT::settled)
                  && now.stream().noneMatch(c -> drifted.contains(c.getMetadata().getName()))
                  && now.stream()
                      .noneMatch(
                          c ->
                              dev.karpenter.state.NodeClaims.isTrue(
                                  c, dev.karpenter.nodeclaim.disruption.ClaimConditions.DRIFTED))
                  && read(instances).stream()
                      .noneMatch(i -> drifted.contains((String) i.get("nodeClaim")));
            });
      }
      E2E.await(
          "every instance owned by a NodeClaim (after the " + GC_GRACE + " GC grace period)",
          GC_GRACE.plus(Duration.ofSeconds(60)),
          () -> orphans(client, read(instances)).isEmpty());
      List<Map<String, Object>> end = read(instances);
      List<NodeClaim> claims = E2E.claims(client, NP);
      assertEquals(
          claims.size(), end.size(), "one instance per NodeClaim at the end: " + names(end));
      assertEquals(
          List.of(), disruptedNotDeleting(client), "nodes tainted disrupted with no deletion");
      if (disruption) {
        assertEquals(PODS, claims.size(), "one node per pod after the drift: " + names(end));
      }
      sampler.stop();
      sampling.join(5000);
      assertTrue(sampler.samples > 10, "the cloud was sampled (" + sampler.samples + " samples)");
      assertEquals(List.of(), sampler.doubleLaunches, "never two instances for one NodeClaim");
      assertTrue(
          sampler.maxCpu <= limit * 1000L,
          "the instances' cpu never exceeded the NodePool's limit: peak "
              + sampler.maxCpu / 1000
              + " > "
              + limit);
      System.out.printf(
          "CRASH %s: %d instances at the crash, %d at the end, %d NodeClaims, peak cpu %d/%d,"
              + " %d samples, %d NodeClaims created by the restarted process, invariants held%n",
          point,
          atCrash.size(),
          end.size(),
          claims.size(),
          sampler.maxCpu / 1000,
          limit,
          sampler.samples,
          created(dir.resolve("restarted.log")));
    } finally {
      sampler.stop();
      try {
        if (restarted != null && restarted.isAlive()) {
          cleanUp(client);
        }
      } finally {
        for (Process p : processes) {
          // SIGTERM: the Lease is released and the next scenario's controller leads at once.
          p.destroy();
          if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        }
        processes.clear();
      }
    }
  }

  /**
   * The crash NodePool for the disruption point: the {@link #DISRUPTION_CPU_LIMIT}, drift only
   * (emptiness waits an hour, so the crashed run's replacement is not consolidated away), and a
   * template label whose {@code generation} value changes the NodePool's hash.
   */
  private static void driftablePool(KubernetesClient client, String generation) {
    E2E.applyYaml(
        client,
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            metadata:
              labels:
                e2e-crash/generation: '%s'
            spec:
              requirements:
                - key: node.kubernetes.io/instance-type
                  operator: In
                  values: ['m5.xlarge']
                - key: karpenter.sh/capacity-type
                  operator: In
                  values: ['on-demand']
              nodeClassRef:
                group: karpenter.k8s.aws
                kind: EC2NodeClass
                name: default
          disruption:
            consolidationPolicy: WhenEmpty
            consolidateAfter: 1h
          limits:
            cpu: '%d'
        """
            .formatted(NP, generation, DISRUPTION_CPU_LIMIT));
  }

  /** Nodes of the pool tainted {@code karpenter.sh/disrupted} with no deletion in flight. */
  private static List<String> disruptedNotDeleting(KubernetesClient client) {
    return client.nodes().withLabel("karpenter.sh/nodepool", NP).list().getItems().stream()
        .filter(
            n ->
                n.getSpec().getTaints() != null
                    && n.getSpec().getTaints().stream()
                        .anyMatch(t -> "karpenter.sh/disrupted".equals(t.getKey())))
        .filter(n -> n.getMetadata().getDeletionTimestamp() == null)
        .map(n -> n.getMetadata().getName())
        .toList();
  }

  /** NodeClaims a controller's log says it created (provisioning or a disruption replacement). */
  private static long created(Path log) {
    try {
      return Files.readAllLines(log).stream()
          .filter(
              l -> l.contains("created replacement NodeClaim") || l.contains("created NodeClaim"))
          .count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Removes the workload and, through the running controller, its NodeClaims and instances. */
  private static void cleanUp(KubernetesClient client) {
    client.apps().deployments().inNamespace(NS).withName(APP).delete();
    client.resources(dev.karpenter.api.v1.NodePool.class).withName(NP).delete();
    client.resources(NodeClaim.class).withLabel("karpenter.sh/nodepool", NP).delete();
    E2E.await(
        "the NodeClaims of " + NP + " to terminate",
        Duration.ofSeconds(120),
        () -> E2E.claims(client, NP).isEmpty() && E2E.pods(client, NS, APP).isEmpty());
  }

  private static boolean allRunning(KubernetesClient client) {
    List<Pod> pods = E2E.pods(client, NS, APP);
    return pods.size() == PODS
        && pods.stream()
            .allMatch(p -> E2E.running(p) && p.getMetadata().getDeletionTimestamp() == null);
  }

  private static boolean settled(NodeClaim c) {
    return c.getMetadata().getDeletionTimestamp() == null
        && dev.karpenter.state.NodeClaims.isTrue(c, dev.karpenter.state.NodeClaims.REGISTERED);
  }

  /** Instances no NodeClaim records (by name and providerID). */
  private static List<String> orphans(KubernetesClient client, List<Map<String, Object>> insts) {
    Map<String, String> recorded = new HashMap<>();
    for (NodeClaim c : client.resources(NodeClaim.class).list().getItems()) {
      recorded.put(
          c.getMetadata().getName(), c.getStatus() == null ? null : c.getStatus().getProviderID());
    }
    List<String> out = new ArrayList<>();
    for (Map<String, Object> i : insts) {
      String claim = (String) i.get("nodeClaim");
      if (!recorded.containsKey(claim) || !i.get("providerId").equals(recorded.get(claim))) {
        out.add(i.get("id") + " (claim " + claim + ")");
      }
    }
    return out;
  }

  private static List<String> names(List<Map<String, Object>> insts) {
    return insts.stream().map(i -> i.get("id") + "->" + i.get("nodeClaim")).toList();
  }

  static List<Map<String, Object>> read(Path file) {
    try {
      if (!Files.exists(file)) {
        return List.of();
      }
      return Serialization.jsonMapper()
          .readValue(Files.readString(file), new TypeReference<List<Map<String, Object>>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Samples the cloud's instances: per-claim counts and the pool's cpu. */
  static final class Sampler implements Runnable {
    private final Path file;
    private final AtomicBoolean stopped = new AtomicBoolean();
    final List<String> doubleLaunches = new CopyOnWriteArrayList<>();
    volatile long maxCpu;
    volatile int samples;

    Sampler(Path file) {
      this.file = file;
    }

    void stop() {
      stopped.set(true);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void run() {
      while (!stopped.get()) {
        try {
          List<Map<String, Object>> insts = read(file);
          Map<String, List<String>> byClaim = new HashMap<>();
          long cpu = 0;
          for (Map<String, Object> i : insts) {
            byClaim
                .computeIfAbsent((String) i.get("nodeClaim"), k -> new ArrayList<>())
                .add((String) i.get("id"));
            Map<String, String> labels = (Map<String, String>) i.get("labels");
            if (labels != null && NP.equals(labels.get("karpenter.sh/nodepool"))) {
              Map<String, Number> capacity = (Map<String, Number>) i.get("capacity");
              cpu += capacity.getOrDefault("cpu", 0).longValue();
            }
          }
          byClaim.forEach(
              (claim, ids) -> {
                String d = claim + "=" + ids;
                if (ids.size() > 1 && !doubleLaunches.contains(d)) {
                  doubleLaunches.add(d);
                }
              });
          maxCpu = Math.max(maxCpu, cpu);
          samples++;
        } catch (RuntimeException e) {
          // A read racing the rename sees the old or the new file; anything else is retried.
        }
        E2E.sleep(100);
      }
    }
  }

  /** A {@code karpenter controller} process from the built jar on the file-backed cloud. */
  private Process controller(
      LocalCluster cluster,
      Path dir,
      Path instances,
      String name,
      String crashAt,
      String disruptionPoll)
      throws IOException {
    Path jar = Path.of("target/karpenter.jar");
    assertTrue(Files.isRegularFile(jar), "run via `mvnw verify`: needs the packaged jar");
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "controller",
                "--kubeconfig",
                cluster.kubeconfig().toString(),
                "--metrics-port=-1",
                "--health-probe-port=-1",
                "--leader-election-namespace",
                LEASE_NS,
                "--batch-idle-duration",
                "500ms",
                "--boot-delay",
                "500ms",
                "--device-plugin-delay",
                "300ms",
                "--simulated-instances-file",
                instances.toString(),
                "--simulated-gc-grace",
                GC_GRACE.toSeconds() + "s",
                "--disruption-poll-interval",
                disruptionPoll)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("HOSTNAME", "crash-" + name);
    pb.environment().remove("KARPENTER_CRASH_AT");
    if (crashAt != null) {
      pb.environment().put("KARPENTER_CRASH_AT", crashAt);
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }
}
