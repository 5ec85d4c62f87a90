package dev.karpenter.cloudprovider.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.cloudprovider.aws.emulator.AwsEmulator;
import dev.karpenter.cloudprovider.aws.emulator.InstanceKubelet;
import dev.karpenter.disruption.DisruptionController;
import dev.karpenter.disruption.decision.Method;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.operator.OperatorConfig;
import dev.karpenter.testing.LocalClusterExtension;
import dev.karpenter.testing.MotoExtension;
import dev.karpenter.testing.MotoServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateVersion;

/**
 * The AWS provider end to end: the operator on the local control plane, EC2/SSM/IAM on moto (with
 * the project's emulator shim and Pricing endpoint), the guide's EC2NodeClasses and NodePools.
 */
@Tag("moto")
@Tag("local-cluster")
@ExtendWith({LocalClusterExtension.class, MotoExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AwsProviderMotoIT {
  static final String NS = "aws-provider-it";
  static final List<String> POOLS =
      List.of("gpu-general", "gpu-inference", "gpu-training", "aws-d-empty", "aws-d-under");
  static final List<DisruptionController.Executed> EXECUTED = new CopyOnWriteArrayList<>();
  static KubernetesClient client;
  static AwsEmulator aws;
  static AwsCloudProvider cloud;
  static AwsControllers controllers;
  static KarpenterOperator operator;
  static InstanceKubelet kubelet;
  static KarpenterMetrics metrics;

  @BeforeAll
  static void start(KubernetesClient c, MotoServer moto) throws Exception {
    client = c;
    moto.reset();
    aws = new AwsEmulator(moto.endpoint()).seed();
    installCrds();
    apply(Files.readString(Path.of("docs/examples/gpu-guide/03-gpu-ec2nodeclasses.yaml")));
    // Earlier tests on this shared cluster leave the guide's classes resolved by the simulated
    // cloud: clear their status so Ready is what this provider resolves from moto.
    for (var nc : client.resources(dev.karpenter.api.aws.v1.EC2NodeClass.class).list().getItems()) {
      client
          .resources(dev.karpenter.api.aws.v1.EC2NodeClass.class)
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
    await(
        "default service account",
        Duration.ofSeconds(30),
        () -> client.serviceAccounts().inNamespace(NS).withName("default").get() != null);
    cloud = new AwsCloudProvider(client, aws.clients(), aws.settings(), Clock.systemUTC());
    metrics = new KarpenterMetrics();
    controllers =
        new AwsControllers(
            client,
            cloud,
            new EventRecorder(client, Clock.systemUTC(), Duration.ofMinutes(5)),
            metrics,
            Clock.systemUTC());
    OperatorConfig config =
        OperatorConfig.defaults()
            .withMetricsPort(-1)
            .withIdentity("aws-provider-it")
            .withLease("kube-system", "aws-provider-it")
            .withBatch(Duration.ofMillis(500), Duration.ofSeconds(5))
            // The guide's pools wait 2m-30m after a pod event before they consolidate and no
            // earlier test leaves a node consolidation could remove; the disruption tests' pools
            // wait seconds.
            .withDisruption(
                DisruptionController.Settings.defaults()
                    .withTimings(
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(3)));
    operator =
        new KarpenterOperator(client, config, controllers.module(), metrics, Clock.systemUTC());
    cloud.catalog().refresh();
    operator.start();
    operator.disruption().onExecuted(EXECUTED::add);
    kubelet =
        new InstanceKubelet(client, aws.plainEc2(), Duration.ofMillis(500), Clock.systemUTC())
            .start();
  }

  @AfterAll
  static void stop() {
    try {
      if (client != null) {
        // Workloads first, so no pending pod asks for a node while the pools go.
        client.apps().deployments().inNamespace(NS).delete();
        client.pods().inNamespace(NS).delete();
        await(
            "the test's pods to go",
            Duration.ofSeconds(60),
            () -> client.pods().inNamespace(NS).list().getItems().isEmpty());
        client.namespaces().withName(NS).delete();
        for (String p : POOLS) {
          client.resources(NodePool.class).withName(p).delete();
        }
        client.resources(NodeClaim.class).delete();
        await(
            "NodeClaims to terminate",
            Duration.ofSeconds(90),
            () -> client.resources(NodeClaim.class).list().getItems().isEmpty());
      }
    } finally {
      if (kubelet != null) {
        kubelet.close();
      }
      if (operator != null) {
        operator.close();
      }
      if (controllers != null) {
        controllers.close();
      }
      if (aws != null) {
        aws.close();
      }
    }
  }

  @Test
  @Order(1)
  void theGuidesNodeClassesBecomeReadyWithMotosSubnetsSecurityGroupsAmisAndProfile() {
    EC2NodeClassStatus optimized = awaitReady("gpu-optimized");
    // gpu-optimized selects network-type: private too; gpu-training only the discovery tag.
    assertEquals(
        java.util.Set.of(aws.subnets().get("us-east-1a"), aws.subnets().get("us-east-1b")),
        optimized.getSubnets().stream()
            .map(EC2NodeClassStatus.Subnet::id)
            .collect(Collectors.toSet()));
    assertEquals(
        List.of("us-east-1a", "us-east-1b"),
        optimized.getSubnets().stream().map(EC2NodeClassStatus.Subnet::zone).sorted().toList());
    EC2NodeClassStatus training = awaitReady("gpu-training");
    assertEquals(3, training.getSubnets().size());
    assertEquals(
        List.of(aws.securityGroup()),
        optimized.getSecurityGroups().stream().map(EC2NodeClassStatus.SecurityGroup::id).toList());

    Map<String, EC2NodeClassStatus.Ami> byId =
        optimized.getAmis().stream().collect(Collectors.toMap(EC2NodeClassStatus.Ami::id, a -> a));
    assertEquals(aws.amis().size(), byId.size(), "one AMI per architecture and variant");
    EC2NodeClassStatus.Ami nvidia = byId.get(aws.amis().get("x86_64/nvidia"));
    assertTrue(
        hasRequirement(nvidia, "karpenter.k8s.aws/instance-gpu-count", "Exists"),
        nvidia.toString());
    assertTrue(hasRequirement(nvidia, "kubernetes.io/arch", "In"), nvidia.toString());
    EC2NodeClassStatus.Ami neuron = byId.get(aws.amis().get("x86_64/neuron"));
    assertTrue(
        hasRequirement(neuron, "karpenter.k8s.aws/instance-accelerator-count", "Exists"),
        neuron.toString());
    EC2NodeClassStatus.Ami standard = byId.get(aws.amis().get("x86_64/standard"));
    assertTrue(
        hasRequirement(standard, "karpenter.k8s.aws/instance-gpu-count", "DoesNotExist"),
        standard.toString());

    String profile = optimized.getInstanceProfile();
    assertNotNull(profile);
    var iamProfile =
        aws.clients()
            .iam()
            .getInstanceProfile(r -> r.instanceProfileName(profile))
            .instanceProfile();
    assertEquals(
        List.of(AwsEmulator.ROLE), iamProfile.roles().stream().map(r -> r.roleName()).toList());
    assertTrue(
        iamProfile.tags().stream()
            .anyMatch(
                t ->
                    t.key().equals("kubernetes.io/cluster/my-cluster")
                        && t.value().equals("owned")),
        iamProfile.tags().toString());
    EC2NodeClass nc = client.resources(EC2NodeClass.class).withName("gpu-optimized").get();
    assertNotNull(nc.getMetadata().getAnnotations().get(AwsNodeClassReconciler.HASH_ANNOTATION));
    assertTrue(nc.getMetadata().getFinalizers().contains(AwsNodeClassReconciler.FINALIZER));
  }

  @Test
  @Order(2)
  void aClassWhoseSubnetsMatchNothingIsNotReadyAndNamesTheTerm() {
    apply(
        """
        apiVersion: karpenter.k8s.aws/v1
        kind: EC2NodeClass
        metadata:
          name: matches-nothing
        spec:
          amiSelectorTerms: [{alias: al2023@latest}]
          role: KarpenterNodeRole-my-cluster
          subnetSelectorTerms:
            - tags: {karpenter.sh/discovery: my-cluster}
            - tags: {karpenter.sh/discovery: no-such-cluster}
          securityGroupSelectorTerms:
            - tags: {karpenter.sh/discovery: my-cluster}
        """);
    Condition[] ready = new Condition[1];
    await(
        "matches-nothing to report Ready=False",
        Duration.ofSeconds(60),
        () -> {
          ready[0] = condition("matches-nothing", "Ready").orElse(null);
          return ready[0] != null && ready[0].status().equals("False");
        });
    assertTrue(ready[0].message().contains("subnetSelectorTerms[1]"), ready[0].message());
    assertTrue(ready[0].message().contains("no-such-cluster"), ready[0].message());
    assertEquals("False", condition("matches-nothing", "SubnetsReady").orElseThrow().status());
    assertEquals(
        "True", condition("matches-nothing", "SecurityGroupsReady").orElseThrow().status());
    client.resources(EC2NodeClass.class).withName("matches-nothing").delete();
  }

  @Test
  @Order(3)
  void aPendingGpuPodRunsOnAnInstanceCreateFleetLaunchedFromTheGuidesLaunchTemplate() {
    applyFile("docs/examples/gpu-guide/02-gpu-nodepools.yaml");
    client.resource(gpuPod("gpu-1", Map.of("karpenter.sh/nodepool", "gpu-inference"))).create();
    Pod pod = awaitRunning("gpu-1");
    NodeClaim claim = claimOf(pod);
    String pid = claim.getStatus().getProviderID();
    assertTrue(pid.startsWith("aws:///us-east-1"), pid);
    Instance inst = instance(pid);
    Map<String, String> tags = AwsCloudProvider.tags(inst);
    String pool = claim.getMetadata().getLabels().get("karpenter.sh/nodepool");
    assertEquals("owned", tags.get("kubernetes.io/cluster/my-cluster"));
    assertEquals(pool, tags.get("karpenter.sh/nodepool"));
    assertEquals(claim.getMetadata().getName(), tags.get("karpenter.sh/nodeclaim"));
    assertEquals("gpu-optimized", tags.get("karpenter.k8s.aws/ec2nodeclass"));
    assertEquals("my-cluster", tags.get("eks:eks-cluster-name"));
    assertEquals("production", tags.get("Environment"));
    assertEquals("gpu", tags.get("NodeType"));
    // In the launch template's security group, as EC2 launches it (drift compares them).
    assertEquals(
        List.of(aws.securityGroup()),
        inst.securityGroups().stream().map(g -> g.groupId()).toList());
    // An NVIDIA AMI for a GPU type.
    assertEquals(aws.amis().get("x86_64/nvidia"), inst.imageId());

    var fleet = aws.shim().fleetRequests().getLast();
    String lt =
        fleet.launchTemplateConfigs().get(0).launchTemplateSpecification().launchTemplateName();
    LaunchTemplateVersion v =
        aws.plainEc2()
            .describeLaunchTemplateVersions(r -> r.launchTemplateName(lt).versions("$Latest"))
            .launchTemplateVersions()
            .get(0);
    var data = v.launchTemplateData();
    var root = data.blockDeviceMappings().get(0);
    assertEquals("/dev/xvda", root.deviceName());
    assertEquals(200, root.ebs().volumeSize());
    assertEquals("gp3", root.ebs().volumeTypeAsString());
    assertEquals(6000, root.ebs().iops());
    assertEquals(250, root.ebs().throughput());
    assertTrue(root.ebs().encrypted());
    assertEquals(2, data.metadataOptions().httpPutResponseHopLimit());
    assertEquals("required", data.metadataOptions().httpTokensAsString());
    assertEquals(aws.amis().get("x86_64/nvidia"), data.imageId());
    assertEquals(List.of(aws.securityGroup()), data.securityGroupIds());
    assertEquals(
        awaitReady("gpu-optimized").getInstanceProfile(), data.iamInstanceProfile().name());
    String userData =
        new String(Base64.getDecoder().decode(data.userData()), StandardCharsets.UTF_8);
    assertTrue(userData.contains("echo \"GPU node bootstrap\""), userData);
    assertTrue(userData.contains("kind: NodeConfig"), userData);
    assertTrue(userData.contains("name: \"my-cluster\""), userData);
    assertTrue(userData.contains("karpenter.sh/nodepool=" + pool), userData);
    assertTrue(
        data.tagSpecifications().stream()
            .anyMatch(
                t ->
                    t.tags().stream()
                        .anyMatch(
                            x -> x.key().equals("ManagedBy") && x.value().equals("karpenter"))));
    // Spot when the pool allows it and it is offered; lowest priority first is what the shim
    // honours.
    assertEquals("spot", fleet.targetCapacitySpecification().defaultTargetCapacityTypeAsString());
    assertEquals("price-capacity-optimized", fleet.spotOptions().allocationStrategyAsString());
    assertTrue(
        fleet.launchTemplateConfigs().stream()
                .mapToLong(
                    c ->
                        c.overrides().stream()
                            .map(o -> o.instanceTypeAsString())
                            .distinct()
                            .count())
                .sum()
            <= 60);
  }

  @Test
  @Order(4)
  void injectedIceOnTheCheapestOfferingFallsBackToTheNextOne() {
    // The cheapest spot g5.xlarge is in us-east-1a (the emulator prices zones a < b < c).
    aws.shim().injectIce("spot", "g5.xlarge", "us-east-1a");
    client
        .resource(
            gpuPod(
                "gpu-ice",
                Map.of(
                    "karpenter.sh/nodepool",
                    "gpu-inference",
                    "node.kubernetes.io/instance-type",
                    "g5.xlarge")))
        .create();
    Pod pod = awaitRunning("gpu-ice");
    NodeClaim claim = claimOf(pod);
    assertEquals(
        "g5.xlarge", claim.getMetadata().getLabels().get("node.kubernetes.io/instance-type"));
    assertEquals("us-east-1b", claim.getMetadata().getLabels().get("topology.kubernetes.io/zone"));
    assertTrue(cloud.unavailable().isUnavailable("g5.xlarge", "us-east-1a", "spot"));
    aws.shim().clearIce();
  }

  @Test
  @Order(5)
  void anInstanceTaggedForTheClusterWithoutAClaimIsGarbageCollectedAndClaimedOnesAreKept() {
    String leaked =
        aws.plainEc2()
            .runInstances(
                r ->
                    r.imageId(aws.amis().get("x86_64/standard"))
                        .instanceType("m5.large")
                        .minCount(1)
                        .maxCount(1)
                        .subnetId(aws.subnets().get("us-east-1a"))
                        .tagSpecifications(
                            t ->
                                t.resourceType("instance")
                                    .tags(
                                        x ->
                                            x.key("kubernetes.io/cluster/my-cluster")
                                                .value("owned"),
                                        x -> x.key("karpenter.sh/nodepool").value("gpu-inference"),
                                        x ->
                                            x.key("karpenter.sh/nodeclaim")
                                                .value("operator-died-before-writing-me"))))
            .instances()
            .get(0)
            .instanceId();
    List<String> claimed =
        client.resources(NodeClaim.class).list().getItems().stream()
            .filter(c -> c.getStatus() != null && c.getStatus().getProviderID() != null)
            .map(c -> AwsCloudProvider.instanceId(c.getStatus().getProviderID()))
            .toList();
    assertTrue(!claimed.isEmpty());
    var gc = new GarbageCollector(client, cloud, Clock.systemUTC(), Duration.ZERO);
    assertEquals(List.of(leaked), gc.collect());
    assertEquals("terminated", instance("aws:///us-east-1a/" + leaked).state().nameAsString());
    for (String id : claimed) {
      assertEquals("running", instance("aws:///x/" + id).state().nameAsString(), id);
    }
  }

  @Test
  @Order(6)
  void aSpotInterruptionDrainsTheNodeItsPodLandsOnAReplacementAndMalformedMessagesAreDeleted() {
    client
        .apps()
        .deployments()
        .inNamespace(NS)
        .resource(
            new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                .withNewMetadata()
                .withName("inference")
                .endMetadata()
                .withNewSpec()
                .withReplicas(1)
                .withNewSelector()
                .addToMatchLabels("app", "inference")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "inference")
                .endMetadata()
                .withSpec(gpuPod("x", Map.of("karpenter.sh/nodepool", "gpu-inference")).getSpec())
                .endTemplate()
                .endSpec()
                .build())
        .create();
    Pod first = awaitAppRunning(null);
    NodeClaim claim = claimOf(first);
    String instanceId = AwsCloudProvider.instanceId(claim.getStatus().getProviderID());
    String queue = "karpenter-interruption-it";
    var sqs = aws.clients().sqs();
    String url = sqs.createQueue(r -> r.queueName(queue)).queueUrl();
    sqs.sendMessage(r -> r.queueUrl(url).messageBody("this is not an EventBridge event"));
    sqs.sendMessage(
        r ->
            r.queueUrl(url)
                .messageBody(
                    "{\"version\":\"0\",\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Spot Instance"
                        + " Interruption Warning\",\"detail\":{\"instance-id\":\""
                        + instanceId
                        + "\",\"instance-action\":\"terminate\"}}"));
    Interruption interruption =
        new Interruption(
            client,
            cloud,
            queue,
            new EventRecorder(client, Clock.systemUTC(), Duration.ofMinutes(5)),
            metrics,
            Clock.systemUTC());
    int handled = 0;
    for (int i = 0; i < 5 && handled < 2; i++) {
      handled += interruption.pollOnce(Duration.ofSeconds(1));
    }
    interruption.close();
    assertEquals(2, handled);
    assertTrue(
        sqs.receiveMessage(r -> r.queueUrl(url).waitTimeSeconds(1)).messages().isEmpty(),
        "both deleted");
    String scrape = metrics.scrape();
    assertTrue(
        scrape.contains(
            "karpenter_interruption_received_messages_total{message_type=\"unknown\"} 1.0"),
        scrape);
    assertTrue(
        scrape.contains(
            "karpenter_interruption_received_messages_total{message_type=\"spot_interrupted\"} 1.0"),
        scrape);
    assertTrue(scrape.contains("karpenter_interruption_deleted_messages_total 2.0"), scrape);
    String zone = claim.getMetadata().getLabels().get("topology.kubernetes.io/zone");
    String type = claim.getMetadata().getLabels().get("node.kubernetes.io/instance-type");
    await(
        "the interrupted NodeClaim to go",
        Duration.ofSeconds(120),
        () ->
            client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get()
                == null);
    Pod replacement = awaitAppRunning(first.getSpec().getNodeName());
    assertTrue(!replacement.getSpec().getNodeName().equals(first.getSpec().getNodeName()));
    NodeClaim next = claimOf(replacement);
    assertTrue(
        !(zone.equals(next.getMetadata().getLabels().get("topology.kubernetes.io/zone"))
            && type.equals(next.getMetadata().getLabels().get("node.kubernetes.io/instance-type"))
            && "spot".equals(next.getMetadata().getLabels().get("karpenter.sh/capacity-type"))),
        "the interrupted spot offering is not reused within the ICE TTL: "
            + next.getMetadata().getLabels());
  }

  @Test
  @Order(7)
  void anEmptyNodeGoesAfterConsolidateAfterAndItsInstanceIsTerminated() {
    String np = "aws-d-empty";
    cpuPool(
        np,
        List.of("m5.large"),
        """
        consolidationPolicy: WhenEmpty
        consolidateAfter: 10s
        """);
    double before = counter("karpenter.voluntary.disruption.decisions", "reason", "empty");
    int fleets = aws.shim().fleetRequests().size();
    client.resource(cpuPod("lonely", np, "1")).create();
    Pod pod = awaitRunning("lonely");
    NodeClaim claim = claimOf(pod);
    String node = pod.getSpec().getNodeName();
    String pid = claim.getStatus().getProviderID();
    assertEquals("running", instance(pid).state().nameAsString());
    assertTrue(aws.shim().fleetRequests().size() > fleets, "launched by CreateFleet");
    Instant emptied = Instant.now();
    deletePod("lonely");
    await(
        "the empty node's NodeClaim deleted",
        Duration.ofSeconds(120),
        () -> {
          NodeClaim c =
              client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get();
          return c == null || c.getMetadata().getDeletionTimestamp() != null;
        });
    Duration waited = Duration.between(emptied, Instant.now());
    assertTrue(
        waited.compareTo(Duration.ofSeconds(10)) >= 0,
        "the node went only after consolidateAfter (10s): " + waited);
    await(
        "NodeClaim, Node and instance of " + node + " gone",
        Duration.ofSeconds(120),
        () ->
            client.resources(NodeClaim.class).withName(claim.getMetadata().getName()).get() == null
                && client.nodes().withName(node).get() == null
                && "terminated".equals(instance(pid).state().nameAsString()));
    assertTrue(
        EXECUTED.stream()
            .anyMatch(
                e ->
                    e.decision().method() == Method.Emptiness
                        && e.decision().nodes().contains(node)
                        && e.outcome() == DisruptionController.Outcome.EXECUTED),
        "emptiness removed " + node + ": " + EXECUTED);
    assertTrue(
        counter("karpenter.voluntary.disruption.decisions", "reason", "empty") > before,
        "karpenter_voluntary_disruption_decisions_total{reason=empty} counted it");
    client.resources(NodePool.class).withName(np).delete();
  }

  @Test
  @Order(8)
  void anUnderutilizedNodeIsReplacedByACheaperInstanceCreateFleetLaunched() {
    String np = "aws-d-under";
    cpuPool(
        np,
        List.of("m5.large", "m5.xlarge"),
        """
        consolidationPolicy: WhenEmptyOrUnderutilized
        consolidateAfter: 3s
        """);
    client.resource(cpuPod("big", np, "3")).create();
    Pod big = awaitRunning("big");
    String old = big.getSpec().getNodeName();
    NodeClaim oldClaim = claimOf(big);
    String oldPid = oldClaim.getStatus().getProviderID();
    assertEquals(
        "m5.xlarge",
        instance(oldPid).instanceTypeAsString(),
        "the 3-cpu pod needs an m5.xlarge instance");
    Pod template = cpuPod("x", np, "500m");
    client
        .apps()
        .deployments()
        .inNamespace(NS)
        .resource(
            new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                .withNewMetadata()
                .withName("small")
                .endMetadata()
                .withNewSpec()
                .withReplicas(1)
                .withNewSelector()
                .addToMatchLabels("app", "small")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "small")
                .endMetadata()
                .withSpec(template.getSpec())
                .endTemplate()
                .endSpec()
                .build())
        .create();
    await(
        "small Running next to big",
        Duration.ofSeconds(120),
        () -> small().stream().anyMatch(p -> running(p) && old.equals(p.getSpec().getNodeName())));
    int fleets = aws.shim().fleetRequests().size();
    deletePod("big");
    await(
        "the m5.xlarge replaced and small Running elsewhere",
        Duration.ofSeconds(180),
        () -> {
          List<Pod> s = small();
          return client.nodes().withName(old).get() == null
              && client.resources(NodeClaim.class).withName(oldClaim.getMetadata().getName()).get()
                  == null
              && claims(np).size() == 1
              && s.size() == 1
              && running(s.getFirst())
              && !old.equals(s.getFirst().getSpec().getNodeName());
        });
    Pod moved = small().getFirst();
    NodeClaim replacement = claimOf(moved);
    Instance next = instance(replacement.getStatus().getProviderID());
    assertEquals("m5.large", next.instanceTypeAsString(), "small runs on the cheaper instance");
    assertEquals("running", next.state().nameAsString());
    var launched = aws.shim().fleetRequests();
    assertTrue(launched.size() > fleets, "the replacement was launched by CreateFleet");
    assertTrue(
        launched.subList(fleets, launched.size()).stream()
            .flatMap(f -> f.launchTemplateConfigs().stream())
            .flatMap(c -> c.overrides().stream())
            .anyMatch(o -> "m5.large".equals(o.instanceTypeAsString())),
        "a CreateFleet after the big pod left offered m5.large");
    await(
        "the m5.xlarge instance terminated",
        Duration.ofSeconds(60),
        () -> "terminated".equals(instance(oldPid).state().nameAsString()));
    var executed =
        EXECUTED.stream()
            .filter(e -> e.decision().nodes().contains(old))
            .filter(e -> e.outcome() == DisruptionController.Outcome.EXECUTED)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no executed command for " + old));
    assertEquals(Method.SingleNodeConsolidation, executed.decision().method());
    assertEquals(1, executed.decision().replacements().size());
    assertTrue(executed.decision().savingsPerHour() > 0, executed.decision().toString());
    assertTrue(
        counter(
                "karpenter.voluntary.disruption.decisions",
                "decision",
                "replace",
                "reason",
                "underutilized")
            >= 1);
    List<Pod> pending =
        client.pods().inNamespace(NS).list().getItems().stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null && !running(p))
            .toList();
    assertTrue(pending.isEmpty(), "no pod left pending: " + pending);
    assertTrue(
        EXECUTED.stream().noneMatch(e -> e.decision().method() == Method.Drift),
        "nothing in this run drifted: " + EXECUTED);
  }

  static void cpuPool(String name, List<String> types, String disruption) {
    apply(
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: %s
        spec:
          template:
            spec:
              requirements:
                - key: node.kubernetes.io/instance-type
                  operator: In
                  values: %s
                - key: karpenter.sh/capacity-type
                  operator: In
                  values: ['on-demand']
              nodeClassRef:
                group: karpenter.k8s.aws
                kind: EC2NodeClass
                name: gpu-optimized
          disruption:
        %s
        """
            .formatted(
                name,
                types.stream().map(t -> "'" + t + "'").toList(),
                disruption.indent(4).stripTrailing()));
  }

  static Pod cpuPod(String name, String pool, String cpu) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withTerminationGracePeriodSeconds(0L)
        .withNodeSelector(Map.of("karpenter.sh/nodepool", pool))
        .addNewContainer()
        .withName("c")
        .withImage("busybox")
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity(cpu)))
        .endResources()
        .endContainer()
        .endSpec()
        .build();
  }

  static void deletePod(String name) {
    client.pods().inNamespace(NS).withName(name).withGracePeriod(0).delete();
    await(
        "pod " + name + " gone",
        Duration.ofSeconds(60),
        () -> client.pods().inNamespace(NS).withName(name).get() == null);
  }

  static List<Pod> small() {
    return client.pods().inNamespace(NS).withLabel("app", "small").list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  static boolean running(Pod p) {
    return p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
  }

  static List<NodeClaim> claims(String pool) {
    return client
        .resources(NodeClaim.class)
        .withLabel("karpenter.sh/nodepool", pool)
        .list()
        .getItems();
  }

  static double counter(String name, String... tags) {
    var c = metrics.registry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  /** The inference deployment's Running pod, on another node than {@code notOn}. */
  static Pod awaitAppRunning(String notOn) {
    Pod[] found = new Pod[1];
    await(
        "an inference pod Running" + (notOn == null ? "" : " off " + notOn),
        Duration.ofSeconds(180),
        () -> {
          for (Pod p :
              client.pods().inNamespace(NS).withLabel("app", "inference").list().getItems()) {
            if (p.getStatus() != null
                && "Running".equals(p.getStatus().getPhase())
                && p.getMetadata().getDeletionTimestamp() == null
                && (notOn == null || !notOn.equals(p.getSpec().getNodeName()))) {
              found[0] = p;
              return true;
            }
          }
          return false;
        });
    return found[0];
  }

  // ------------------------------------------------------------------ helpers

  static Pod gpuPod(String name, Map<String, String> nodeSelector) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(nodeSelector)
        .addNewContainer()
        .withName("c")
        .withImage("busybox")
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("1"), "nvidia.com/gpu", new Quantity("1")))
        .withLimits(Map.of("nvidia.com/gpu", new Quantity("1")))
        .endResources()
        .endContainer()
        .addNewToleration()
        .withKey("nvidia.com/gpu")
        .withOperator("Exists")
        .withEffect("NoSchedule")
        .endToleration()
        .endSpec()
        .build();
  }

  static Pod awaitRunning(String name) {
    return client
        .pods()
        .inNamespace(NS)
        .withName(name)
        .waitUntilCondition(
            p -> p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()),
            180,
            TimeUnit.SECONDS);
  }

  static NodeClaim claimOf(Pod pod) {
    String node = pod.getSpec().getNodeName();
    return client.resources(NodeClaim.class).list().getItems().stream()
        .filter(c -> c.getStatus() != null && node.equals(c.getStatus().getNodeName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no NodeClaim for node " + node));
  }

  static Instance instance(String providerId) {
    String id = AwsCloudProvider.instanceId(providerId);
    return aws.plainEc2()
        .describeInstances(r -> r.instanceIds(id))
        .reservations()
        .get(0)
        .instances()
        .get(0);
  }

  static boolean hasRequirement(EC2NodeClassStatus.Ami a, String key, String op) {
    return a.requirements().stream().anyMatch(r -> r.key().equals(key) && r.operator().equals(op));
  }

  static EC2NodeClassStatus awaitReady(String name) {
    await(
        name + " Ready",
        Duration.ofSeconds(60),
        () -> condition(name, "Ready").map(Condition::isTrue).orElse(false));
    return client.resources(EC2NodeClass.class).withName(name).get().getStatus();
  }

  static Optional<Condition> condition(String nodeClass, String type) {
    EC2NodeClass nc = client.resources(EC2NodeClass.class).withName(nodeClass).get();
    if (nc == null || nc.getStatus() == null || nc.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return nc.getStatus().getConditions().stream().filter(c -> c.type().equals(type)).findFirst();
  }

  static void installCrds() throws IOException {
    for (String crd :
        List.of(
            "nodepools.karpenter.sh-v1.yml",
            "nodeclaims.karpenter.sh-v1.yml",
            "ec2nodeclasses.karpenter.k8s.aws-v1.yml")) {
      try (InputStream in =
          AwsProviderMotoIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/" + crd)) {
        CustomResourceDefinition d =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(d).forceConflicts().serverSideApply();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(d.getMetadata().getName())
            .waitUntilCondition(
                c ->
                    c.getStatus() != null
                        && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream()
                            .anyMatch(
                                x ->
                                    "Established".equals(x.getType())
                                        && "True".equals(x.getStatus())),
                30,
                TimeUnit.SECONDS);
      }
    }
  }

  static void applyFile(String file) {
    try {
      apply(Files.readString(Path.of(file)));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void apply(String yaml) {
    for (HasMetadata o :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(o).forceConflicts().serverSideApply();
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
  }
}
