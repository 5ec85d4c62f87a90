package dev.karpenter.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.cloudprovider.simulated.SimulatedCloudProvider;
import dev.karpenter.packaging.Chart;
import dev.karpenter.testing.DedicatedCluster;
import dev.karpenter.testing.Harness;
import dev.karpenter.testing.Tools;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, checked against the API server itself: the chart's ServiceAccount and RBAC
 * (rendered by Helm, applied as is) on a control plane of its own with an audit policy that logs
 * every request of that ServiceAccount; the operator runs with a TokenRequest token of it (nothing
 * else) through provisioning, pods running, and termination with eviction. Then the audit log must
 * hold no 403, and every (group, resource, verb) the chart grants must have been used, except the
 * few below whose code paths this run does not reach (each named with its caller).
 *
 * <p>This is the source of truth for the chart's RBAC: after a change to what the controllers call,
 * run {@code ./mvnw -B verify -Dit.test=RbacLeastPrivilegeIT} and adjust
 * helm/karpenter/templates/clusterrole*.yaml and role.yaml.
 */
@Tag("local-cluster")
@Tag("tools")
class RbacLeastPrivilegeIT {
  static final String SA = "system:serviceaccount:kube-system:karpenter";
  static final ObjectMapper JSON = new ObjectMapper();

  /** Granted but not reached by this run; the caller that needs it. */
  static final Map<String, String> NOT_REACHED =
      Map.of(
          "kube-system coordination.k8s.io/leases:update",
          "JOSDK LeaderElectionManager checks at start (SelfSubjectRulesReview) that it may update"
              + " the Lease and refuses to start otherwise; fabric8 then renews by patch",
          "karpenter.sh/nodeclaims:delete",
          "NodeClaimLifecycleReconciler: deletes a NodeClaim whose launch or registration timed"
              + " out (registrationTtl, launchTtl)");

  @Test
  void theChartsServiceAccountRunsTheWholeProvisioningPathWithoutAForbiddenCallOrAnUnusedRule()
      throws Exception {
    Path dir = Harness.buildDir("rbac-cluster");
    Files.createDirectories(dir);
    Path policy = dir.resolve("audit-policy.yaml");
    Path audit = dir.resolve("audit.log");
    Files.deleteIfExists(audit);
    Files.writeString(
        policy,
        """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
          - level: Metadata
            users: ["%s"]
          - level: None
        """
            .formatted(SA));
    String rendered = Chart.template(Tools.helm4(), "--set", "settings.clusterName=rbac-it");
    List<HasMetadata> rbac =
        Chart.objects(rendered).stream()
            .filter(
                o ->
                    Set.of(
                            "ServiceAccount",
                            "ClusterRole",
                            "ClusterRoleBinding",
                            "Role",
                            "RoleBinding")
                        .contains(o.getKind()))
            .toList();
    try (DedicatedCluster cluster =
        DedicatedCluster.start(
            "rbac-cluster",
            false,
            "--audit-policy-file="
                + policy
                + " --audit-log-path="
                + audit
                + " --audit-log-format=json")) {
      KubernetesClient admin = cluster.client();
      E2E.installCrds(admin);
      for (HasMetadata o : rbac) {
        admin.resource(o).forceConflicts().serverSideApply();
      }
      TokenRequest tr =
          admin
              .serviceAccounts()
              .inNamespace("kube-system")
              .withName("karpenter")
              .tokenRequest(
                  new TokenRequestBuilder()
                      .withNewSpec()
                      .withExpirationSeconds(3600L)
                      .endSpec()
                      .build());
      Config adminConfig = admin.getConfiguration();
      Config saConfig =
          new ConfigBuilder()
              .withMasterUrl(adminConfig.getMasterUrl())
              .withCaCertData(adminConfig.getCaCertData())
              .withOauthToken(tr.getStatus().getToken())
              .build();
      try (KubernetesClient sa = new KubernetesClientBuilder().withConfig(saConfig).build()) {
        runProvisioningAndTermination(admin, sa);
      }
    }
    List<JsonNode> events = new ArrayList<>();
    for (String line : Files.readAllLines(audit)) {
      JsonNode e = JSON.readTree(line);
      if (SA.equals(e.path("user").path("username").asText())) {
        events.add(e);
      }
    }
    assertTrue(events.size() > 50, "the audit log holds the operator's requests: " + events.size());
    List<String> forbidden =
        events.stream()
            .filter(e -> e.path("responseStatus").path("code").asInt() == 403)
            .map(RbacLeastPrivilegeIT::describe)
            .distinct()
            .sorted()
            .toList();
    assertEquals(
        List.of(), forbidden, "requests of the chart's ServiceAccount the API server forbade");

    Set<String> used =
        events.stream()
            .filter(e -> e.has("objectRef"))
            .flatMap(
                e -> {
                  String k = key(e.path("objectRef"), e.path("verb").asText());
                  String ns = e.path("objectRef").path("namespace").asText("");
                  return ns.isEmpty()
                      ? java.util.stream.Stream.of(k)
                      : java.util.stream.Stream.of(k, ns + " " + k);
                })
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> granted = new TreeSet<>();
    for (HasMetadata o : rbac) {
      List<PolicyRule> rules =
          o instanceof ClusterRole cr && !o.getMetadata().getName().endsWith("-admin")
              ? cr.getRules()
              : o instanceof Role r ? r.getRules() : List.of();
      // A Role's grant counts as used only by requests in its namespace.
      String scope = o instanceof Role ? o.getMetadata().getNamespace() + " " : "";
      for (PolicyRule rule : rules) {
        assertFalse(rule.getVerbs().contains("*"), o.getMetadata().getName() + ": verb *");
        assertFalse(rule.getResources().contains("*"), o.getMetadata().getName() + ": resource *");
        assertFalse(rule.getApiGroups().contains("*"), o.getMetadata().getName() + ": group *");
        for (String g : rule.getApiGroups()) {
          for (String r : rule.getResources()) {
            for (String v : rule.getVerbs()) {
              granted.add(scope + g + "/" + r + ":" + v);
            }
          }
        }
      }
    }
    List<String> unused =
        granted.stream().filter(g -> !used.contains(g) && !NOT_REACHED.containsKey(g)).toList();
    assertEquals(
        List.of(),
        unused,
        "rules of the chart the operator never used (remove them, or name the caller in"
            + " NOT_REACHED); used: "
            + used);
    List<String> stale = NOT_REACHED.keySet().stream().filter(k -> !granted.contains(k)).toList();
    assertEquals(List.of(), stale, "NOT_REACHED entries the chart no longer grants");
  }

