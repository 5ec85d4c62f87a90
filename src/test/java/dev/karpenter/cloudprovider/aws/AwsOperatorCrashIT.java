package dev.karpenter.cloudprovider.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.CrashPoints;
import dev.karpenter.cloudprovider.aws.emulator.AwsEmulator;
import dev.karpenter.cloudprovider.aws.emulator.InstanceKubelet;
import dev.karpenter.testing.LocalCluster;
import dev.karpenter.testing.LocalClusterExtension;
import dev.karpenter.testing.MotoExtension;
import dev.karpenter.testing.MotoServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * Killing the operator between CreateFleet and the claim update, for real: {@code karpenter
 * controller --cloud aws} processes from the built jar against moto, armed with {@code
 * KARPENTER_CRASH_AT=after-create-fleet} so the JVM halts the moment CreateFleet has returned an
 * instance and before the NodeClaim records it. The restarted operator must adopt that instance for
 * its claim (never a second CreateFleet for it), and an instance whose claim went away while the
 * operator was dead must be terminated by the garbage collector once its grace has passed.
 */
@Tag("moto")
@Tag("local-cluster")
@ExtendWith({LocalClusterExtension.class, MotoExtension.class})
class AwsOperatorCrashIT {
  static final String NS = "aws-crash-it";
  static final Duration GRACE = Duration.ofSeconds(10);

  private final List<Process> processes = new ArrayList<>();
  private KubernetesClient client;
  private AwsEmulator aws;
  private InstanceKubelet kubelet;

  @Test
  void aCrashAfterCreateFleetNeitherLeaksNorLaunchesTwiceForOneClaim(
      LocalCluster cluster, MotoServer moto) throws Exception {
    Path jar = Path.of("target/karpenter.jar");
    assertTrue(Files.isRegularFile(jar), "run via `mvnw verify`: needs the packaged jar");
    client = cluster.client();
    moto.reset();
    aws = new AwsEmulator(moto.endpoint()).seed();
    AwsProviderMotoIT.client = client;
    AwsProviderMotoIT.installCrds();
    AwsProviderMotoIT.applyFile("docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml");
    AwsProviderMotoIT.applyFile("docs/examples/gpu-guide/02-gpu-nodepools.yaml");
    // Raw moto (no EmulatorShim here: the controllers are separate processes) puts spot fleet
    // instances in the VPC's default security group, so their claims read SecurityGroupDrift and
    // the disruption loop would replace the very instance this test checks is adopted and kept.
    client
        .resources(NodePool.class)
        .withName("gpu-inference")
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"disruption\":{\"budgets\":[{\"nodes\":\"0\"}]}}}");
    // Status an earlier test left on the shared cluster names resources of another moto state.
    for (var nc : client.resources(EC2NodeClass.class).list().getItems()) {
      client
          .resources(EC2NodeClass.class)
          .withName(nc.getMetadata().getName())
          .editStatus(
              x -> {
                x.setStatus(new EC2NodeClassStatus());
                return x;
              });
    }
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
    AwsProviderMotoIT.await(
        "default service account",
        Duration.ofSeconds(30),
        () -> client.serviceAccounts().inNamespace(NS).withName("default").get() != null);
    kubelet =
        new InstanceKubelet(client, aws.plainEc2(), Duration.ofMillis(500), Clock.systemUTC())
            .start();

    // 1. Armed: the pod's claim gets its instance from CreateFleet, then the JVM halts.
    Process first = controller(cluster, "1", true);
    // The class resolves first, so the crash happens on the pod's first provisioning round.
    AwsProviderMotoIT.await(
        "gpu-optimized Ready",
        Duration.ofSeconds(180),
        () ->
            AwsProviderMotoIT.condition("gpu-optimized", "Ready")
                .map(dev.karpenter.api.v1.Condition::isTrue)
                .orElse(false));
    client.resource(pod("first")).create();
    awaitExit(first, "the first controller to halt after CreateFleet");
    NodeClaim claimA = onlyClaim();
    assertNull(claimA.getStatus() == null ? null : claimA.getStatus().getProviderID());
    List<Instance> launchedForA = instancesOf(claimA.getMetadata().getName());
    assertEquals(1, launchedForA.size(), "CreateFleet launched one instance before the crash");
    String instanceA = launchedForA.get(0).instanceId();

