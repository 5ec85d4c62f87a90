package dev.karpenter.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) for
 * end-to-end tests, found or started in this order:
 *
 * <ol>
 *   <li>{@code KARPENTER_TEST_KUBECONFIG}: any cluster, explicitly chosen for tests;
 *   <li>{@code KUBECONFIG}, only when its server is on loopback (never a real cluster by accident);
 *   <li>a cluster that {@code hack/local-cluster.sh up} already runs (reused, left running);
 *   <li>a new one under target/local-cluster, started with {@code hack/local-cluster.sh up} and
 *       stopped with {@code down} when closed.
 * </ol>
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]");
  private static final Duration UP_TIMEOUT = Duration.ofMinutes(3);

  private final Path kubeconfig;
  private final Path startedDir;
  private final KubernetesClient client;

  private LocalCluster(Path kubeconfig, Path startedDir) {
    this.kubeconfig = kubeconfig;
    this.startedDir = startedDir;
    this.client =
        new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(read(kubeconfig))).build();
  }

  /** Finds or starts a cluster as described in the class comment. */
  public static LocalCluster obtain() {
    String explicit = Harness.env("KARPENTER_TEST_KUBECONFIG");
    if (explicit != null) {
      LOG.info("using the cluster of KARPENTER_TEST_KUBECONFIG={}", explicit);
      return new LocalCluster(Path.of(explicit), null);
    }
    String kubeconfigEnv = Harness.env("KUBECONFIG");
    if (kubeconfigEnv != null
        && !kubeconfigEnv.contains(":")
        && Files.isRegularFile(Path.of(kubeconfigEnv))) {
      if (isLoopback(read(Path.of(kubeconfigEnv)))) {
        LOG.info("using the loopback cluster of KUBECONFIG={}", kubeconfigEnv);
        return new LocalCluster(Path.of(kubeconfigEnv), null);
      }
      LOG.info("ignoring KUBECONFIG={}: its server is not on loopback", kubeconfigEnv);
    }
    Harness.Result status = script(List.of("status"), Map.of());
    if (status.exitCode() == 0) {
      Path kc =
          Path.of(status.lastLine().replaceFirst(".*export KUBECONFIG=", "").replace(")", ""));
      LOG.info("reusing the running hack/local-cluster.sh cluster ({})", kc);
      return new LocalCluster(kc, null);
    }
    Path dir = Harness.buildDir("local-cluster");
    Harness.Result up =
        script(
            List.of("up"),
            Map.of("KARPENTER_CLUSTER_DIR", dir.toString(), "KARPENTER_NO_PROVISION", "1"));
    String last = up.lastLine();
    if (up.exitCode() != 0 || !last.startsWith("export KUBECONFIG=")) {
      throw new IllegalStateException(
          "hack/local-cluster.sh up failed (exit "
              + up.exitCode()
              + "); binaries come from `hack/provision.sh k8s tools`:\n"
              + up.stderr().strip());
    }
    LOG.info("started a local cluster in {}", dir);
    return new LocalCluster(Path.of(last.substring("export KUBECONFIG=".length())), dir);
  }

  /** Whether the kubeconfig's current server is on loopback. */
  static boolean isLoopback(String kubeconfigYaml) {
    String host = URI.create(Config.fromKubeconfig(kubeconfigYaml).getMasterUrl()).getHost();
    return host != null && LOOPBACK_HOSTS.contains(host);
  }

  public KubernetesClient client() {
    return client;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  /**
   * Restarts kube-apiserver on the same port and etcd ({@code hack/local-cluster.sh
   * restart-apiserver}), down for at least {@code downtime}; SIGKILL when {@code kill}, else
   * SIGTERM. Only for a cluster that script runs (its state directory holds the kubeconfig).
   *
   * @return how long the API server was unreachable, as the script's caller sees it
   */
  public Duration restartApiServer(Duration downtime, boolean kill) {
    Path state = kubeconfig.toAbsolutePath().getParent();
    if (!Files.isDirectory(state.resolve("pids"))) {
      throw new IllegalStateException(
          "restartApiServer needs a hack/local-cluster.sh cluster; " + kubeconfig + " is not one");
    }
    long start = System.nanoTime();
    Harness.Result r =
        script(
            List.of("restart-apiserver"),
            Map.of(
                "KARPENTER_CLUSTER_DIR",
                state.toString(),
                "KARPENTER_APISERVER_DOWNTIME",
                String.valueOf(downtime.toSeconds()),
                "KARPENTER_APISERVER_KILL",
                kill ? "1" : "0",
                "KARPENTER_NO_PROVISION",
                "1"));
    if (r.exitCode() != 0) {
      throw new IllegalStateException(
          "hack/local-cluster.sh restart-apiserver failed: " + r.stderr());
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  @Override
  public void close() {
    client.close();
    if (startedDir != null) {
      Harness.Result down =
          script(List.of("down"), Map.of("KARPENTER_CLUSTER_DIR", startedDir.toString()));
      if (down.exitCode() != 0) {
        throw new IllegalStateException("hack/local-cluster.sh down failed: " + down.stderr());
      }
    }
  }

  private static Harness.Result script(List<String> args, Map<String, String> env) {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(Harness.projectDir().resolve("hack/local-cluster.sh").toString()));
    command.addAll(args);
    return Harness.run(command, env, UP_TIMEOUT);
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubeconfig " + path, e);
    }
  }
}
