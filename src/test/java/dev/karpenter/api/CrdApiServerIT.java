package dev.karpenter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.validation.CrdSchemas;
import dev.karpenter.api.validation.FieldError;
import dev.karpenter.api.validation.ManifestValidator;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The generated CRDs on a real kube-apiserver (fabric8 kube-api-test, binaries provisioned by
 * hack/provision-k8s.sh): the guide's and workshop's manifests are accepted and read back with
 * Karpenter's defaults, and every invalid manifest is rejected with a message naming its field.
 * Offline {@code karpenter validate} must agree with the server on every one of them.
 */
@EnableKubeAPIServer
class CrdApiServerIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ManifestValidator OFFLINE = new ManifestValidator(CrdSchemas.bundled());

  @BeforeAll
  static void installCrds() throws IOException {
    for (Path f : Manifests.yamlFiles(Manifests.CRDS)) {
      try (var in = new FileInputStream(f.toFile())) {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
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
                                    x.getType().equals("Established")
                                        && x.getStatus().equals("True")),
                60,
                TimeUnit.SECONDS);
      }
    }
  }

  private static JsonNode create(JsonNode doc) {
    GenericKubernetesResource r = JSON.convertValue(doc, GenericKubernetesResource.class);
    GenericKubernetesResource created = client.resource(r).create();
    return JSON.valueToTree(created);
  }

  private static void delete(JsonNode doc) {
    GenericKubernetesResource r = JSON.convertValue(doc, GenericKubernetesResource.class);
    client.resource(r).delete();
  }

  @TestFactory
  Stream<DynamicTest> guideAndWorkshopManifestsAreAccepted() {
    List<JsonNode> docs =
        Manifests.documents(Manifests.GPU_GUIDE, Manifests.WORKSHOP, Manifests.COMPANION).stream()
            .filter(d -> d.path("apiVersion").asText().startsWith("karpenter."))
            .toList();
    assertTrue(docs.size() >= 13, "expected the guide's NodePools and EC2NodeClasses");
    return docs.stream()
        .map(
            d ->
                DynamicTest.dynamicTest(
                    d.path("kind").asText() + " " + d.at("/metadata/name").asText(),
                    () -> {
                      ManifestValidator.ObjectResult offline = OFFLINE.validate(d).orElseThrow();
                      assertEquals(List.of(), offline.errors(), "offline validate disagrees");
                      JsonNode back = create(d);
                      try {
                        assertEquals(
                            d.at("/metadata/name").asText(), back.at("/metadata/name").asText());
                        if (d.path("kind").asText().equals("NodePool")) {
                          assertNodePoolDefaults(d, back);
                          NodePool typed = Serialization.unmarshal(back.toString(), NodePool.class);
                          assertNotNull(typed.getSpec().template().spec().nodeClassRef());
                        } else {
                          assertEc2NodeClassDefaults(d, back);
                          EC2NodeClass typed =
                              Serialization.unmarshal(back.toString(), EC2NodeClass.class);
                          assertFalse(typed.getSpec().amiSelectorTerms().isEmpty());
                        }
                      } finally {
                        delete(d);
                      }
                    }));
  }

  private static void assertNodePoolDefaults(JsonNode sent, JsonNode back) {
    String expire = sent.at("/spec/template/spec/expireAfter").asText("720h");
    assertEquals(expire, back.at("/spec/template/spec/expireAfter").asText());
    JsonNode disruption = back.at("/spec/disruption");
    String after = sent.at("/spec/disruption/consolidateAfter").asText("0s");
    assertEquals(after, disruption.path("consolidateAfter").asText());
    String policy =
        sent.at("/spec/disruption/consolidationPolicy").asText("WhenEmptyOrUnderutilized");
    assertEquals(policy, disruption.path("consolidationPolicy").asText());
    if (sent.at("/spec/disruption/budgets").isMissingNode()) {
      assertEquals("[{\"nodes\":\"10%\"}]", disruption.path("budgets").toString());
    } else {
      assertEquals(sent.at("/spec/disruption/budgets").size(), disruption.path("budgets").size());
    }
  }

  private static void assertEc2NodeClassDefaults(JsonNode sent, JsonNode back) {
    JsonNode md = back.at("/spec/metadataOptions");
    assertEquals(
        sent.at("/spec/metadataOptions/httpEndpoint").asText("enabled"),
        md.path("httpEndpoint").asText());
    assertEquals("disabled", md.path("httpProtocolIPv6").asText());
    assertEquals(
        sent.at("/spec/metadataOptions/httpPutResponseHopLimit").asInt(1),
        md.path("httpPutResponseHopLimit").asInt());
    assertEquals(
        sent.at("/spec/metadataOptions/httpTokens").asText("required"),
        md.path("httpTokens").asText());
  }

  @Test
  void consolidationFragmentOfTheGuideIsAcceptedInsideANodePool() throws IOException {
    JsonNode np =
        Manifests.documents(Manifests.GPU_GUIDE.resolve("07-cost-optimization.yaml"))
            .get(0)
            .deepCopy();
    JsonNode fragment =
        new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
            .readTree(
                Files.readString(Manifests.GPU_GUIDE.resolve("07-consolidation-policy.fragment")));
    ((ObjectNode) np.path("spec")).set("disruption", fragment.path("disruption"));
    ((ObjectNode) np.path("metadata")).put("name", "fragment-check");
    JsonNode back = create(np);
    try {
      assertEquals("WhenEmpty", back.at("/spec/disruption/consolidationPolicy").asText());
      assertEquals("0 9 * * MON-FRI", back.at("/spec/disruption/budgets/1/schedule").asText());
    } finally {
      delete(np);
    }
  }

  @TestFactory
  Stream<DynamicTest> invalidManifestsAreRejectedNamingTheirField() {
    List<Path> files = Manifests.yamlFiles(Manifests.INVALID);
    assertTrue(files.size() >= 40, "the invalid corpus has " + files.size() + " files");
    return files.stream()
        .map(
            f ->
                DynamicTest.dynamicTest(
                    f.getFileName().toString(),
                    () -> {
                      Manifests.Expectation e = Manifests.expectation(f);
                      JsonNode doc = Manifests.documents(f).get(0);
                      List<StatusCause> causes = rejection(doc);
                      String message = describe(causes);
                      assertTrue(
                          message.contains(e.field()),
                          f.getFileName()
                              + ": expected the field "
                              + e.field()
                              + " in: "
                              + message);
                      assertTrue(
                          message.contains(e.message()),
                          f.getFileName() + ": expected '" + e.message() + "' in: " + message);
                      assertEquals(
                          e.fields(),
                          fields(causes),
                          f.getFileName() + ": the # field / # also headers name every field");
                      assertOfflineAgrees(doc, causes);
                    }));
  }

  /**
   * JOSDK adds its finalizer with a server-side apply that carries only the finalizer. Sent for a
   * NodeClaim deleted a moment before (a stale event), it must not create an empty NodeClaim that
   * nothing ever removes, as it did when the schema did not require spec.
   */
  @Test
  void aFinalizerOnlyApplyDoesNotResurrectADeletedNodeClaim() {
    GenericKubernetesResource claim =
        Serialization.unmarshal(
            """
            apiVersion: karpenter.sh/v1
            kind: NodeClaim
            metadata:
              name: resurrect-me
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              requirements:
              - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
            """,
            GenericKubernetesResource.class);
    client.resource(claim).create();
    client.resource(claim).withTimeout(30, TimeUnit.SECONDS).delete();
    GenericKubernetesResource finalizerOnly = new GenericKubernetesResource();
    finalizerOnly.setApiVersion("karpenter.sh/v1");
    finalizerOnly.setKind("NodeClaim");
    finalizerOnly.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("resurrect-me")
            .withFinalizers("karpenter.sh/termination")
            .build());
    KubernetesClientException rejected =
        org.junit.jupiter.api.Assertions.assertThrows(
            KubernetesClientException.class,
            () ->
                client
                    .resource(finalizerOnly)
                    .fieldManager("nodeclaimlifecyclereconciler")
                    .serverSideApply());
    assertEquals(422, rejected.getCode(), rejected.getMessage());
    assertTrue(rejected.getMessage().contains("spec: Required value"), rejected.getMessage());
    assertEquals(
        null,
        client
            .genericKubernetesResources("karpenter.sh/v1", "NodeClaim")
            .withName("resurrect-me")
            .get(),
        "no NodeClaim was created");
  }

  @Test
  void kubectlShowsKarpenterColumnsAndFieldDescriptions() throws Exception {
    JsonNode np = Manifests.documents(Manifests.GPU_GUIDE.resolve("02-gpu-nodepools.yaml")).get(0);
    create(np);
    try {
      String table = kubectl("get", "nodepools");
      String header = table.lines().findFirst().orElseThrow();
      assertEquals(
          List.of("NAME", "NODECLASS", "NODES", "READY", "AGE"),
          List.of(header.trim().split("\\s+")));
      assertTrue(table.contains("gpu-general") && table.contains("gpu-optimized"), table);
      String wide = kubectl("get", "nodepools", "-o", "wide").lines().findFirst().orElseThrow();
      assertEquals(
          List.of("NAME", "NODECLASS", "NODES", "READY", "AGE", "WEIGHT", "CPU", "MEMORY"),
          List.of(wide.trim().split("\\s+")));
      String claims = kubectl("get", "nodeclaims").trim();
      assertEquals("No resources found", claims);
      String explain = kubectl("explain", "nodepool.spec.disruption.budgets");
      assertTrue(explain.contains("most nodes that may be disrupted at once"), explain);
      assertTrue(explain.contains("cron expression in UTC"), explain);
      assertTrue(kubectl("get", "ec2nc").contains("No resources found"));
      assertTrue(kubectl("get", "karpenter").contains("gpu-general"));
    } finally {
      delete(np);
    }
  }

  /** Runs the kubectl that kube-api-test uses against this API server; returns stdout+stderr. */
  static String kubectl(String... args) throws Exception {
    Path kubeconfig = Files.createTempFile("kubeconfig", ".yaml");
    Files.writeString(kubeconfig, kubeConfigYaml);
    Path bin =
        Path.of(
            System.getProperty("user.home"),
            ".kubeapitest/k8s",
            System.getenv().getOrDefault("KUBE_API_TEST_API_SERVER_VERSION", "1.33.13")
                + "-linux-amd64",
            "kubectl");
    List<String> cmd =
        new ArrayList<>(List.of(bin.toString(), "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    Files.deleteIfExists(kubeconfig);
    return out;
  }

  /**
   * The same fields and messages from {@code karpenter validate} as from the server. The server's
   * "rules not checked" cause has the field {@code <nil>}; offline it is the error without a path.
   */
  private static void assertOfflineAgrees(JsonNode doc, List<StatusCause> causes) {
    Set<String> server = new TreeSet<>();
    causes.forEach(c -> server.add(c.getField() + ": " + c.getMessage()));
    Set<String> offline = new TreeSet<>();
    for (FieldError e : OFFLINE.validate(doc).orElseThrow().errors()) {
      offline.add((e.path() == null ? "<nil>" : e.path().field()) + ": " + e.body());
    }
    assertEquals(server, offline, "karpenter validate and the API server disagree");
  }

  private static Set<String> fields(List<StatusCause> causes) {
    Set<String> out = new TreeSet<>();
    causes.stream().map(StatusCause::getField).filter(f -> !"<nil>".equals(f)).forEach(out::add);
    return out;
  }

  private static String describe(List<StatusCause> causes) {
    List<String> lines = new ArrayList<>();
    causes.forEach(c -> lines.add(c.getField() + ": " + c.getMessage()));
    return String.join("\n", lines);
  }

  /** Creates the object, expecting a rejection; returns the causes the API server names. */
  static List<StatusCause> rejection(JsonNode doc) {
    try {
      create(doc);
    } catch (KubernetesClientException ex) {
      if (ex.getStatus() == null || ex.getStatus().getDetails() == null) {
        fail("the API server rejected without causes: " + ex.getMessage());
      }
      return ex.getStatus().getDetails().getCauses();
    }
    delete(doc);
    fail("the API server accepted " + doc.at("/metadata/name").asText());
    return List.of();
  }
}