    // 2. Restarted (still armed): it adopts that instance, so the pod runs without a CreateFleet.
    Process second = controller(cluster, "2", true);
    Pod running = awaitRunning("first");
    assertTrue(second.isAlive(), "adopting needs no CreateFleet, so the armed process lives");
    NodeClaim adopted =
        client.resources(NodeClaim.class).withName(claimA.getMetadata().getName()).get();
    assertEquals(instanceA, AwsCloudProvider.instanceId(adopted.getStatus().getProviderID()));
    assertEquals(adopted.getStatus().getNodeName(), running.getSpec().getNodeName());
    assertEquals(List.of(instanceA), ids(instancesOf(claimA.getMetadata().getName())));

    //    A second pod: CreateFleet again, halt again; the pod and its claim go while it is dead.
    client.resource(pod("second")).create();
    awaitExit(second, "the second controller to halt after CreateFleet");
    NodeClaim claimB =
        client.resources(NodeClaim.class).list().getItems().stream()
            .filter(c -> !c.getMetadata().getName().equals(claimA.getMetadata().getName()))
            .findFirst()
            .orElseThrow();
    List<Instance> launchedForB = instancesOf(claimB.getMetadata().getName());
    assertEquals(1, launchedForB.size(), launchedForB.toString());
    String orphan = launchedForB.get(0).instanceId();
    client.pods().inNamespace(NS).withName("second").withGracePeriod(0).delete();
    client.resources(NodeClaim.class).withName(claimB.getMetadata().getName()).delete();

