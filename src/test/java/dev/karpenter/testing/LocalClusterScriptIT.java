package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code hack/local-cluster.sh} itself: its output contract and that {@code down} cleans up. */
@Tag("local-cluster")
class LocalClusterScriptIT {
  private static final List<String> COMPONENTS =
      List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");

  @Test
  void upPrintsKubeconfigExportAndDownStopsEveryProcessItStarted() throws IOException {
    Path dir = Harness.buildDir("local-cluster-lifecycle");
    Map<String, String> env =
        Map.of("KARPENTER_CLUSTER_DIR", dir.toString(), "KARPENTER_NO_PROVISION", "1");
    Harness.Result up = script("up", env);
    assertEquals(0, up.exitCode(), up.stderr());
    List<Long> pids = COMPONENTS.stream().map(c -> pid(dir, c)).toList();
    try {
      assertEquals(
          "export KUBECONFIG=" + dir.toAbsolutePath().resolve("kubeconfig"), up.lastLine());
      assertTrue(pids.stream().allMatch(LocalClusterScriptIT::running));
    } finally {
      Harness.Result down = script("down", env);
      assertEquals(0, down.exitCode(), down.stderr());
    }

    for (int i = 0; i < pids.size(); i++) {
      assertFalse(
          running(pids.get(i)),
          COMPONENTS.get(i) + " (pid " + pids.get(i) + ") still runs after down");
    }
  }

  /** Alive and not a zombie waiting for whichever process adopted it to reap it. */
  private static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException gone) {
      return false;
    }
  }

  private static long pid(Path dir, String component) {
    try {
      return Long.parseLong(Files.readString(dir.resolve("pids/" + component + ".pid")).strip());
    } catch (IOException e) {
      throw new AssertionError("no pid file for " + component, e);
    }
  }

  private static Harness.Result script(String verb, Map<String, String> env) {
    return Harness.run(
        List.of(Harness.projectDir().resolve("hack/local-cluster.sh").toString(), verb),
        env,
        Duration.ofMinutes(3));
  }
}
