package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's main job as a user runs it: {@code java -jar target/karpenter.jar demo -o json} from
 * the repository root in a shell without KUBECONFIG. It must start its own control plane and moto,
 * run every sample pod on instances CreateFleet launched from the guide's launch templates, end
 * with the JSON line (what DescribeLaunchTemplateVersions and DescribeInstances report) and stop
 * what it started.
 */
@Tag("local-cluster")
@Tag("moto")
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
    assertEquals("aws", summary.path("cloud").asText(), stdout);
    assertAwsEvidence(summary, stdout);
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("moto: every instance of the cluster terminated")),
        "cleanup terminated every instance on moto:\n" + stdout);
    String moto =
        lines.stream()
            .filter(l -> l.contains("EC2 emulator up (moto at "))
            .map(l -> l.replaceFirst(".*moto at http://127.0.0.1:", "").replaceFirst(",.*", ""))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no moto line:\n" + stdout));
    assertTrue(
        ProcessHandle.allProcesses()
            .noneMatch(
                h -> {
                  String cmd = h.info().commandLine().orElse("");
                  return cmd.contains("moto_server") && cmd.contains(" -p " + moto);
                }),
        "the demo's moto on port " + moto + " was stopped");

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

  /**
   * Every NodeClaim is an EC2 instance with the tags of the issue, one per claim; the guide's
   * gpu-optimized and gpu-training classes became launch templates with their block devices,
   * metadata options, tags and userData (MIME: the user's script, then nodeadm's NodeConfig).
   */
  static void assertAwsEvidence(JsonNode summary, String stdout) {
    Map<String, JsonNode> instances = new HashMap<>();
    for (JsonNode i : summary.path("instances")) {
      instances.put(i.path("id").asText(), i);
    }
    JsonNode claims = summary.path("claims");
    assertEquals(summary.path("nodeClaims").asInt(), claims.size(), stdout);
    assertEquals(claims.size(), instances.size(), "one instance per NodeClaim:\n" + stdout);
    for (JsonNode c : claims) {
      String pid = c.path("providerId").asText();
      assertTrue(pid.startsWith("aws:///us-east-1"), pid);
      JsonNode inst = instances.get(pid.substring(pid.lastIndexOf('/') + 1));
      assertNotNull(inst, "DescribeInstances has " + pid);
      assertEquals("running", inst.path("state").asText(), inst.toString());
      assertEquals(c.path("type").asText(), inst.path("type").asText(), inst.toString());
      assertEquals(c.path("zone").asText(), inst.path("zone").asText(), inst.toString());
      JsonNode tags = inst.path("tags");
      assertEquals(
          "owned", tags.path("kubernetes.io/cluster/my-cluster").asText(), tags.toString());
      assertEquals("my-cluster", tags.path("eks:eks-cluster-name").asText(), tags.toString());
      assertEquals(c.path("name").asText(), tags.path("karpenter.sh/nodeclaim").asText());
      assertEquals(c.path("nodePool").asText(), tags.path("karpenter.sh/nodepool").asText());
      String nodeClass = tags.path("karpenter.k8s.aws/ec2nodeclass").asText();
      assertTrue(!nodeClass.isEmpty(), tags.toString());
      if (nodeClass.equals("gpu-optimized") || nodeClass.equals("gpu-training")) {
        assertEquals("production", tags.path("Environment").asText(), tags.toString());
        assertEquals("karpenter", tags.path("ManagedBy").asText(), tags.toString());
      }
    }
    JsonNode optimized = template(summary, "gpu-optimized", stdout);
    assertEquals(
        "/dev/xvda gp3 200GiB iops=6000 throughput=250 encrypted=true deleteOnTermination=true",
        optimized.path("blockDevices").path(0).asText());
    String metadata = optimized.path("metadataOptions").asText();
    assertTrue(metadata.contains("httpEndpoint=enabled"), metadata);
    assertTrue(metadata.contains("httpTokens=required"), metadata);
    assertTrue(metadata.contains("httpPutResponseHopLimit=2"), metadata);
    assertEquals("gpu", optimized.path("tags").path("NodeType").asText());
    assertEquals("owned", optimized.path("tags").path("kubernetes.io/cluster/my-cluster").asText());
    String userData = optimized.path("userData").asText();
    assertTrue(userData.contains("echo \"GPU node bootstrap\""), userData);
    assertTrue(userData.indexOf("GPU node bootstrap") < userData.indexOf("kind: NodeConfig"));
    assertTrue(userData.contains("name: \"my-cluster\""), userData);
    assertTrue(userData.contains("apiServerEndpoint: \"https://127.0.0.1:"), userData);
    assertTrue(userData.contains("karpenter.sh/nodepool=gpu-inference"), userData);
    JsonNode training = template(summary, "gpu-training", stdout);
    assertEquals(
        "/dev/xvda gp3 500GiB iops=16000 throughput=1000 encrypted=true deleteOnTermination=true",
        training.path("blockDevices").path(0).asText());
    assertEquals("gpu-training", training.path("tags").path("NodeType").asText());
  }

  private static JsonNode template(JsonNode summary, String nodeClass, String stdout) {
    for (JsonNode lt : summary.path("launchTemplates")) {
      if (nodeClass.equals(lt.path("tags").path("karpenter.k8s.aws/ec2nodeclass").asText())) {
        assertTrue(lt.path("name").asText().startsWith("karpenter.k8s.aws/"), lt.toString());
        return lt;
      }
    }
    throw new AssertionError("no launch template of EC2NodeClass " + nodeClass + ":\n" + stdout);
  }
}
