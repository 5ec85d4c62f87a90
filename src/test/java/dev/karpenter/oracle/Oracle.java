package dev.karpenter.oracle;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.NodeClaimPlan;
import dev.karpenter.provisioning.scheduling.Scheduler;
import dev.karpenter.provisioning.scheduling.SchedulingResult;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one workload: our plan, its static properties, then the plan materialized as Nodes on a real
 * control plane and the workload's pods, each pinned by a required {@code kubernetes.io/hostname}
 * term to the node we planned, so the real kube-scheduler checks every other constraint of the pod
 * against that node. Pods we called unschedulable are spot-checked on a node of the cheapest
 * compatible type of some NodePool.
 */
final class Oracle {
  static final String RUN_LABEL = "karpenter.test/oracle";
  private static final Duration SETTLE = Duration.ofSeconds(3);
  private static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final Scheduler scheduler;
  private final PlanChecks checks;
  private boolean namespaceReady;

  /** {@code client} null: static properties only. */
  Oracle(KubernetesClient client, Scheduler scheduler, List<InstanceType> types) {
    this.client = client;
    this.scheduler = scheduler;
    this.checks = new PlanChecks(types);
  }

  record Outcome(Workload workload, SchedulingResult plan, List<Violation> violations) {
    boolean passed() {
      return violations.isEmpty();
    }
  }

  Outcome run(Workload w, boolean useCluster) {
    SchedulingResult plan = scheduler.solve(w.input());
    List<Violation> v = new ArrayList<>(checks.check(w, plan));
    List<PlanChecks.Candidate> candidates = new ArrayList<>();
    for (Pod p : w.pods()) {
      if (plan.unschedulable().containsKey(PlanChecks.key(p))) {
        PlanChecks.Candidate c = checks.unschedulableCandidate(w, plan, p);
        if (c != null) {
          candidates.add(c);
        }
      }
    }
    if (useCluster && client != null) {
      try {
        v.addAll(onCluster(w, plan, candidates));
      } finally {
        cleanUp(w.tag());
      }
    } else {
      for (PlanChecks.Candidate c : candidates) {
        v.add(
            new Violation(
                "unschedulable-but-fits-statically",
                describe(c) + "; we said: " + plan.unschedulable().get(PlanChecks.key(c.pod()))));
      }
    }
    return new Outcome(w, plan, v);
  }

  private static String describe(PlanChecks.Candidate c) {
    return PlanChecks.key(c.pod())
        + " fits NodePool "
        + c.pool().name()
        + " as "
        + c.type().name()
        + " "
        + c.offering().zone()
        + "/"
        + c.offering().capacityType();
  }

