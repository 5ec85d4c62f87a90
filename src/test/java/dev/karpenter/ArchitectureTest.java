package dev.karpenter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decision core stays plain Java over values: no Kubernetes client, operator SDK or AWS SDK.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.karpenter");
  }

  @Test
  void decisionCoreDoesNotUseClientsOrSdks() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.karpenter.catalog..",
            "dev.karpenter.scheduling..",
            "dev.karpenter.provisioning.scheduling..",
            "dev.karpenter.disruption..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.fabric8.kubernetes.client..", "io.javaoperatorsdk..", "software.amazon.awssdk..")
        .allowEmptyShould(true)
        .check(classes);
  }

  @Test
  void onlyTheAwsCloudProviderUsesTheAwsSdk() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.karpenter.cloudprovider.aws..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("software.amazon.awssdk..")
        .check(classes);
  }
}