    // 3. Unarmed, with a short grace: the orphan is terminated, the adopted instance kept.
    controller(cluster, "3", false);
    AwsProviderMotoIT.await(
        "the deleted claim's finalizer to be released",
        Duration.ofSeconds(240),
        () ->
            client.resources(NodeClaim.class).withName(claimB.getMetadata().getName()).get()
                == null);
    AwsProviderMotoIT.await(
        "the garbage collector to terminate " + orphan,
        GRACE.plus(AwsControllers.GC_PERIOD).plus(Duration.ofSeconds(60)),
        () -> gone(describe(orphan)));
    Instance kept = describe(instanceA);
    assertEquals("running", kept.state().nameAsString());
    // The tagging half of the collector named the adopted instance after its node.
    AwsProviderMotoIT.await(
        "the Name tag on " + instanceA,
        AwsControllers.GC_PERIOD.plus(Duration.ofSeconds(30)),
        () ->
            adopted
                .getStatus()
                .getNodeName()
                .equals(AwsCloudProvider.tags(describe(instanceA)).get("Name")));
    List<Instance> live = clusterInstances().stream().filter(i -> !gone(i)).toList();
    assertEquals(List.of(instanceA), ids(live), "no leaked instance, none launched twice");
    assertEquals(
        "Running", client.pods().inNamespace(NS).withName("first").get().getStatus().getPhase());
  }

  @AfterEach
  void cleanUp() throws Exception {
    try {
      if (client != null) {
        client.pods().inNamespace(NS).withGracePeriod(0).delete();
        for (String p : AwsProviderMotoIT.POOLS) {
          client.resources(NodePool.class).withName(p).delete();
        }
        client.resources(NodeClaim.class).delete();
        if (processes.stream().anyMatch(Process::isAlive)) {
          AwsProviderMotoIT.await(
              "NodeClaims to terminate",
              Duration.ofSeconds(90),
              () -> client.resources(NodeClaim.class).list().getItems().isEmpty());
        }
        client.namespaces().withName(NS).delete();
      }
    } finally {
      for (Process p : processes) {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      if (kubelet != null) {
        kubelet.close();
      }
      if (aws != null) {
        aws.close();
      }
    }
  }

  /** A {@code karpenter controller --cloud aws} process on moto, logging to target/. */
  private Process controller(LocalCluster cluster, String run, boolean armed) throws IOException {
    Path log = Path.of("target", "aws-crash-it-" + run + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.log.dev.karpenter.provisioning=debug",
                "-jar",
                "target/karpenter.jar",
                "controller",
                "--kubeconfig",
                cluster.kubeconfig().toString(),
                "--cloud",
                "aws",
                "--cluster-name",
                AwsEmulator.CLUSTER,
                "--region",
                AwsEmulator.REGION.id(),
                "--cluster-endpoint",
                "https://my-cluster.example:443",
                "--ssm-parameter-root",
                AwsEmulator.SSM_ROOT,
                "--garbage-collection-grace",
                GRACE.toSeconds() + "s",
                "--metrics-port=-1",
                "--health-probe-port=-1",
                "--batch-idle-duration=500ms",
                "--leader-election-namespace",
                NS)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("AWS_ENDPOINT_URL", aws.endpoint().toString());
    env.put("AWS_ENDPOINT_URL_PRICING", aws.pricing().endpoint().toString());
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("HOSTNAME", "crash-it-" + run);
    if (armed) {
      env.put("KARPENTER_CRASH_AT", CrashPoints.AFTER_CREATE_FLEET);
    } else {
      env.remove("KARPENTER_CRASH_AT");
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private void awaitExit(Process p, String what) throws InterruptedException {
    assertTrue(
        p.waitFor(180, TimeUnit.SECONDS), () -> "timed out waiting for " + what + diagnosis());
    assertEquals(137, p.exitValue(), what + ": halted by the crash point");
  }

  /** What the cluster says about the test's pods: their conditions and events, the pools. */
  private String diagnosis() {
    StringBuilder b = new StringBuilder();
    for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
      b.append("\npod ").append(p.getMetadata().getName()).append(": ");
      b.append(p.getStatus() == null ? null : p.getStatus().getConditions());
    }
    client
        .v1()
        .events()
        .inNamespace(NS)
        .list()
        .getItems()
        .forEach(
            e -> b.append("\nevent ").append(e.getReason()).append(": ").append(e.getMessage()));
    client
        .resources(NodePool.class)
        .list()
        .getItems()
        .forEach(
            np ->
                b.append("\nnodepool ")
                    .append(np.getMetadata().getName())
                    .append(": ")
                    .append(np.getStatus()));
    b.append("\nnodeclaims: ").append(client.resources(NodeClaim.class).list().getItems().size());
    return b.toString();
  }

  private NodeClaim onlyClaim() {
    List<NodeClaim> claims = client.resources(NodeClaim.class).list().getItems();
    assertEquals(1, claims.size(), claims.toString());
    return claims.get(0);
  }

  private Pod awaitRunning(String name) {
    return client
        .pods()
        .inNamespace(NS)
        .withName(name)
        .waitUntilCondition(
            p -> p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()),
            180,
            TimeUnit.SECONDS);
  }

  private static Pod pod(String name) {
    Pod p = AwsProviderMotoIT.gpuPod(name, Map.of("karpenter.sh/nodepool", "gpu-inference"));
    p.getMetadata().setNamespace(NS);
    return p;
  }

  private List<Instance> clusterInstances() {
    List<Instance> out = new ArrayList<>();
    aws.plainEc2()
        .describeInstancesPaginator(
            r ->
                r.filters(
                    f ->
                        f.name("tag:kubernetes.io/cluster/" + AwsEmulator.CLUSTER).values("owned")))
        .reservations()
        .forEach(res -> out.addAll(res.instances()));
    return out;
  }

  /** Live instances tagged for {@code claim}. */
  private List<Instance> instancesOf(String claim) {
    return clusterInstances().stream()
        .filter(i -> claim.equals(AwsCloudProvider.tags(i).get(AwsCloudProvider.TAG_NODECLAIM)))
        .filter(i -> !gone(i))
        .toList();
  }

  private Instance describe(String id) {
    Instance i =
        aws.plainEc2()
            .describeInstances(r -> r.instanceIds(id))
            .reservations()
            .get(0)
            .instances()
            .get(0);
    assertNotNull(i);
    return i;
  }

  private static boolean gone(Instance i) {
    String s = i.state().nameAsString();
    return s.equals("terminated") || s.equals("shutting-down");
  }

  private static List<String> ids(List<Instance> instances) {
    return instances.stream().map(Instance::instanceId).toList();
  }
}
