package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's main job as a user runs it: {@code java -jar target/karpenter.jar demo -o json} from
 * the repository root in a shell without KUBECONFIG. It must start its own control plane, run every
 * sample pod, end with the JSON line and stop what it started.
 */
@Tag("local-cluster")
class DemoIT {
  @Test
  void demoWithoutKubeconfigRunsEverySamplePodAndCleansUp() throws Exception {
    Path jar = Path.of(System.getProperty("karpenter.jar", "target/karpenter.jar"));
    assertTrue(Files.isRegularFile(jar), "build the jar first: " + jar);
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb =
        new ProcessBuilder(
                javaBin.toString(),
                "-jar",
                jar.toString(),
                "demo",
                "--duration",
                "150s",
                "--metrics-port",
                "0",
                "-o",
                "json")
            .redirectError(Path.of("target", "demo-it.stderr").toFile());
    pb.environment().remove("KUBECONFIG");
    pb.environment().remove("KARPENTER_CLUSTER_DIR");
    pb.environment().put("KARPENTER_NO_PROVISION", "1");
    Process p = pb.start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(4, TimeUnit.MINUTES), "demo finished");
    assertEquals(0, p.exitValue(), stdout);

    List<String> lines = stdout.strip().lines().toList();
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("starting a local control plane")),
        "the demo brought up its own control plane:\n" + stdout);
    JsonNode summary = new ObjectMapper().readTree(lines.getLast());
    assertEquals(10, summary.path("podsRunning").asInt(), stdout);
    assertEquals(0, summary.path("podsPending").asInt(), stdout);
    assertTrue(summary.path("nodeClaims").asInt() >= 4, stdout);
    assertTrue(summary.path("pricePerHour").asDouble() > 0, stdout);

    String kubeconfig =
        lines.stream()
            .filter(l -> l.contains("control plane up (KUBECONFIG="))
            .map(l -> l.replaceFirst(".*KUBECONFIG=", "").replace(")", "").strip())
            .findFirst()
            .orElseThrow();
    Path state = Path.of(kubeconfig).getParent();
    assertTrue(!Files.exists(state), "its state directory " + state + " was removed");
    assertTrue(
        ProcessHandle.allProcesses()
            .noneMatch(h -> h.info().commandLine().orElse("").contains(state.toString())),
        "no control-plane process of " + state + " is left running");
  }
}
