package dev.karpenter.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.testing.Harness;
import dev.karpenter.testing.LocalClusterExtension;
import dev.karpenter.testing.Tools;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart with the real Helm 3 and Helm 4, promtool and the API server: lint, the schema and the
 * required setting fail with the field named, operator/ is the chart's current rendering and
 * applies with a server-side dry run, the PrometheusRule passes promtool, RBAC has no wildcard.
 */
@Tag("tools")
class ChartIT {
  static Path helm(String major) {
    return major.equals("3") ? Tools.helm3() : Tools.helm4();
  }

  @ParameterizedTest(name = "helm {0}")
  @ValueSource(strings = {"3", "4"})
  void bothChartsLint(String major) {
    for (String chart : List.of("helm/karpenter", "helm/karpenter-crd")) {
      List<String> args =
          new ArrayList<>(
              List.of("lint", "--strict", Harness.projectDir().resolve(chart).toString()));
      if (chart.equals("helm/karpenter")) {
        args.addAll(List.of("--set", "settings.clusterName=lint"));
      }
      Harness.Result r = Tools.run(helm(major), args.toArray(String[]::new));
      assertEquals(0, r.exitCode(), chart + ": " + r.stdout() + r.stderr());
      assertTrue(r.stdout().contains("1 chart(s) linted, 0 chart(s) failed"), r.stdout());
    }
  }

  @ParameterizedTest(name = "helm {0}")
  @ValueSource(strings = {"3", "4"})
  void aTypoInValuesFailsWithTheFieldNamed(String major) {
    Harness.Result r = render(helm(major), "--set", "settings.clusterName=x", "--set", "replica=3");
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderr().contains("replica"), r.stderr());
    Harness.Result nested =
        render(helm(major), "--set", "settings.clusterName=x", "--set", "settings.batchIdle=1s");
    assertNotEquals(0, nested.exitCode());
    assertTrue(nested.stderr().contains("batchIdle"), nested.stderr());
    Harness.Result badValue =
        render(
            helm(major),
            "--set",
            "settings.clusterName=x",
            "--set",
            "settings.batchMaxDuration=10");
    assertNotEquals(0, badValue.exitCode());
    assertTrue(badValue.stderr().contains("batchMaxDuration"), badValue.stderr());
  }

  @ParameterizedTest(name = "helm {0}")
  @ValueSource(strings = {"3", "4"})
  void clusterNameIsRequired(String major) {
    Harness.Result r = render(helm(major));
    assertNotEquals(0, r.exitCode());
    assertTrue(r.stderr().contains("settings.clusterName is required"), r.stderr());
  }

  @Test
  void operatorDirectoryIsTheChartsDefaultRendering() throws Exception {
    String rendered = Chart.template(Tools.helm4(), "--set", "settings.clusterName=my-cluster");
    String committed =
        Files.readString(Harness.projectDir().resolve("operator/200-karpenter.yaml"));
    assertTrue(
        committed.endsWith(rendered),
        "operator/200-karpenter.yaml is stale: regenerate with hack/generate-manifests.sh");
  }

  @Test
  void deploymentIsHardenedAndProbesHaveTheirOwnPort() {
    Deployment d =
        Chart.objects(Chart.template(Tools.helm4(), "--set", "settings.clusterName=x")).stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .findFirst()
            .orElseThrow();
    assertEquals(2, d.getSpec().getReplicas());
    var pod = d.getSpec().getTemplate().getSpec();
    var c = pod.getContainers().getFirst();
    assertEquals(65532L, c.getSecurityContext().getRunAsUser());
    assertTrue(c.getSecurityContext().getRunAsNonRoot());
    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
    assertEquals("/healthz", c.getLivenessProbe().getHttpGet().getPath());
    assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals("http", c.getReadinessProbe().getHttpGet().getPort().getStrVal());
    Map<String, Integer> ports = new java.util.HashMap<>();
    c.getPorts().forEach(p -> ports.put(p.getName(), p.getContainerPort()));
    assertEquals(Map.of("http-metrics", 8080, "http", 8081), ports);
    var expr =
        pod.getAffinity()
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()
            .getFirst()
            .getMatchExpressions()
            .getFirst();
    assertEquals("karpenter.sh/nodepool", expr.getKey());
    assertEquals("DoesNotExist", expr.getOperator());
  }

  @Test
  void rbacHasNoWildcard() {
    List<String> wildcards = new ArrayList<>();
    for (HasMetadata o :
        Chart.objects(Chart.template(Tools.helm4(), "--set", "settings.clusterName=x"))) {
      List<PolicyRule> rules =
          o instanceof ClusterRole cr ? cr.getRules() : o instanceof Role r ? r.getRules() : null;
      if (rules == null) {
        continue;
      }
      for (PolicyRule rule : rules) {
        for (List<String> l : List.of(rule.getVerbs(), rule.getResources(), rule.getApiGroups())) {
          if (l.contains("*")) {
            wildcards.add(o.getMetadata().getName() + ": " + rule);
          }
        }
      }
    }
    assertEquals(List.of(), wildcards);
  }

  @Test
  void prometheusRulePassesPromtool() throws Exception {
    String rendered =
        Chart.template(
            Tools.helm4(),
            "--set",
            "settings.clusterName=x",
            "--set",
            "prometheusRule.enabled=true",
            "--show-only",
            "templates/prometheusrule.yaml");
    HasMetadata rule = Chart.objects(rendered).getFirst();
    assertEquals("PrometheusRule", rule.getKind());
    // promtool reads plain rule files: the PrometheusRule's spec is one.
    var tree = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().valueToTree(rule);
    Path file = Harness.buildDir("promtool").resolve("karpenter-rules.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
            .writeValueAsString(tree.get("spec")));
    Path promtool = Path.of("/usr/bin/promtool");
    if (!Files.isExecutable(promtool)) {
      throw Harness.missing(
          "promtool (" + promtool + ")", "prometheus", "install Debian prometheus");
    }
    Harness.Result r =
        Harness.run(
            List.of(promtool.toString(), "check", "rules", file.toString()),
            Map.of(),
            Duration.ofMinutes(1));
    assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
    assertTrue(r.stdout().contains("SUCCESS: 3 rules found"), r.stdout());
  }

  static Harness.Result render(Path helm, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of("template", "karpenter", Chart.DIR.toString(), "-n", "kube-system"));
    all.addAll(List.of(args));
    return Tools.run(helm, all.toArray(String[]::new));
  }

  /**
   * operator/ applies with a server-side dry run (schema, admission) on the local control plane.
   */
  @Tag("local-cluster")
  @ExtendWith(LocalClusterExtension.class)
  @org.junit.jupiter.api.Nested
  class OnTheApiServer {
    @Test
    void operatorDirectoryAppliesWithAServerSideDryRun(dev.karpenter.testing.LocalCluster cluster) {
      Harness.Result r =
          Harness.run(
              List.of(
                  Tools.kubectl().toString(),
                  "--kubeconfig",
                  cluster.kubeconfig().toString(),
                  "apply",
                  "--dry-run=server",
                  "-f",
                  Harness.projectDir().resolve("operator").toString()),
              Map.of(),
              Duration.ofMinutes(2));
      assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
      assertTrue(
          r.stdout().contains("deployment.apps/karpenter created (server dry run)"), r.stdout());
    }
  }
}
