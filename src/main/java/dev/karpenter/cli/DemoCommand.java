package dev.karpenter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.aws.emulator.AwsEmulator;
import dev.karpenter.cloudprovider.aws.emulator.InstanceKubelet;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.operator.KarpenterOperator;
import dev.karpenter.operator.OperatorConfig;
import dev.karpenter.state.NodeClaims;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code karpenter demo}: the GPU guide end to end on this machine. Brings up the local control
 * plane (or uses $KUBECONFIG), installs the CRDs, applies the guide's node classes, NodePools and
 * sample workloads, runs the operator on the AWS provider against a private moto (EC2, SSM, IAM
 * emulator, with the project's fills for what moto lacks) or on the simulated cloud, and prints a
 * live timeline; on AWS also what EC2 holds: the launch templates and the instances' tags.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run the GPU guide on a local control plane, on the AWS provider against a private EC2"
            + " emulator (moto) or on the simulated cloud, and print the timeline: pod pending ->"
            + " NodeClaim -> CreateFleet -> node Ready -> pod Running.")
public final class DemoCommand implements Callable<Integer> {
  static final List<String> NAMESPACES = List.of("ml-training", "ml-serving");
  static final List<String> NODE_CLASSES =
      List.of(
          "examples/gpu-guide/03-gpu-ec2nodeclasses.yaml",
          "examples/companion/ec2nodeclasses.yaml");
  static final List<String> NODE_POOLS =
      List.of(
          "examples/gpu-guide/02-gpu-nodepools.yaml",
          "examples/gpu-guide/06-multi-arch-and-inferentia.yaml");
  static final List<String> WORKLOADS =
      List.of(
          "examples/gpu-guide/10-training-cluster.yaml",
          "examples/gpu-guide/05-gpu-operator-workload.yaml",
          "examples/gpu-guide/11-inference-cluster.yaml",
          "demo/inferentia-pod.yaml");

  @Spec CommandSpec spec;

  @Option(
      names = "--cloud",
      defaultValue = "aws",
      description =
          "aws (the AWS provider on a private moto started with hack/moto.sh) or simulated"
              + " (default ${DEFAULT-VALUE})")
  String cloud;

  @Option(
      names = "--duration",
      defaultValue = "3m",
      description = "give up after this long (default ${DEFAULT-VALUE})")
  String duration;

  @Option(
      names = "--metrics-port",
      defaultValue = "8080",
      description =
          "port of /metrics while the demo runs (0 = any free port; default ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table or json (json ends with one JSON summary line)")
  String output;

  private PrintWriter out;
  private long startNanos;

  @Override
  public Integer call() throws Exception {
    if (!cloud.equals("aws") && !cloud.equals("simulated")) {
      throw new CliErrors.UserException("--cloud: '" + cloud + "' is not one of aws, simulated");
    }
    if (!output.equals("table") && !output.equals("json")) {
      throw new CliErrors.UserException("-o: '" + output + "' is not one of table, json");
    }
    Duration limit = ControllerCommand.duration("--duration", duration);
    out = spec.commandLine().getOut();
    startNanos = System.nanoTime();
    LocalControlPlane cluster = LocalControlPlane.startOrUse(this::say);
    try (cluster;
        KubernetesClient client = ControllerCommand.client(cluster.kubeconfig())) {
      return run(client, limit);
    }
  }

