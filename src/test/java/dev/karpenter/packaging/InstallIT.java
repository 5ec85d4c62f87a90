package dev.karpenter.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.testing.DedicatedCluster;
import dev.karpenter.testing.Harness;
import dev.karpenter.testing.Tools;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Install like users do, on the local control plane with a real kubelet (containerd + runc): the
 * image from hack/image.sh loaded into the node's containerd, {@code helm install} with Helm 4
 * (then Helm 3), 2/2 READY, one replica holds the Lease, the readiness endpoint answers, /metrics
 * answers through the Service, the in-cluster controller (in-cluster config, the chart's
 * ServiceAccount only) provisions a simulated GPU node for a pending pod, {@code helm upgrade} with
 * a changed value rolls the Deployment and {@code helm uninstall} leaves only the CRDs.
 *
 * <p>Tagged {@code kubelet}: leave it out with {@code -Dtest.excludedGroups=kubelet} where no
 * kubelet can run; otherwise a missing part (hack/provision.sh kubelet) fails it.
 */
@Tag("kubelet")
@Tag("tools")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallIT {
  static final String NS = "kube-system";
  static final String IMAGE = "docker.io/karpenter-java/controller:0.1.0";
  static DedicatedCluster cluster;
  static KubernetesClient client;

  @BeforeAll
  static void up() {
    cluster = DedicatedCluster.start("install-cluster", true, null);
    client = cluster.client();
    Harness.Result image =
        Harness.run(
            List.of(
                Harness.projectDir().resolve("hack/image.sh").toString(),
                "--load",
                "--address",
                cluster.dir().resolve("containerd/containerd.sock").toString()),
            Map.of(),
            Duration.ofMinutes(15));
    assertEquals(0, image.exitCode(), "hack/image.sh --load failed:\n" + image.stderr());
    assertEquals(IMAGE, image.lastLine());
  }

  @AfterAll
  static void down() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Harness.Result helm(Path helm, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--kubeconfig", cluster.kubeconfig().toString()));
    return Tools.run(helm, all.toArray(String[]::new));
  }

  static void ok(Harness.Result r, String what) {
    assertEquals(0, r.exitCode(), what + ":\n" + r.stdout() + r.stderr());
  }

  /**
   * One node here: the chart's one-replica-per-host anti-affinity would leave a replica pending.
   */
  static final String[] LOCAL =
      new String[] {
        "--set", "settings.clusterName=install-it", "--set-json", "affinity.podAntiAffinity=null"
      };

  static String[] install(String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "install",
                "karpenter",
                Chart.DIR.toString(),
                "-n",
                NS,
                "--wait",
                "--timeout",
                "6m"));
    a.addAll(List.of(LOCAL));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  static Deployment deployment() {
    return client.apps().deployments().inNamespace(NS).withName("karpenter").get();
  }

  static List<Pod> pods() {
    return client
        .pods()
        .inNamespace(NS)
        .withLabel("app.kubernetes.io/name", "karpenter")
        .list()
        .getItems();
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  static void assertTwoOfTwoReady() {
    // helm --wait returns once replicas minus maxUnavailable (the chart's 1, as upstream's) are
    // ready (Helm 3 does, Helm 4 may too): the second replica may still be starting.
    await(
        "deployment karpenter 2/2 READY",
        Duration.ofMinutes(4),
        () -> {
          Deployment w = deployment();
          return w != null
              && w.getStatus() != null
              && Integer.valueOf(2).equals(w.getStatus().getReadyReplicas());
        });
    Deployment d = deployment();
    assertNotNull(d, "deployment karpenter");
    assertEquals(2, d.getStatus().getReadyReplicas(), "kubectl get deployment karpenter: READY");
    assertEquals(2, d.getSpec().getReplicas());
    Harness.Result get =
        Harness.run(
            List.of(
                Tools.kubectl().toString(),
                "--kubeconfig",
                cluster.kubeconfig().toString(),
                "get",
                "deployment",
                "karpenter",
                "-n",
                NS,
                "--no-headers"),
            Map.of(),
            Duration.ofMinutes(1));
    assertTrue(get.stdout().matches("(?s)karpenter\\s+2/2\\s+2\\s+2.*"), get.stdout());
  }

  @Test
  @Order(1)
  void helm4InstallRunsTwoReadyReplicasWithOneLeader() throws Exception {
    ok(helm(Tools.helm4(), install()), "helm4 install");
    assertTwoOfTwoReady();
    List<Pod> pods = pods();
    Set<String> names =
        pods.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    for (Pod p : pods) {
      assertEquals("karpenter", p.getSpec().getServiceAccountName());
      assertEquals("karpenter-local-kubelet", p.getSpec().getNodeName(), "runs on the real node");
      // The readiness endpoint itself, through the API server's pod proxy.
      String ready =
          client.raw(
              "/api/v1/namespaces/"
                  + NS
                  + "/pods/"
                  + p.getMetadata().getName()
                  + ":8081/proxy/readyz");
      assertEquals("ok", ready);
    }
    await(
        "one replica to hold the Lease",
        Duration.ofMinutes(1),
        () -> {
          var lease = client.leases().inNamespace(NS).withName("karpenter-leader-election").get();
          return lease != null
              && lease.getSpec().getHolderIdentity() != null
              && names.stream()
                  .anyMatch(n -> lease.getSpec().getHolderIdentity().startsWith(n + "-"));
        });
    String metrics =
        client.raw("/api/v1/namespaces/" + NS + "/services/karpenter:http-metrics/proxy/metrics");
    assertNotNull(metrics, "/metrics through the Service");
    assertTrue(
        metrics.contains("karpenter_build_info"), metrics.lines().limit(5).toList().toString());
    assertControllerProcessesAreNonRootOnAReadOnlyRoot();
  }

  /** The containers' java processes, seen from the host: UID 65532, root filesystem read-only. */
  static void assertControllerProcessesAreNonRootOnAReadOnlyRoot() throws Exception {
    String sock = cluster.dir().resolve("containerd/containerd.sock").toString();
    Harness.Result cs =
        Harness.run(
            List.of("ctr", "-a", sock, "-n", "k8s.io", "containers", "ls"),
            Map.of(),
            Duration.ofMinutes(1));
    List<String> ids =
        cs.stdout().lines().filter(l -> l.contains(IMAGE)).map(l -> l.split("\\s+")[0]).toList();
    assertEquals(2, ids.size(), cs.stdout());
    Harness.Result ts =
        Harness.run(
            List.of("ctr", "-a", sock, "-n", "k8s.io", "tasks", "ls"),
            Map.of(),
            Duration.ofMinutes(1));
    for (String id : ids) {
      String pid =
          ts.stdout()
              .lines()
              .filter(l -> l.startsWith(id))
              .map(l -> l.split("\\s+")[1])
              .findFirst()
              .orElseThrow();
      String status = Files.readString(Path.of("/proc", pid, "status"));
      assertTrue(status.contains("\nUid:\t65532\t65532\t65532\t65532"), status);
      String root =
          Files.readAllLines(Path.of("/proc", pid, "mountinfo")).stream()
              .filter(l -> l.split(" ")[4].equals("/"))
              .findFirst()
              .orElseThrow();
      assertTrue(root.split(" ")[5].startsWith("ro"), "root mount of the controller: " + root);
    }
  }

  @Test
  @Order(2)
  void theInClusterControllerProvisionsForAPendingGpuPod() throws Exception {
    for (String f :
        List.of(
            "docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml",
            "docs/examples/gpu-guide/02-gpu-nodepools.yaml",
            "src/test/resources/install/gpu-pod.yaml")) {
      String yaml = Files.readString(Harness.projectDir().resolve(f));
      for (HasMetadata o :
          client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
        client.resource(o).forceConflicts().serverSideApply();
      }
    }
    await(
        "the GPU pod to be bound to a node the controller provisioned",
        Duration.ofMinutes(3),
        () -> {
          Pod p = client.pods().inNamespace("default").withName("gpu-smoke").get();
          return p != null && p.getSpec().getNodeName() != null;
        });
    String node =
        client.pods().inNamespace("default").withName("gpu-smoke").get().getSpec().getNodeName();
    NodeClaim claim =
        client.resources(NodeClaim.class).list().getItems().stream()
            .filter(c -> c.getStatus() != null && node.equals(c.getStatus().getNodeName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no NodeClaim for node " + node));
    String gpus = claim.getStatus().getCapacity().get("nvidia.com/gpu").toString();
    assertTrue(Integer.parseInt(gpus) >= 1, "the new node has GPUs: " + gpus);
    assertNotEquals("karpenter-local-kubelet", node);
  }

  @Test
  @Order(3)
  void helmUpgradeWithAChangedValueRollsTheDeployment() {
    Set<String> before =
        pods().stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    long generation = deployment().getMetadata().getGeneration();
    ok(
        helm(
            Tools.helm4(),
            "upgrade",
            "karpenter",
            Chart.DIR.toString(),
            "-n",
            NS,
            "--reuse-values",
            "--set",
            "logLevel=debug",
            "--wait",
            "--timeout",
            "6m"),
        "helm4 upgrade");
    Deployment d = deployment();
    assertTrue(d.getMetadata().getGeneration() > generation, "the Deployment changed");
    String opts =
        d.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv().stream()
            .filter(e -> e.getName().equals("JDK_JAVA_OPTIONS"))
            .findFirst()
            .orElseThrow()
            .getValue();
    assertTrue(opts.contains("defaultLogLevel=debug"), opts);
    await(
        "the rollout to replace both pods",
        Duration.ofMinutes(5),
        () -> {
          List<Pod> now = pods();
          return now.size() == 2
              && now.stream().noneMatch(p -> before.contains(p.getMetadata().getName()))
              && deployment().getStatus().getUpdatedReplicas() != null
              && deployment().getStatus().getUpdatedReplicas() == 2
              && Integer.valueOf(2).equals(deployment().getStatus().getReadyReplicas());
        });
  }

  @Test
  @Order(4)
  void helmUninstallRemovesEverythingButTheCrds() {
    // While the controller still runs: terminate what it provisioned.
    client.pods().inNamespace("default").withName("gpu-smoke").withGracePeriod(0).delete();
    client.resources(NodePool.class).delete();
    client.resources(NodeClaim.class).delete();
    await(
        "the NodeClaims to terminate",
        Duration.ofMinutes(2),
        () -> client.resources(NodeClaim.class).list().getItems().isEmpty());
    ok(helm(Tools.helm4(), "uninstall", "karpenter", "-n", NS, "--wait"), "helm4 uninstall");
    assertNoChartObjectsLeft();
    // Helm 3: the same chart installs and uninstalls too.
    ok(helm(Tools.helm3(), install()), "helm3 install");
    assertTwoOfTwoReady();
    ok(helm(Tools.helm3(), "uninstall", "karpenter", "-n", NS, "--wait"), "helm3 uninstall");
    assertNoChartObjectsLeft();
  }

  static void assertNoChartObjectsLeft() {
    await("the controller pods to go", Duration.ofMinutes(2), () -> pods().isEmpty());
    assertNull(deployment());
    assertNull(client.services().inNamespace(NS).withName("karpenter").get());
    assertNull(client.serviceAccounts().inNamespace(NS).withName("karpenter").get());
    assertNull(
        client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("karpenter").get());
    List<String> roles =
        client.rbac().clusterRoles().list().getItems().stream()
            .map(r -> r.getMetadata().getName())
            .filter(n -> n.startsWith("karpenter"))
            .toList();
    assertEquals(List.of(), roles);
    assertNull(client.rbac().roles().inNamespace(NS).withName("karpenter").get());
    for (String crd :
        List.of(
            "nodepools.karpenter.sh",
            "nodeclaims.karpenter.sh",
            "ec2nodeclasses.karpenter.k8s.aws")) {
      assertNotNull(
          client.apiextensions().v1().customResourceDefinitions().withName(crd).get(),
          crd + " stays");
    }
  }
}
