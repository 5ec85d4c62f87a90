package dev.karpenter.cloudprovider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExoticFilterTest {
  private static final Catalog CATALOG = Catalog.load("us-east-1");

  private static InstanceType t(String name) {
    return CATALOG.get(name).orElseThrow();
  }

  @Test
  void gpuNeuronAmdAndMetalAreExotic() {
    for (String name :
        List.of(
            "g4dn.xlarge",
            "p5.48xlarge",
            "g4ad.xlarge",
            "inf2.xlarge",
            "trn1.32xlarge",
            "m7g.metal")) {
      assertTrue(ExoticFilter.isExotic(t(name)), name);
    }
  }

  @Test
  void generalPurposeAndEfaOnlyTypesAreNot() {
    for (String name : List.of("m5.large", "m7g.large", "c7i.large", "c6in.32xlarge")) {
      assertFalse(ExoticFilter.isExotic(t(name)), name);
    }
  }

  @Test
  void genericTypesWinWhenPresent() {
    List<InstanceType> out =
        ExoticFilter.apply(List.of(t("g5.xlarge"), t("m5.xlarge"), t("m7g.metal")), false);
    assertEquals(List.of(t("m5.xlarge")), out);
  }

  @Test
  void exoticTypesAreKeptWhenNothingElseFits() {
    List<InstanceType> gpuOnly = List.of(t("g5.xlarge"), t("g4dn.xlarge"));
    assertEquals(gpuOnly, ExoticFilter.apply(gpuOnly, false));
  }

  @Test
  void minValuesDisablesTheFilter() {
    List<InstanceType> mixed = List.of(t("g5.xlarge"), t("m5.xlarge"));
    assertEquals(mixed, ExoticFilter.apply(mixed, true));
  }
}