  private int run(KubernetesClient client, Duration limit) throws Exception {
    installCrds(client, this::say);
    for (String ns : NAMESPACES) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .serverSideApply();
    }
    applyAll(client, NODE_CLASSES);
    applyAll(client, NODE_POOLS);
    OperatorConfig config =
        ControllerCommand.config(metricsPort, "1s", "10s", "3s", "2s", "us-east-1");
    Timeline timeline = new Timeline();
    boolean aws = cloud.equals("aws");
    List<AutoCloseable> world = new ArrayList<>();
    try {
      AwsEmulator emulator = null;
      KarpenterOperator op;
      if (aws) {
        LocalMoto moto = LocalMoto.start(this::say);
        world.add(moto);
        emulator = new AwsEmulator(moto.endpoint());
        world.add(emulator);
        emulator.seed();
        say(
            "seeded moto with the guide's AWS side: subnets "
                + new TreeMap<>(emulator.subnets())
                + " and security group "
                + emulator.securityGroup()
                + " tagged karpenter.sh/discovery="
                + AwsEmulator.CLUSTER
                + ", role "
                + AwsEmulator.ROLE
                + ", EKS AL2023 AMIs (standard, NVIDIA, Neuron) and their SSM parameters");
        op =
            KarpenterOperator.aws(
                client,
                config,
                emulator.clients(),
                emulator.settings(
                    client.getConfiguration().getMasterUrl(), caBundle(client.getConfiguration())),
                Clock.systemUTC());
        world.add(op);
        world.add(
            new InstanceKubelet(
                    client, emulator.plainEc2(), Duration.ofSeconds(2), Clock.systemUTC())
                .start());
      } else {
        op = KarpenterOperator.simulated(client, config, Clock.systemUTC());
        world.add(op);
      }
      return run(client, limit, op, emulator, timeline);
    } finally {
      for (AutoCloseable c : world.reversed()) {
        try {
          c.close();
        } catch (Exception e) {
          say("stopping " + c.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }
    }
  }

  private int run(
      KubernetesClient client,
      Duration limit,
      KarpenterOperator op,
      AwsEmulator emulator,
      Timeline timeline)
      throws Exception {
    {
      op.start();
      say(
          "operator started ("
              + (emulator == null
                  ? "simulated cloud"
                  : "AWS provider: EC2, SSM, IAM on moto, Pricing GetProducts on the emulator")
              + ", us-east-1); metrics at http://127.0.0.1:"
              + op.metricsPort()
              + "/metrics");
      List<SharedIndexInformer<?>> watches = timeline.watch(client);
      say(
          "applying the guide's workloads: 4-pod training Job, Triton inference Deployment, LLM Deployment, Inferentia pod");
      say(
          "  (their PersistentVolumeClaim volumes become emptyDir: this cluster has no storage provisioner)");
      applyAll(client, WORKLOADS);
      long deadline = System.nanoTime() + limit.toNanos();
      while (System.nanoTime() < deadline && !timeline.allRunning(client)) {
        Thread.sleep(500);
      }
      watches.forEach(SharedIndexInformer::close);
      Summary s = timeline.summary(client, (SimulatedCloudProvider) null, op);
      Evidence evidence = null;
      if (emulator != null) {
        evidence = new Evidence(emulator.launchTemplates(), emulator.instances());
        printEvidence(evidence);
      }
      cleanup(client);
      if (emulator != null) {
        awaitTerminated(emulator);
      }
      printSummary(s, evidence);
      return s.podsPending() == 0 ? 0 : 1;
    }
  }

  /** What EC2 (moto) holds once every pod runs. */
  record Evidence(
      List<AwsEmulator.LaunchTemplateView> launchTemplates,
      List<AwsEmulator.InstanceView> instances) {}

  private void printEvidence(Evidence e) {
    say(
        "EC2 launch templates (DescribeLaunchTemplateVersions $Latest on moto): "
            + e.launchTemplates().size());
    for (var lt : e.launchTemplates()) {
      out.println("  launch template " + lt.name());
      out.println("    image            " + lt.imageId());
      out.println("    security groups  " + lt.securityGroups());
      out.println("    instance profile " + lt.instanceProfile());
      for (String d : lt.blockDevices()) {
        out.println("    block device     " + d);
      }
      out.println("    metadata options " + lt.metadataOptions());
      out.println("    tags             " + lt.tags());
      out.println("    userData:");
      lt.userData().lines().forEach(l -> out.println("      | " + elideCa(l)));
    }
    say("EC2 instances (DescribeInstances on moto): " + e.instances().size());
    for (var i : e.instances()) {
      out.printf(
          "  %-21s %-14s %-9s %-10s %-8s %s%n    tags %s%n",
          i.id(), i.type(), i.lifecycle(), i.zone(), i.state(), i.imageId(), i.tags());
    }
    out.flush();
  }

  /** The cluster CA is 1.5 kB of base64: show its start. */
  static String elideCa(String line) {
    var m =
        java.util.regex.Pattern.compile(
                "(certificateAuthority: \"[A-Za-z0-9+/]{24})([A-Za-z0-9+/=]+)\"")
            .matcher(line);
    return m.find()
        ? line.substring(0, m.start())
            + m.group(1)
            + "...\" ("
            + (24 + m.group(2).length())
            + " base64 characters)"
            + line.substring(m.end())
        : line;
  }

  /** The NodeClaims are gone; their instances must be too (no leak on moto). */
  private void awaitTerminated(AwsEmulator emulator) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<AwsEmulator.InstanceView> live;
    do {
      live =
          emulator.instances().stream()
              .filter(i -> !i.state().equals("terminated") && !i.state().equals("shutting-down"))
              .toList();
      if (live.isEmpty()) {
        break;
      }
      sleep(500);
    } while (System.nanoTime() < until);
    say(
        live.isEmpty()
            ? "moto: every instance of the cluster terminated"
            : "moto: instances still running after cleanup: "
                + live.stream().map(AwsEmulator.InstanceView::id).toList());
  }

