package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.testing.LocalCluster;
import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.api.model.Node;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
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
 * <p>CI runs the points in {@code karpenter.crash.points} (default {@link #CI_POINTS}); {@code
 * hack/crash.sh} runs all of them.
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class CrashIT {
  static final String NS = "e2e-crash";
  static final String LEASE_NS = "e2e-crash-lease";
  static final String NP = "e2e-crash";
  static final String APP = "crash";
  static final String CI_POINTS = CrashPoints.LAUNCH_AFTER_CREATE + "," + CrashPoints.DRAIN;
  static final List<String> ALL_POINTS =
      List.of(
          CrashPoints.LAUNCH_BEFORE_CREATE,
          CrashPoints.LAUNCH_AFTER_CREATE,
          CrashPoints.REGISTRATION,
          CrashPoints.DRAIN);
  // Two 3-cpu pods, one m5.xlarge (4 cpu) each: the limit fits exactly two instances, so a second
  // instance for one claim, or a replacement launched before its predecessor is gone, overruns it.
  static final int PODS = 2;
  static final int CPU_LIMIT = 8;
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
    try {
      E2E.nodePool(client, NP, List.of("m5.xlarge"), List.of("on-demand"), CPU_LIMIT);
      Process crashing = controller(cluster, dir, instances, "crashing", point);
      client
          .resource(E2E.deployment(NS, APP, PODS, "3", Map.of("karpenter.sh/nodepool", NP)))
          .create();
      if (point.startsWith(CrashPoints.DRAIN)) {
        E2E.await(PODS + " pods Running", Duration.ofSeconds(180), () -> allRunning(client));
        NodeClaim victim = E2E.claims(client, NP).get(0);
        client.resource(victim).delete();
      }
      assertTrue(
          crashing.waitFor(180, TimeUnit.SECONDS), "the controller reached " + point + " and died");
      assertEquals(CrashPoints.EXIT_CODE, crashing.exitValue(), "halted by the crash point");
      assertTrue(
          Files.readString(dir.resolve("crashing.log"))
              .contains("CRASH-POINT " + point.replace("#", " #")),
          "the crash was the injected one, at " + point);
      List<Map<String, Object>> atCrash = read(instances);

      restarted = controller(cluster, dir, instances, "restarted", null);
      // The killed leader's Lease blocks the new process for up to the Lease duration.
      E2E.await(
          "every pod Running after the restart",
          Duration.ofSeconds(180),
          () -> allRunning(client) && E2E.claims(client, NP).stream().allMatch(CrashIT::settled));
      E2E.await(
          "every instance owned by a NodeClaim (after the " + GC_GRACE + " GC grace period)",
          GC_GRACE.plus(Duration.ofSeconds(60)),
          () -> orphans(client, read(instances)).isEmpty());
      List<Map<String, Object>> end = read(instances);
      List<NodeClaim> claims = E2E.claims(client, NP);
      assertEquals(
          claims.size(), end.size(), "one instance per NodeClaim at the end: " + names(end));
      for (Node n : client.nodes().withLabel("karpenter.sh/nodepool", NP).list().getItems()) {
        boolean tainted =
            n.getSpec().getTaints() != null
                && n.getSpec().getTaints().stream()
                    .anyMatch(t -> "karpenter.sh/disrupted".equals(t.getKey()));
        assertTrue(
            !tainted || n.getMetadata().getDeletionTimestamp() != null,
            "node " + n.getMetadata().getName() + " tainted disrupted with no deletion in flight");
      }
      sampler.stop();
      sampling.join(5000);
      assertTrue(sampler.samples > 10, "the cloud was sampled (" + sampler.samples + " samples)");
      assertEquals(List.of(), sampler.doubleLaunches, "never two instances for one NodeClaim");
      assertTrue(
          sampler.maxCpu <= CPU_LIMIT * 1000L,
          "the instances' cpu never exceeded the NodePool's limit: peak "
              + sampler.maxCpu / 1000
              + " > "
              + CPU_LIMIT);
      System.out.printf(
          "CRASH %s: %d instances at the crash, %d at the end, %d NodeClaims, peak cpu %d/%d,"
              + " %d samples, invariants held%n",
          point,
          atCrash.size(),
          end.size(),
          claims.size(),
          sampler.maxCpu / 1000,
          CPU_LIMIT,
          sampler.samples);
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
      LocalCluster cluster, Path dir, Path instances, String name, String crashAt)
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
                GC_GRACE.toSeconds() + "s")
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
