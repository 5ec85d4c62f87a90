package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
  static final String GUIDE = "docs/examples/gpu-guide/";
  static final String SIM = "docs/examples/simulate/";

  static JsonNode json(String... files) throws Exception {
    List<String> args = new ArrayList<>(List.of("simulate", "-o", "json"));
    for (String f : files) {
      args.add("-f");
      args.add(f);
    }
    CliRunner.Result r = CliRunner.run(args.toArray(new String[0]));
    assertEquals(0, r.exitCode(), r.err());
    return new ObjectMapper().readTree(r.out());
  }

  @Nested
  class JsonContract {
    @Test
    void topLevelFieldsArePresent() throws Exception {
      JsonNode d =
          json(
              GUIDE + "02-gpu-nodepools.yaml",
              GUIDE + "03-gpu-ec2nodeclasses.yaml",
              GUIDE + "05-gpu-operator-workload.yaml",
              "docs/examples/simulate/guide-volumes.yaml");
      List<String> fields = new ArrayList<>();
      d.fieldNames().forEachRemaining(fields::add);
      assertEquals(
          List.of("nodeClaims", "existingNodes", "unschedulable", "totalPricePerHour"), fields);
    }

    @Test
    void nodeClaimFieldsFollowTheContract() throws Exception {
      JsonNode c =
          json(
                  GUIDE + "02-gpu-nodepools.yaml",
                  GUIDE + "03-gpu-ec2nodeclasses.yaml",
                  GUIDE + "05-gpu-operator-workload.yaml",
                  "docs/examples/simulate/guide-volumes.yaml")
              .get("nodeClaims")
              .get(0);
      List<String> fields = new ArrayList<>();
      c.fieldNames().forEachRemaining(fields::add);
      assertEquals(
          List.of(
              "nodePool",
              "instanceType",
              "capacityType",
              "zone",
              "pricePerHour",
              "instanceTypeOptions",
              "labels",
              "taints",
              "pods",
              "explanation"),
          fields);
      assertEquals(c.get("instanceType").asText(), c.get("instanceTypeOptions").get(0).asText());
      assertTrue(c.get("instanceTypeOptions").size() <= 60);
    }

    @Test
    void controllerPodsAreNamedWithIndexAndNamespace() throws Exception {
      JsonNode d =
          json(
              GUIDE + "02-gpu-nodepools.yaml",
              GUIDE + "03-gpu-ec2nodeclasses.yaml",
              GUIDE + "05-gpu-operator-workload.yaml",
              "docs/examples/simulate/guide-volumes.yaml");
      Set<String> pods = new java.util.TreeSet<>();
      for (JsonNode c : d.get("nodeClaims")) {
        c.get("pods").forEach(p -> pods.add(p.asText()));
      }
      assertEquals(
          Set.of(
              "ml-serving/gpu-inference-server-0",
              "ml-serving/gpu-inference-server-1",
              "ml-serving/gpu-inference-server-2"),
          pods);
    }

    @Test
    void totalIsTheSumOfNodePrices() throws Exception {
      JsonNode d = json(SIM + "tiered-spot-inference.yaml", GUIDE + "07-cost-optimization.yaml");
      double sum = 0;
      for (JsonNode c : d.get("nodeClaims")) {
        sum += c.get("pricePerHour").asDouble();
      }
      assertEquals(sum, d.get("totalPricePerHour").asDouble(), 1e-4);
    }

    @Test
    void unschedulablePodsHaveReasonsAndExitZero() throws Exception {
      JsonNode d =
          json(
              GUIDE + "02-gpu-nodepools.yaml",
              GUIDE + "10-training-cluster.yaml",
              SIM + "guide-volumes.yaml",
              SIM + "neuron.yaml");
      // The trainium pod selects provisionerType=Karpenter, which only the workshop pool sets.
      JsonNode u = d.get("unschedulable");
      assertEquals(1, u.size());
      assertEquals("ml-training/trainium-llama", u.get(0).get("pod").asText());
      assertTrue(u.get(0).get("reason").asText().contains("label provisionerType is not defined"));
    }

    @Test
    void explanationNamesTheChoiceAndWhatRuledOutCheaperTypes() throws Exception {
      JsonNode c =
          json(
                  GUIDE + "02-gpu-nodepools.yaml",
                  GUIDE + "03-gpu-ec2nodeclasses.yaml",
                  GUIDE + "05-gpu-operator-workload.yaml",
                  SIM + "guide-volumes.yaml")
              .get("nodeClaims")
              .get(0);
      JsonNode e = c.get("explanation");
      assertTrue(
          e.get("chosen").asText().startsWith(c.get("instanceType").asText() + " "), e.toString());
      assertTrue(e.get("chosen").asText().contains("cheapest compatible offering"), e.toString());
      JsonNode cheaper = e.get("cheaperRuledOut");
      assertTrue(cheaper.size() > 0, e.toString());
      double price = c.get("pricePerHour").asDouble();
      int counted = 0;
      for (var it = e.get("cheaperRuledOutByCause").fields(); it.hasNext(); ) {
        counted += it.next().getValue().asInt();
      }
      assertTrue(counted >= cheaper.size());
      for (JsonNode o : cheaper) {
        assertTrue(o.get("pricePerHour").asDouble() < price, o.toString());
        assertFalse(o.get("reason").asText().isEmpty());
        assertTrue(
            Set.of(
                    "nodepool",
                    "requirement",
                    "offering",
                    "resources",
                    "limit",
                    "exotic",
                    "capacity-type",
                    "options")
                .contains(o.get("cause").asText()),
            o.toString());
        assertFalse(o.get("instanceType").asText().equals(c.get("instanceType").asText()));
      }
    }

    @Test
    void wideTableExplainsEachNodeClaim() {
      CliRunner.Result r =
          CliRunner.run(
              "simulate",
              "-o",
              "wide",
              "-f",
              GUIDE + "02-gpu-nodepools.yaml",
              "-f",
              GUIDE + "03-gpu-ec2nodeclasses.yaml",
              "-f",
              GUIDE + "05-gpu-operator-workload.yaml",
              "-f",
              SIM + "guide-volumes.yaml");
      assertEquals(0, r.exitCode(), r.err());
      assertTrue(r.out().contains("NodeClaim 1 ("), r.out());
      assertTrue(r.out().contains("cheapest compatible offering"), r.out());
    }

    @Test
    void podsWhosePersistentVolumeClaimIsMissingAreNotPlanned() throws Exception {
      JsonNode d = json(GUIDE + "02-gpu-nodepools.yaml", GUIDE + "10-training-cluster.yaml");
      JsonNode u = d.get("unschedulable");
      assertEquals(4, u.size(), u.toString());
      for (JsonNode e : u) {
        assertTrue(
            e.get("reason").asText().contains("PersistentVolumeClaim ml-training/"), e.toString());
      }
      assertEquals(0, d.get("nodeClaims").size());
    }

    @Test
    void boundPodsAndNodesBecomeExistingCapacity(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("cluster.yaml");
      Files.writeString(
          f,
          """
          apiVersion: v1
          kind: Node
          metadata:
            name: worker-1
            labels:
              kubernetes.io/arch: amd64
          status:
            allocatable: {cpu: "4", memory: 16Gi, pods: "20"}
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: running}
          spec:
            nodeName: worker-1
            containers: [{name: c, image: x, resources: {requests: {cpu: "3"}}}]
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: small}
          spec:
            containers: [{name: c, image: x, resources: {requests: {cpu: 500m}}}]
          """);
      JsonNode d = json(f.toString(), SIM + "multi-arch.yaml");
      JsonNode worker = d.get("existingNodes").get(0);
      assertEquals("worker-1", worker.get("name").asText());
      List<String> onWorker = new ArrayList<>();
      worker.get("pods").forEach(p -> onWorker.add(p.asText()));
      // Queue order is cpu then memory descending: the web pods (500m, 1Gi) come before "small"
      // (500m, no memory) and take the 1 cpu left on worker-1.
      assertEquals(List.of("default/web-0", "default/web-1"), onWorker);
    }
  }

  @Nested
  class Limits {
    @Test
    void existingNodesOfThePoolCountAgainstCpuAndNodesLimits(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("cluster.yaml");
      Files.writeString(
          f,
          """
          apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: capped}
          spec:
            limits: {cpu: "16", nodes: "1"}
            template:
              spec:
                nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
                requirements:
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
          ---
          apiVersion: v1
          kind: Node
          metadata:
            name: worker-1
            labels: {karpenter.sh/nodepool: capped, kubernetes.io/arch: amd64}
          status:
            capacity: {cpu: "8", memory: 32Gi, pods: "58"}
            allocatable: {cpu: "8", memory: 30Gi, pods: "58"}
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: running}
          spec:
            nodeName: worker-1
            containers: [{name: c, image: x, resources: {requests: {cpu: "7500m"}}}]
          ---
          apiVersion: v1
          kind: Pod
          metadata: {name: more}
          spec:
            containers: [{name: c, image: x, resources: {requests: {cpu: "2"}}}]
          """);
      JsonNode d = json(f.toString());
      assertEquals(0, d.get("nodeClaims").size(), d.toString());
      JsonNode u = d.get("unschedulable");
      assertEquals("default/more", u.get(0).get("pod").asText());
      assertTrue(u.get(0).get("reason").asText().contains("limit nodes=1"), u.toString());
    }
  }

  @Nested
  class Errors {
    @Test
    void badOperatorNamesFileLineAndField(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("np.yaml");
      Files.writeString(
          f,
          """
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: x}
          ---
          apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata:
            name: broken
          spec:
            template:
              spec:
                nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: d}
                requirements:
                  - key: karpenter.sh/capacity-type
                    operator: Maybe
                    values: [spot]
          """);
      CliRunner.Result r = CliRunner.run("simulate", "-f", f.toString());
      assertEquals(1, r.exitCode());
      // The API server's own check (api.validation), on the operator's line.
      assertTrue(
          r.err()
              .startsWith(
                  "error: "
                      + f
                      + ":15: NodePool broken: spec.template.spec.requirements[0].operator:"
                      + " Unsupported value: \"Maybe\""),
          r.err());
      assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void gtWithTextValueIsRejected(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("np.yaml");
      Files.writeString(
          f,
          """
          apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: gt}
          spec:
            template:
              spec:
                nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: d}
                requirements:
                  - key: karpenter.k8s.aws/instance-cpu
                    operator: Gt
                    values: [lots]
          """);
      CliRunner.Result r = CliRunner.run("simulate", "-f", f.toString());
      assertEquals(1, r.exitCode());
      assertEquals(
          "error: "
              + f
              + ":8: NodePool gt: spec.template.spec.requirements: Invalid value: \"array\":"
              + " requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive"
              + " integer value",
          r.err().strip());
    }

    @Test
    void badQuantityInDeploymentNamesTheDocument(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("d.yaml");
      Files.writeString(
          f,
          """
          # comment line
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web}
          spec:
            replicas: 2
            template:
              spec:
                containers: [{name: c, image: x, resources: {requests: {cpu: lots}}}]
          """);
      CliRunner.Result r = CliRunner.run("simulate", "-f", f.toString());
      assertEquals(1, r.exitCode());
      assertTrue(r.err().startsWith("error: " + f + ":2: Deployment web: "), r.err());
      assertTrue(r.err().contains("'lots'"), r.err());
    }

    @Test
    void yamlSyntaxErrorHasItsLine(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("bad.yaml");
      Files.writeString(f, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n");
      CliRunner.Result r = CliRunner.run("simulate", "-f", f.toString());
      assertEquals(1, r.exitCode());
      assertTrue(
          r.err()
              .matches(
                  "(?s)error: "
                      + java.util.regex.Pattern.quote(f.toString())
                      + ":\\d+: invalid YAML: .*"),
          r.err());
    }

    @Test
    void podBoundToUnknownNodeIsInvalid(@TempDir Path dir) throws Exception {
      Path f = dir.resolve("p.yaml");
      Files.writeString(
          f,
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  nodeName: ghost\n  containers: [{name: c, image: x}]\n");
      CliRunner.Result r = CliRunner.run("simulate", "-f", f.toString());
      assertEquals(1, r.exitCode());
      assertTrue(r.err().contains(f + ":1: Pod is bound to node ghost"), r.err());
    }

    @Test
    void missingFileIsInvalidInput() {
      CliRunner.Result r = CliRunner.run("simulate", "-f", "does/not/exist.yaml");
      assertEquals(1, r.exitCode());
      assertEquals("error: does/not/exist.yaml: no such file or directory", r.err().strip());
    }

    @Test
    void unknownOutputIsUsageError() {
      CliRunner.Result r = CliRunner.run("simulate", "-f", SIM + "neuron.yaml", "-o", "xml");
      assertEquals(2, r.exitCode());
    }

    @Test
    void missingFileOptionIsUsageError() {
      assertEquals(2, CliRunner.run("simulate").exitCode());
    }

    @Test
    void unknownRegionIsUsageError() {
      assertEquals(
          2, CliRunner.run("simulate", "-f", SIM + "neuron.yaml", "--region", "mars-1").exitCode());
    }
  }

  @Test
  void tableShowsNodesAndTotal() {
    CliRunner.Result r =
        CliRunner.run(
            "simulate", "-f", SIM + "neuron.yaml", "-f", "docs/examples/trainium-workshop/");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("NODEPOOL"), r.out());
    assertTrue(r.out().contains("trn1.2xlarge"), r.out());
    assertTrue(r.out().contains("inf2.xlarge"), r.out());
    assertTrue(r.out().contains("2 new node(s), 2 pod(s) scheduled, 0 unschedulable"), r.out());
  }

  @Test
  void benchSchedulingGateHoldsAndLastLineIsJson() throws Exception {
    CliRunner.Result r = CliRunner.run("bench", "scheduling", "--pods", "500", "--warmup", "0");
    assertEquals(0, r.exitCode(), r.err());
    String[] lines = r.out().strip().split("\n");
    JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
    assertEquals(500, j.get("pods").asInt());
    assertEquals(100, j.get("nodes").asInt());
    assertEquals(0, j.get("unschedulable").asInt());
    assertTrue(r.out().contains("PASS"));
  }

  @Test
  void benchWithoutSubcommandIsUsageError() {
    assertEquals(2, CliRunner.run("bench").exitCode());
  }
}
