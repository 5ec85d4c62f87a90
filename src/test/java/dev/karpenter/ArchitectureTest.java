package dev.karpenter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md, enforced. Floors only look down:
 *
 * <pre>
 *   cli, bench, simulate            entry points (simulate: the offline front of the CLI)
 *   operator                        wiring (JOSDK runtime, picks the provider and its controllers)
 *   controllers                     provisioning, nodeclaim.., node.., nodepool.., nodeclass..,
 *                                   disruption, metrics.controller (never each other)
 *   cloudprovider.aws.., .simulated providers (and the controllers they bring: .module is the
 *   .kubelet, .module               seam, .kubelet the kubelet stand-in they share)
 *   state, events                   the one cluster -&gt; snapshot translation; event recording
 *   metrics                         the registry: a leaf that the floors above call
 *   provisioning.scheduling,        the pure decision core over the snapshot
 *   disruption.decision
 *   cloudprovider                   the cloud seam and cloud-neutral instance types
 *   scheduling                      requirements algebra, resources, pods
 *   api..                           the v1 model, labels, validation
 * </pre>
 */
class ArchitectureTest {
  static final String ROOT = "dev.karpenter";
  private static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);
  }

  /** The layers and who may use them, as one rule so a planted upward dependency fails it. */
  static ArchRule layers() {
    return layeredArchitecture()
        .consideringOnlyDependenciesInAnyPackage(ROOT + "..")
        .withOptionalLayers(true)
        .layer("Entry")
        .definedBy(ROOT + ".cli..", ROOT + ".bench..", ROOT + ".simulate..")
        .layer("Operator")
        .definedBy(ROOT + ".operator..")
        .layer("Controllers")
        .definedBy(
            ROOT + ".provisioning",
            ROOT + ".nodeclaim..",
            ROOT + ".node..",
            ROOT + ".nodepool..",
            ROOT + ".nodeclass..",
            ROOT + ".disruption",
            ROOT + ".metrics.controller..")
        .layer("Providers")
        .definedBy(
            ROOT + ".cloudprovider.aws..",
            ROOT + ".cloudprovider.simulated..",
            ROOT + ".cloudprovider.kubelet..",
            ROOT + ".cloudprovider.module..")
        .layer("State")
        .definedBy(ROOT + ".state..", ROOT + ".events..")
        .layer("Metrics")
        .definedBy(ROOT + ".metrics")
        .layer("Decisions")
        .definedBy(ROOT + ".provisioning.scheduling..", ROOT + ".disruption.decision..")
        .layer("CloudSeam")
        .definedBy(ROOT + ".cloudprovider")
        .layer("Scheduling")
        .definedBy(ROOT + ".scheduling..")
        .layer("Api")
        .definedBy(ROOT + ".api..")
        .whereLayer("Entry")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("Operator")
        .mayOnlyBeAccessedByLayers("Entry")
        .whereLayer("Controllers")
        .mayOnlyBeAccessedByLayers("Entry", "Operator")
        .whereLayer("Providers")
        .mayOnlyBeAccessedByLayers("Entry", "Operator")
        .whereLayer("State")
        .mayOnlyBeAccessedByLayers("Entry", "Operator", "Controllers", "Providers")
        .whereLayer("Metrics")
        .mayOnlyBeAccessedByLayers("Entry", "Operator", "Controllers", "Providers", "State")
        .whereLayer("Decisions")
        .mayOnlyBeAccessedByLayers("Entry", "Operator", "Controllers", "Providers", "State")
        .whereLayer("CloudSeam")
        .mayOnlyBeAccessedByLayers(
            "Entry", "Operator", "Controllers", "Providers", "State", "Metrics", "Decisions");
  }

  /** No two packages depend on each other, directly or through others. */
  static ArchRule noCycles() {
    return slices().matching(ROOT + ".(**)").should().beFreeOfCycles();
  }

  @Test
  void floorsOnlyLookDown() {
    layers().check(classes);
  }

  @Test
  void noCyclesBetweenPackages() {
    noCycles().check(classes);
  }

  @Test
  void controllersDoNotUseEachOther() {
    String[] controllers = {
      ROOT + ".provisioning",
      ROOT + ".nodeclaim..",
      ROOT + ".node..",
      ROOT + ".nodepool..",
      ROOT + ".nodeclass..",
      ROOT + ".disruption",
      ROOT + ".metrics.controller.."
    };
    for (String c : controllers) {
      String[] others =
          java.util.Arrays.stream(controllers).filter(o -> !o.equals(c)).toArray(String[]::new);
      noClasses()
          .that()
          .resideInAPackage(c)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(others)
          .allowEmptyShould(true)
          .check(classes);
    }
  }

  @Test
  void decisionCoreDoesNotUseClientsOrSdks() {
    noClasses()
        .that()
        .resideInAnyPackage(
            ROOT + ".cloudprovider",
            ROOT + ".scheduling..",
            ROOT + ".provisioning.scheduling..",
            ROOT + ".disruption.decision..")
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
        .resideOutsideOfPackage(ROOT + ".cloudprovider.aws..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("software.amazon.awssdk..")
        .check(classes);
  }
}