  private static String caBundle(io.fabric8.kubernetes.client.Config cfg) {
    if (cfg.getCaCertData() != null) {
      return cfg.getCaCertData();
    }
    if (cfg.getCaCertFile() != null) {
      try {
        return java.util.Base64.getEncoder()
            .encodeToString(
                java.nio.file.Files.readAllBytes(java.nio.file.Path.of(cfg.getCaCertFile())));
      } catch (java.io.IOException e) {
        return null;
      }
    }
    return null;
  }

  record Claim(
      String name,
      String nodePool,
      String type,
      String capacityType,
      String zone,
      double price,
      String node,
      String providerId,
      boolean ready) {}

  record Summary(
      List<Claim> claims,
      int podsRunning,
      int podsPending,
      double pricePerHour,
      Double secondsToAllRunning) {}

  private void printSummary(Summary s, Evidence evidence) throws Exception {
    out.println();
    out.printf(
        "%-24s %-14s %-16s %-10s %-11s %9s %-6s %s%n",
        "NODECLAIM", "NODEPOOL", "TYPE", "CAPACITY", "ZONE", "$/H", "READY", "PROVIDERID");
    for (Claim c : s.claims()) {
      out.printf(
          "%-24s %-14s %-16s %-10s %-11s %9.4f %-6s %s%n",
          c.name(),
          c.nodePool(),
          c.type(),
          c.capacityType(),
          c.zone(),
          c.price(),
          c.ready(),
          c.providerId());
    }
    out.printf(
        "%n%d NodeClaims, %d pods Running, %d pending, $%.4f/h%s%n",
        s.claims().size(),
        s.podsRunning(),
        s.podsPending(),
        s.pricePerHour(),
        s.secondsToAllRunning() == null
            ? ""
            : String.format(", all pods Running after %.1f s", s.secondsToAllRunning()));
    if (output.equals("json")) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("cloud", cloud);
      json.put("nodeClaims", s.claims().size());
      json.put("podsRunning", s.podsRunning());
      json.put("podsPending", s.podsPending());
      json.put("pricePerHour", Math.round(s.pricePerHour() * 10000) / 10000.0);
      json.put(
          "secondsToAllRunning",
          s.secondsToAllRunning() == null ? null : Math.round(s.secondsToAllRunning() * 10) / 10.0);
      if (evidence != null) {
        json.put("claims", s.claims());
        json.put("launchTemplates", evidence.launchTemplates());
        json.put("instances", evidence.instances());
      }
      out.println(new ObjectMapper().writeValueAsString(json));
    }
    out.flush();
  }

  private void cleanup(KubernetesClient client) {
    say("cleaning up: workloads, NodePools (their nodes drain and terminate), node classes");
    for (String ns : NAMESPACES) {
      client.namespaces().withName(ns).delete();
    }
    for (String f : NODE_POOLS) {
      for (HasMetadata o : load(client, f)) {
        client.resource(o).delete();
      }
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until
        && !client.resources(NodeClaim.class).list().getItems().isEmpty()) {
      for (NodeClaim c : client.resources(NodeClaim.class).list().getItems()) {
        client.resource(c).delete();
      }
      sleep(500);
    }
    for (String f : NODE_CLASSES) {
      for (HasMetadata o : load(client, f)) {
        client.resource(o).delete();
      }
    }
    // Their finalizer deletes their launch templates and instance profiles while the operator runs.
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < until
        && !client.resources(EC2NodeClass.class).list().getItems().isEmpty()) {
      sleep(250);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void say(String line) {
    double t = (System.nanoTime() - startNanos) / 1e9;
    out.printf("%7.1fs  %s%n", t, line);
    out.flush();
  }

  static void installCrds(KubernetesClient client, java.util.function.Consumer<String> say) {
    for (String name :
        List.of(
            "nodepools.karpenter.sh-v1.yml",
            "nodeclaims.karpenter.sh-v1.yml",
            "ec2nodeclasses.karpenter.k8s.aws-v1.yml")) {
      try (InputStream in = resource("META-INF/fabric8/" + name)) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.resource(crd).forceConflicts().serverSideApply();
        client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(crd.getMetadata().getName())
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
      } catch (java.io.IOException e) {
        throw new CliErrors.UserException("reading CRD " + name + ": " + e.getMessage());
      }
    }
    say.accept(
        "installed CRDs nodepools.karpenter.sh, nodeclaims.karpenter.sh, ec2nodeclasses.karpenter.k8s.aws");
  }

  private static InputStream resource(String path) {
    InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(path);
    if (in == null) {
      throw new CliErrors.UserException(
          "the jar is missing " + path + "; rebuild with ./mvnw package");
    }
    return in;
  }

  static List<HasMetadata> load(KubernetesClient client, String path) {
    try (InputStream in = resource(path)) {
      return client.load(in).items();
    } catch (java.io.IOException e) {
      throw new CliErrors.UserException("reading " + path + ": " + e.getMessage());
    }
  }

  private void applyAll(KubernetesClient client, List<String> files) {
    for (String f : files) {
      for (HasMetadata o : load(client, f)) {
        if (o.getKind().equals("HorizontalPodAutoscaler")) {
          say(
              "skipping HorizontalPodAutoscaler "
                  + o.getMetadata().getName()
                  + " (no custom-metrics API here)");
          continue;
        }
        dropClaimVolumes(o);
        client.resource(o).forceConflicts().serverSideApply();
        say(
            "applied "
                + o.getKind()
                + " "
                + (o.getMetadata().getNamespace() == null
                    ? ""
                    : o.getMetadata().getNamespace() + "/")
                + o.getMetadata().getName()
                + "  ("
                + f.replace("examples/", "docs/examples/")
                + ")");
      }
    }
  }

  private static void dropClaimVolumes(HasMetadata o) {
    PodSpec spec = null;
    if (o instanceof Deployment d) {
      spec = d.getSpec().getTemplate().getSpec();
    } else if (o instanceof Job j) {
      spec = j.getSpec().getTemplate().getSpec();
    } else if (o instanceof Pod p) {
      spec = p.getSpec();
    }
    if (spec == null || spec.getVolumes() == null) {
      return;
    }
    for (Volume v : spec.getVolumes()) {
      if (v.getPersistentVolumeClaim() != null) {
        v.setPersistentVolumeClaim(null);
        v.setEmptyDir(new EmptyDirVolumeSource());
      }
    }
  }

  /** Prints pod / NodeClaim / node transitions as they happen. */
  final class Timeline {
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private volatile Double allRunningAt;

    List<SharedIndexInformer<?>> watch(KubernetesClient client) {
      List<SharedIndexInformer<?>> informers = new ArrayList<>();
      for (String ns : NAMESPACES) {
        informers.add(client.pods().inNamespace(ns).inform(handler(this::pod)));
      }
      informers.add(client.resources(NodeClaim.class).inform(handler(this::claim)));
      informers.add(client.resources(EC2NodeClass.class).inform(handler(this::nodeClass)));
      return informers;
    }

    private <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> f) {
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(T obj) {
          f.accept(obj);
        }

        @Override
        public void onUpdate(T o, T n) {
          f.accept(n);
        }

        @Override
        public void onDelete(T obj, boolean unknown) {}
      };
    }

    private boolean once(String key, String state) {
      return !state.equals(seen.put(key, state));
    }

    private void pod(Pod p) {
      String key = "pod " + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
      String phase = p.getStatus() == null ? "Pending" : p.getStatus().getPhase();
      if ("Running".equals(phase)) {
        if (once(key, "Running")) {
          say(key + "  Running on " + p.getSpec().getNodeName());
        }
      } else if (p.getSpec().getNodeName() == null
          && dev.karpenter.state.ClusterState.isProvisionable(p)) {
        if (once(key, "Pending")) {
          say(key + "  Pending: kube-scheduler found no node (" + reason(p) + ")");
        }
      }
    }

    private String reason(Pod p) {
      return p.getStatus().getConditions().stream()
          .filter(c -> "PodScheduled".equals(c.getType()))
          .map(c -> c.getMessage() == null ? c.getReason() : c.getMessage())
          .findFirst()
          .orElse("Unschedulable");
    }

    private void nodeClass(EC2NodeClass nc) {
      var st = nc.getStatus();
      if (st == null
          || st.getConditions() == null
          || st.getConditions().stream().noneMatch(c -> c.type().equals("Ready") && c.isTrue())
          || !once("ec2nodeclass " + nc.getMetadata().getName(), "Ready")) {
        return;
      }
      say(
          "ec2nodeclass "
              + nc.getMetadata().getName()
              + "  Ready: subnets "
              + (st.getSubnets() == null
                  ? "[]"
                  : st.getSubnets().stream().map(x -> x.id() + "/" + x.zone()).toList())
              + ", security groups "
              + (st.getSecurityGroups() == null
                  ? "[]"
                  : st.getSecurityGroups().stream().map(x -> x.id()).toList())
              + ", AMIs "
              + (st.getAmis() == null ? "[]" : st.getAmis().stream().map(x -> x.id()).toList())
              + ", instance profile "
              + st.getInstanceProfile());
    }

    private void claim(NodeClaim c) {
      String key = "nodeclaim " + c.getMetadata().getName();
      Map<String, String> l =
          c.getMetadata().getLabels() == null ? Map.of() : c.getMetadata().getLabels();
      if (once(key + "/created", "yes")) {
        say(key + "  created for NodePool " + l.get(Labels.NODEPOOL));
      }
      if (NodeClaims.isTrue(c, NodeClaims.LAUNCHED) && once(key + "/launched", "yes")) {
        say(
            key
                + "  launched "
                + l.get(Labels.INSTANCE_TYPE)
                + " "
                + l.get(Labels.CAPACITY_TYPE)
                + " in "
                + l.get(Labels.ZONE)
                + " ("
                + c.getStatus().getProviderID()
                + ")");
      }
      if (NodeClaims.isTrue(c, NodeClaims.REGISTERED) && once(key + "/registered", "yes")) {
        say(key + "  node " + c.getStatus().getNodeName() + " registered");
      }
      if (NodeClaims.isTrue(c, NodeClaims.INITIALIZED) && once(key + "/ready", "yes")) {
        say(
            key
                + "  node "
                + c.getStatus().getNodeName()
                + " Ready and initialized (accelerators advertised)");
      }
    }

    boolean allRunning(KubernetesClient client) {
      List<Pod> pods = new ArrayList<>();
      for (String ns : NAMESPACES) {
        pods.addAll(client.pods().inNamespace(ns).list().getItems());
      }
      boolean all =
          !pods.isEmpty()
              && pods.size() >= 10
              && pods.stream()
                  .allMatch(
                      p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
      if (all && allRunningAt == null) {
        allRunningAt = (System.nanoTime() - startNanos) / 1e9;
        say("all " + pods.size() + " pods Running");
      }
      return all;
    }

    Summary summary(KubernetesClient client, SimulatedCloudProvider unused, KarpenterOperator op) {
      List<Claim> claims = new ArrayList<>();
      double total = 0;
      Map<String, Double> prices = new TreeMap<>();
      if (op.cloud() != null) {
        for (NodeClaim c : client.resources(NodeClaim.class).list().getItems()) {
          Map<String, String> l =
              c.getMetadata().getLabels() == null ? Map.of() : c.getMetadata().getLabels();
          double price = price(l);
          total += price;
          claims.add(
              new Claim(
                  c.getMetadata().getName(),
                  l.getOrDefault(Labels.NODEPOOL, ""),
                  l.getOrDefault(Labels.INSTANCE_TYPE, "?"),
                  l.getOrDefault(Labels.CAPACITY_TYPE, "?"),
                  l.getOrDefault(Labels.ZONE, "?"),
                  price,
                  c.getStatus() == null ? null : c.getStatus().getNodeName(),
                  c.getStatus() == null ? null : c.getStatus().getProviderID(),
                  NodeClaims.isTrue(c, NodeClaims.READY)));
        }
      }
      int running = 0;
      int pending = 0;
      for (String ns : NAMESPACES) {
        for (Pod p : client.pods().inNamespace(ns).list().getItems()) {
          if (p.getStatus() != null && "Running".equals(p.getStatus().getPhase())) {
            running++;
          } else {
            pending++;
          }
        }
      }
      return new Summary(claims, running, pending, total, allRunningAt);
    }

    private double price(Map<String, String> l) {
      var t =
          dev.karpenter.cloudprovider.aws.catalog.Catalog.load("us-east-1")
              .get(l.getOrDefault(Labels.INSTANCE_TYPE, ""));
      if (t.isEmpty()) {
        return 0;
      }
      return t.get().offerings().stream()
          .filter(
              o ->
                  o.zone().equals(l.get(Labels.ZONE))
                      && o.capacityType().equals(l.get(Labels.CAPACITY_TYPE)))
          .mapToDouble(o -> o.price())
          .findFirst()
          .orElse(0);
    }
  }
}