  /** Provisioning for a Deployment, pods Running, then NodeClaims deleted (drain, eviction). */
  private static void runProvisioningAndTermination(KubernetesClient admin, KubernetesClient sa) {
    OperatorConfig config =
        E2E.config("rbac-it", "karpenter-leader-election")
            .withTimeouts(Duration.ofMinutes(15), Duration.ofMinutes(5));
    SimulatedCloudProvider cloud = E2E.cloud(sa, config);
    try (KarpenterOperator operator = E2E.operator(sa, config, cloud)) {
      String ns = "rbac-it";
      String pool = "rbac-it";
      E2E.nodePool(admin, pool, List.of("m5.large", "m5.xlarge"), List.of("on-demand"), null);
      E2E.namespace(admin, ns);
      admin
          .resource(E2E.deployment(ns, "app", 3, "500m", Map.of("karpenter.sh/nodepool", pool)))
          .create();
      E2E.await("the operator to lead", Duration.ofSeconds(60), operator::isLeader);
      E2E.await(
          "3 pods Running on provisioned nodes",
          Duration.ofSeconds(120),
          () -> E2E.pods(admin, ns, "app").stream().filter(E2E::running).count() == 3);
      // The simulated kubelets renew their node Leases (get, then update) on a timer.
      var leases = admin.leases().inNamespace("kube-node-lease");
      java.util.Map<String, java.time.ZonedDateTime> first = new java.util.HashMap<>();
      leases
          .list()
          .getItems()
          .forEach(l -> first.put(l.getMetadata().getName(), l.getSpec().getRenewTime()));
      E2E.await(
          "a node Lease renewal",
          Duration.ofSeconds(90),
          () ->
              leases.list().getItems().stream()
                  .anyMatch(
                      l ->
                          first.containsKey(l.getMetadata().getName())
                              && !l.getSpec()
                                  .getRenewTime()
                                  .equals(first.get(l.getMetadata().getName()))));
      // Termination with pods on the nodes: cordon, evict, delete the node, drop the finalizer.
      // The NodePool goes first so the evicted (recreated) pods do not get new NodeClaims.
      admin.resources(dev.karpenter.api.v1.NodePool.class).withName(pool).delete();
      admin.resources(NodeClaim.class).withLabel("karpenter.sh/nodepool", pool).delete();
      E2E.await(
          "the NodeClaims to terminate",
          Duration.ofSeconds(120),
          () -> E2E.claims(admin, pool).isEmpty());
      E2E.cleanUp(admin, ns, List.of(pool));
    } finally {
      cloud.close();
    }
  }

  static String key(JsonNode ref, String verb) {
    String sub = ref.path("subresource").asText("");
    return ref.path("apiGroup").asText("")
        + "/"
        + ref.path("resource").asText()
        + (sub.isEmpty() ? "" : "/" + sub)
        + ":"
        + verb;
  }

  static String describe(JsonNode e) {
    return e.path("verb").asText()
        + " "
        + e.path("requestURI").asText().replaceAll("\\?.*", "")
        + " -> "
        + e.path("responseStatus").path("message").asText();
  }

  static String read(Path p) throws IOException {
    return Files.readString(p);
  }
}
