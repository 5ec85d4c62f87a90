package dev.karpenter.cloudprovider.aws.catalog;

import static dev.karpenter.api.v1.Labels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.cloudprovider.InstanceType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelsTest {
  private static final Catalog CATALOG = Catalog.load("us-east-1");

  private static Map<String, String> labels(String name) {
    return CATALOG.get(name).orElseThrow().labels();
  }

  private static void assertLabels(Map<String, String> expected, Map<String, String> actual) {
    expected.forEach((k, v) -> assertEquals(v, actual.get(k), k));
  }

  @Test
  void p5() {
    assertLabels(
        Map.of(
            INSTANCE_TYPE, "p5.48xlarge",
            INSTANCE_CATEGORY, "p",
            INSTANCE_FAMILY, "p5",
            INSTANCE_GENERATION, "5",
            INSTANCE_SIZE, "48xlarge",
            INSTANCE_CPU, "192",
            INSTANCE_MEMORY, "2097152",
            INSTANCE_GPU_NAME, "h100",
            INSTANCE_GPU_MANUFACTURER, "nvidia",
            INSTANCE_GPU_COUNT, "8"),
        labels("p5.48xlarge"));
    assertLabels(
        Map.of(
            INSTANCE_GPU_MEMORY, "81920",
            INSTANCE_LOCAL_NVME, "30400",
            INSTANCE_NETWORK_BANDWIDTH, "3200000",
            INSTANCE_EBS_BANDWIDTH, "80000",
            INSTANCE_HYPERVISOR, "nitro",
            ARCH, "amd64",
            OS, "linux",
            REGION, "us-east-1"),
        labels("p5.48xlarge"));
  }

  @Test
  void trn1() {
    Map<String, String> l = labels("trn1.32xlarge");
    assertLabels(
        Map.of(
            INSTANCE_CATEGORY, "trn",
            INSTANCE_FAMILY, "trn1",
            INSTANCE_GENERATION, "1",
            INSTANCE_ACCELERATOR_NAME, "trainium",
            INSTANCE_ACCELERATOR_MANUFACTURER, "aws",
            INSTANCE_ACCELERATOR_COUNT, "16",
            INSTANCE_CPU, "128"),
        l);
    assertFalse(l.containsKey(INSTANCE_GPU_NAME));
    assertFalse(l.containsKey(INSTANCE_GPU_COUNT));
  }

  @Test
  void inf2UsesNeuronNotInferenceAcceleratorInfo() {
    assertLabels(
        Map.of(
            INSTANCE_ACCELERATOR_NAME, "inferentia2",
            INSTANCE_ACCELERATOR_MANUFACTURER, "aws",
            INSTANCE_ACCELERATOR_COUNT, "12",
            INSTANCE_FAMILY, "inf2"),
        labels("inf2.48xlarge"));
  }

  @Test
  void m7gIsArmGravitonWithoutAccelerators() {
    Map<String, String> l = labels("m7g.large");
    assertLabels(
        Map.of(
            ARCH, "arm64",
            INSTANCE_CPU_MANUFACTURER, "aws",
            INSTANCE_CATEGORY, "m",
            INSTANCE_GENERATION, "7",
            INSTANCE_CPU, "2",
            INSTANCE_MEMORY, "8192",
            INSTANCE_CPU_SUSTAINED_CLOCK_SPEED_MHZ, "2600",
            INSTANCE_NETWORK_BANDWIDTH, "937"),
        l);
    for (String absent :
        new String[] {
          INSTANCE_GPU_NAME, INSTANCE_GPU_COUNT, INSTANCE_ACCELERATOR_NAME, INSTANCE_LOCAL_NVME
        }) {
      assertFalse(l.containsKey(absent), absent + " should be DoesNotExist");
    }
  }

  @Test
  void g5() {
    assertLabels(
        Map.of(
            INSTANCE_GPU_NAME, "a10g",
            INSTANCE_GPU_MANUFACTURER, "nvidia",
            INSTANCE_GPU_COUNT, "1",
            INSTANCE_GPU_MEMORY, "22888",
            INSTANCE_FAMILY, "g5",
            INSTANCE_SIZE, "xlarge",
            INSTANCE_CPU_MANUFACTURER, "amd"),
        labels("g5.xlarge"));
  }

  @Test
  void p3FromTheSupplementIsV100OnXen() {
    Map<String, String> l = labels("p3.8xlarge");
    assertLabels(
        Map.of(
            INSTANCE_GPU_NAME, "v100",
            INSTANCE_GPU_COUNT, "4",
            INSTANCE_GPU_MEMORY, "16384",
            INSTANCE_HYPERVISOR, "xen",
            INSTANCE_GENERATION, "3"),
        l);
    assertEquals(
        "4",
        CATALOG.get("p3.8xlarge").orElseThrow().capacity().toQuantities().get("nvidia.com/gpu"));
  }

  @Test
  void categoryRegexSkipsMemorySizeInHighMemoryNames() {
    assertLabels(
        Map.of(INSTANCE_CATEGORY, "u", INSTANCE_GENERATION, "1", INSTANCE_FAMILY, "u-3tb1"),
        labels("u-3tb1.56xlarge"));
  }

  @Test
  void flexFamiliesAreMarked() {
    assertEquals("true", labels("c7i-flex.large").get(INSTANCE_CAPABILITY_FLEX));
    assertEquals("false", labels("c7i.large").get(INSTANCE_CAPABILITY_FLEX));
  }

  @Test
  void fractionalGpuReportsCountZeroAndNoGpuResource() {
    InstanceType t = CATALOG.get("g6f.xlarge").orElseThrow();
    assertEquals("0", t.labels().get(INSTANCE_GPU_COUNT));
    assertEquals(0, t.capacity().get("nvidia.com/gpu"));
  }

  @Test
  void everyLabelKeyIsWellKnownAndNoneIsPerOffering() {
    for (InstanceType t : CATALOG.instanceTypes()) {
      for (String k : t.labels().keySet()) {
        assertTrue(ALL.contains(k), t.name() + ": " + k);
        assertFalse(PER_OFFERING.contains(k), t.name() + ": " + k);
      }
    }
  }

  @Test
  void numericLabelsHoldIntegers() {
    for (InstanceType t : CATALOG.instanceTypes()) {
      t.labels()
          .forEach(
              (k, v) -> {
                if (NUMERIC.contains(k)) {
                  assertTrue(v.matches("\\d+"), t.name() + " " + k + "=" + v);
                }
              });
    }
  }

  @Test
  void bareMetalHasNoHypervisorLabel() {
    assertFalse(labels("m7g.metal").containsKey(INSTANCE_HYPERVISOR));
  }

  @Test
  void categoryAndGenerationFollowKarpentersPattern() {
    assertEquals(
        List.of("u", "7"),
        List.of(InstanceTypeResolver.categoryAndGeneration("u7i-12tb.224xlarge")));
    assertEquals(
        List.of("p", "6"), List.of(InstanceTypeResolver.categoryAndGeneration("p6-b300.48xlarge")));
    assertEquals(
        List.of("hpc", "7"), List.of(InstanceTypeResolver.categoryAndGeneration("hpc7a.96xlarge")));
    assertEquals(null, InstanceTypeResolver.categoryAndGeneration("weird.large"));
  }
}
