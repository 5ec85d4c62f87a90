package dev.karpenter.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A control plane of its own under target/{name} (never a reused one), started with {@code
 * hack/local-cluster.sh up [--with-kubelet]} and extra API server flags (e.g. an audit policy), and
 * stopped with {@code down} on close: for tests that need the cluster configured their way.
 */
public final class DedicatedCluster implements AutoCloseable {
  private final Path dir;
  private final Path kubeconfig;
  private final KubernetesClient client;

  private DedicatedCluster(Path dir, Path kubeconfig) {
    this.dir = dir;
    this.kubeconfig = kubeconfig;
    try {
      this.client =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static DedicatedCluster start(String name, boolean withKubelet, String apiServerFlags) {
    Path dir = Harness.buildDir(name);
    Map<String, String> env = new HashMap<>(Map.of("KARPENTER_CLUSTER_DIR", dir.toString()));
    env.put("KARPENTER_NO_PROVISION", "1");
    if (apiServerFlags != null) {
      env.put("KARPENTER_APISERVER_EXTRA_FLAGS", apiServerFlags);
    }
    List<String> args = new ArrayList<>(List.of("up"));
    if (withKubelet) {
      args.add("--with-kubelet");
    }
    Harness.Result up = script(args, env, Duration.ofMinutes(5));
    String last = up.lastLine();
    if (up.exitCode() != 0 || !last.startsWith("export KUBECONFIG=")) {
      script(List.of("down"), env, Duration.ofMinutes(2));
      throw new IllegalStateException(
          "hack/local-cluster.sh "
              + String.join(" ", args)
              + " failed (exit "
              + up.exitCode()
              + "); provision with `hack/provision.sh k8s tools"
              + (withKubelet ? " kubelet" : "")
              + "`:\n"
              + up.stderr().strip());
    }
    return new DedicatedCluster(dir, Path.of(last.substring("export KUBECONFIG=".length())));
  }

  public Path dir() {
    return dir;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public KubernetesClient client() {
    return client;
  }

  @Override
  public void close() {
    client.close();
    Harness.Result down =
        script(
            List.of("down"),
            Map.of("KARPENTER_CLUSTER_DIR", dir.toString()),
            Duration.ofMinutes(2));
    if (down.exitCode() != 0) {
      throw new IllegalStateException("hack/local-cluster.sh down failed: " + down.stderr());
    }
  }

  private static Harness.Result script(List<String> args, Map<String, String> env, Duration t) {
    List<String> command =
        new ArrayList<>(List.of(Harness.projectDir().resolve("hack/local-cluster.sh").toString()));
    command.addAll(args);
    return Harness.run(command, env, t);
  }
}