  private List<Violation> onCluster(
      Workload w, SchedulingResult plan, List<PlanChecks.Candidate> candidates) {
    ensureNamespace();
    List<Violation> v = new ArrayList<>();
    String tag = w.tag();
    for (PlanChecks.PlannedNode n : checks.plannedNodes(w, plan)) {
      createNode(tag, n.name(), n.labels(), n.taints(), n.allocatable(), capacityOf(w, plan, n));
    }
    for (ExistingNode n : w.nodes()) {
      for (Pod p : n.pods()) {
        create(tag, p);
      }
    }
    for (int i = 0; i < plan.nodeClaims().size(); i++) {
      NodeClaimPlan c = plan.nodeClaims().get(i);
      String name = PlanChecks.claimName(w, i);
      Map<String, String> labels = checks.plannedNodes(w, plan).get(w.nodes().size() + i).labels();
      for (var d : w.daemonSets()) {
        if (PodMatch.daemonSetFits(d, labels, c.taints())) {
          create(tag, PodMatch.daemonPod(d, name));
        }
      }
    }
    Map<String, String> expected = new LinkedHashMap<>();
    plan.existingNodes().forEach((n, ps) -> ps.forEach(p -> expected.put(p, n)));
    for (int i = 0; i < plan.nodeClaims().size(); i++) {
      for (String p : plan.nodeClaims().get(i).pods()) {
        expected.put(p, PlanChecks.claimName(w, i));
      }
    }
    Map<String, Pod> byKey = new HashMap<>();
    w.pods().forEach(p -> byKey.put(PlanChecks.key(p), p));
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Pod p = byKey.get(e.getKey());
      if (p != null) {
        create(tag, pin(p, e.getValue()));
      }
    }
    Map<String, Pod> seen = await(tag, expected.keySet());
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Pod p = seen.get(e.getKey());
      String bound = p == null ? null : p.getSpec().getNodeName();
      if (!e.getValue().equals(bound)) {
        v.add(
            new Violation(
                "not-bound",
                e.getKey()
                    + " planned on "
                    + e.getValue()
                    + " ("
                    + typeOf(w, plan, e.getValue())
                    + ") did not bind: "
                    + schedulerMessage(p)));
      }
    }
    int u = 0;
    for (PlanChecks.Candidate c : candidates) {
      if (u >= 5) {
        break;
      }
      String node = tag + "-u" + u++;
      Map<String, String> labels =
          WorkloadGenerator.nodeLabels(c.type(), c.offering(), c.pool(), node);
      createNode(
          tag,
          node,
          labels,
          c.pool().taints(),
          c.type().allocatable().milli(),
          c.type().capacity().milli());
      for (var d : w.daemonSets()) {
        if (PodMatch.daemonSetFits(d, labels, c.pool().taints())) {
          create(tag, PodMatch.daemonPod(d, node));
        }
      }
      String k = PlanChecks.key(c.pod());
      create(tag, pin(c.pod(), node));
      Pod p = await(tag, List.of(k)).get(k);
      if (p != null && node.equals(p.getSpec().getNodeName())) {
        v.add(
            new Violation(
                "unschedulable-but-fits",
                describe(c)
                    + " and kube-scheduler binds it there; we said: "
                    + plan.unschedulable().get(k)));
      }
    }
    return v;
  }

  private String typeOf(Workload w, SchedulingResult plan, String node) {
    for (int i = 0; i < plan.nodeClaims().size(); i++) {
      if (PlanChecks.claimName(w, i).equals(node)) {
        NodeClaimPlan c = plan.nodeClaims().get(i);
        return c.nodePool() + " " + c.instanceType() + " " + c.zone() + "/" + c.capacityType();
      }
    }
    return "existing node";
  }

  private Map<String, Long> capacityOf(
      Workload w, SchedulingResult plan, PlanChecks.PlannedNode n) {
    for (int i = 0; i < plan.nodeClaims().size(); i++) {
      if (PlanChecks.claimName(w, i).equals(n.name())) {
        return checks.type(plan.nodeClaims().get(i).instanceType()).capacity().milli();
      }
    }
    return n.allocatable();
  }

  /** A copy that only {@code node} can take: hostname In [node] joins every required term. */
  static Pod pin(Pod p, String node) {
    var hostname =
        new NodeSelectorRequirementBuilder()
            .withKey(Labels.HOSTNAME)
            .withOperator("In")
            .withValues(node)
            .build();
    Pod copy = new PodBuilder(p).build();
    var spec = copy.getSpec();
    List<NodeSelectorTerm> terms = new ArrayList<>();
    var aff = spec.getAffinity();
    if (aff != null
        && aff.getNodeAffinity() != null
        && aff.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
      for (NodeSelectorTerm t :
          aff.getNodeAffinity()
              .getRequiredDuringSchedulingIgnoredDuringExecution()
              .getNodeSelectorTerms()) {
        terms.add(new NodeSelectorTermBuilder(t).addToMatchExpressions(hostname).build());
      }
    } else {
      terms.add(new NodeSelectorTermBuilder().addToMatchExpressions(hostname).build());
    }
    return new PodBuilder(copy)
        .editSpec()
        .editOrNewAffinity()
        .editOrNewNodeAffinity()
        .withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .withNodeSelectorTerms(terms)
        .endRequiredDuringSchedulingIgnoredDuringExecution()
        .endNodeAffinity()
        .endAffinity()
        .endSpec()
        .build();
  }

  private void ensureNamespace() {
    if (namespaceReady) {
      return;
    }
    String ns = WorkloadGenerator.NAMESPACE;
    if (client.namespaces().withName(ns).get() == null) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (client.serviceAccounts().inNamespace(ns).withName("default").get() == null) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("no default service account in namespace " + ns);
      }
      sleep(200);
    }
    namespaceReady = true;
  }

  private void createNode(
      String tag,
      String name,
      Map<String, String> labels,
      List<Taint> taints,
      Map<String, Long> allocatable,
      Map<String, Long> capacity) {
    Map<String, String> l = new LinkedHashMap<>(labels);
    l.put(RUN_LABEL, tag);
    client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(l)
                .endMetadata()
                .withNewSpec()
                .withTaints(taints)
                .endSpec()
                .build())
        .create();
    Node node = new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
    String now = Instant.now().toString();
    node.setStatus(
        new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
            .withCapacity(quantities(capacity))
            .withAllocatable(quantities(allocatable))
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withMessage("materialized by the scheduling oracle")
            .withLastHeartbeatTime(now)
            .withLastTransitionTime(now)
            .endCondition()
            .build());
    client.nodes().resource(node).patchStatus();
  }

  private static Map<String, Quantity> quantities(Map<String, Long> milli) {
    Map<String, Quantity> q = new LinkedHashMap<>();
    new dev.karpenter.scheduling.Resources(milli)
        .toQuantities()
        .forEach((k, v) -> q.put(k, new Quantity(v)));
    return q;
  }

  private void create(String tag, Pod p) {
    Pod copy =
        new PodBuilder(p)
            .editMetadata()
            .addToLabels(RUN_LABEL, tag)
            .withResourceVersion(null)
            .endMetadata()
            .withStatus(null)
            .build();
    client.pods().inNamespace(p.getMetadata().getNamespace()).resource(copy).create();
  }

  /** Waits until every pod is bound, or has stayed unbindable with no progress for a while. */
  private Map<String, Pod> await(String tag, java.util.Collection<String> keys) {
    Instant deadline = Instant.now().plus(MAX_WAIT);
    Instant lastProgress = Instant.now();
    int lastBound = -1;
    while (true) {
      Map<String, Pod> seen = new HashMap<>();
      for (Pod p :
          client
              .pods()
              .inNamespace(WorkloadGenerator.NAMESPACE)
              .withLabel(RUN_LABEL, tag)
              .list()
              .getItems()) {
        seen.put(PlanChecks.key(p), p);
      }
      int bound = 0;
      boolean allDecided = true;
      for (String k : keys) {
        Pod p = seen.get(k);
        if (p != null && p.getSpec().getNodeName() != null) {
          bound++;
        } else if (scheduled(p) == null) {
          allDecided = false;
        }
      }
      if (bound == keys.size()) {
        return seen;
      }
      if (bound != lastBound) {
        lastBound = bound;
        lastProgress = Instant.now();
      }
      Instant now = Instant.now();
      if (now.isAfter(deadline) || (allDecided && now.isAfter(lastProgress.plus(SETTLE)))) {
        return seen;
      }
      sleep(200);
    }
  }

  private static PodCondition scheduled(Pod p) {
    if (p == null || p.getStatus() == null) {
      return null;
    }
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) {
        return c;
      }
    }
    return null;
  }

  private static String schedulerMessage(Pod p) {
    PodCondition c = scheduled(p);
    return c == null ? "no decision from kube-scheduler in time" : c.getMessage();
  }

  void cleanUp(String tag) {
    if (client == null) {
      return;
    }
    client
        .pods()
        .inNamespace(WorkloadGenerator.NAMESPACE)
        .withLabel(RUN_LABEL, tag)
        .withGracePeriod(0)
        .delete();
    client.nodes().withLabel(RUN_LABEL, tag).delete();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (Instant.now().isBefore(deadline)
        && !(client
                .pods()
                .inNamespace(WorkloadGenerator.NAMESPACE)
                .withLabel(RUN_LABEL, tag)
                .list()
                .getItems()
                .isEmpty()
            && client.nodes().withLabel(RUN_LABEL, tag).list().getItems().isEmpty())) {
      sleep(100);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
