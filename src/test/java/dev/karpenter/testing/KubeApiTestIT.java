package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** fabric8 kube-api-test 7.5.2 runs offline on the provisioned kube-apiserver and etcd. */
@Tag("kube-api-test")
@ExtendWith(KubeApiTestBinaries.class)
@EnableKubeAPIServer
class KubeApiTestIT {
  static KubernetesClient client;

  @Test
  void apiServerReportsTheProvisionedRelease() {
    assertEquals(
        System.getenv("KUBE_API_TEST_API_SERVER_VERSION"),
        client.getKubernetesVersion().getGitVersion().substring(1));
  }

  @Test
  void celValidationRuleOfACrdRejectsAnInvalidObject() {
    CustomResourceDefinition crd =
        new CustomResourceDefinitionBuilder()
            .withNewMetadata()
            .withName("pools.test.karpenter.dev")
            .endMetadata()
            .withNewSpec()
            .withGroup("test.karpenter.dev")
            .withScope("Cluster")
            .withNewNames()
            .withKind("Pool")
            .withPlural("pools")
            .withSingular("pool")
            .endNames()
            .addNewVersion()
            .withName("v1")
            .withServed(true)
            .withStorage(true)
            .withNewSchema()
            .withOpenAPIV3Schema(
                new JSONSchemaPropsBuilder()
                    .withType("object")
                    .addToProperties(
                        "spec",
                        new JSONSchemaPropsBuilder()
                            .withType("object")
                            .addToProperties(
                                "minValues",
                                new JSONSchemaPropsBuilder().withType("integer").build())
                            .addToXKubernetesValidations(
                                new ValidationRuleBuilder()
                                    .withRule("self.minValues <= 50")
                                    .withMessage("minValues must be at most 50")
                                    .build())
                            .build())
                    .build())
            .endSchema()
            .endVersion()
            .endSpec()
            .build();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .withName(crd.getMetadata().getName())
        .waitUntilCondition(
            c ->
                c.getStatus() != null
                    && c.getStatus().getConditions().stream()
                        .anyMatch(
                            k -> "Established".equals(k.getType()) && "True".equals(k.getStatus())),
            30,
            TimeUnit.SECONDS);
    ResourceDefinitionContext pools =
        new ResourceDefinitionContext.Builder()
            .withGroup("test.karpenter.dev")
            .withVersion("v1")
            .withPlural("pools")
            .withKind("Pool")
            .withNamespaced(false)
            .build();
    GenericKubernetesResource invalid =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("test.karpenter.dev/v1")
            .withKind("Pool")
            .withNewMetadata()
            .withName("too-many")
            .endMetadata()
            .withAdditionalProperties(Map.of("spec", Map.of("minValues", 51)))
            .build();

    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () -> client.genericKubernetesResources(pools).resource(invalid).create());
    assertEquals(422, e.getCode());
    assertTrue(e.getMessage().contains("minValues must be at most 50"), e.getMessage());
  }
}
