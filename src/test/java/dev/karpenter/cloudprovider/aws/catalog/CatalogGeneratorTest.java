package dev.karpenter.cloudprovider.aws.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogGeneratorTest {
  private static final Path DATA =
      Path.of(System.getProperty("karpenter.awsData", "../shared/data/aws"));
  private static final Path COMMITTED = Path.of("src/main/resources/catalog/catalog.bin.gz");

  @TempDir Path tmp;

  @Test
  void regeneratingFromReferenceDataReproducesTheCommittedResourceByteForByte() throws IOException {
    assumeTrue(
        Files.isDirectory(DATA),
        "reference data not found at " + DATA.toAbsolutePath() + " (-Dkarpenter.awsData=DIR)");
    CatalogData data =
        CatalogGenerator.generate(
            List.of(
                DATA.resolve("describe-instance-types.json"),
                DATA.resolve("describe-instance-types-supplement.json")),
            Map.of(
                "us-east-1", List.of(DATA.resolve("offerings-az-us-east-1.json")),
                "us-west-2", List.of(DATA.resolve("offerings-az-us-west-2.json"))),
            List.of(DATA.resolve("on-demand-prices.json")));
    Path out = tmp.resolve("catalog.bin.gz");
    CatalogGenerator.write(data, out);
    assertArrayEquals(
        Files.readAllBytes(COMMITTED),
        Files.readAllBytes(out),
        "run hack/generate-catalog.sh and commit the result");
  }

  @Test
  void roundTripsThroughBytes() throws IOException {
    CatalogData data = generateFromLiveApiPages();
    CatalogData back = CatalogData.read(new ByteArrayInputStream(data.toBytes()));
    assertEquals(data, back);
  }

  @Test
  void acceptsLiveAwsApiPages() throws IOException {
    CatalogData data = generateFromLiveApiPages();
    Catalog c = Catalog.of(data, "eu-central-1");
    InstanceType g5 = c.get("g5.xlarge").orElseThrow();
    assertEquals("a10g", g5.labels().get(Labels.INSTANCE_GPU_NAME));
    assertEquals("eu-central-1", g5.labels().get(Labels.REGION));
    // 4 ENIs on the default card x (10 IPv4 - 1) + 2
    assertEquals("38", g5.allocatable().toQuantities().get("pods"));
    Offering od =
        g5.offerings().stream()
            .filter(o -> o.capacityType().equals("on-demand") && o.zone().equals("eu-central-1b"))
            .findFirst()
            .orElseThrow();
    assertEquals(1.258, od.price());
    assertTrue(!c.isPriceEstimated(od));
    // The Windows and dedicated-host products in the page are not Linux shared-tenancy prices.
    assertEquals(Map.of("g5.xlarge", 1.258), data.regions().get("eu-central-1").onDemandPrices());
  }

  @Test
  void malformedJsonNamesFileAndLine() throws IOException {
    Path bad = tmp.resolve("types.json");
    Files.writeString(bad, "{\n  \"InstanceTypes\": [\n    {\"InstanceType\": }\n  ]\n}\n");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CatalogGenerator.generate(List.of(bad), Map.of("r", List.of(bad)), List.of(bad)));
    assertTrue(e.getMessage().startsWith(bad + ": line 3 column"), e.getMessage());
  }

  @Test
  void missingFieldNamesFileTypeAndField() throws IOException {
    Path types = tmp.resolve("types.json");
    Files.writeString(
        types,
        "{\"InstanceTypes\": [{\"InstanceType\": \"x1.large\", \"ProcessorInfo\":"
            + " {\"SupportedArchitectures\": [\"x86_64\"]}, \"VCpuInfo\": {\"DefaultVCpus\": 2},"
            + " \"NetworkInfo\": {\"Ipv4AddressesPerInterface\": 10}}]}");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CatalogGenerator.generate(List.of(types), Map.of("r", List.of(types)), List.of()));
    assertEquals(types + ": x1.large: MemoryInfo.SizeInMiB is missing", e.getMessage());
  }

  @Test
  void offeringInAnotherRegionIsRejected() throws IOException {
    Path types = writeLivePages().get(0);
    Path offerings = tmp.resolve("offerings.json");
    Files.writeString(
        offerings, "[{\"InstanceType\": \"g5.xlarge\", \"Location\": \"us-east-1a\"}]");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CatalogGenerator.generate(
                    List.of(types),
                    Map.of("eu-central-1", List.of(offerings)),
                    List.of(writeLivePages().get(2))));
    assertTrue(
        e.getMessage().contains("zone 'us-east-1a' is not in region 'eu-central-1'"),
        e.getMessage());
  }

  private CatalogData generateFromLiveApiPages() throws IOException {
    List<Path> files = writeLivePages();
    return CatalogGenerator.generate(
        List.of(files.get(0)),
        Map.of("eu-central-1", List.of(files.get(1))),
        List.of(files.get(2)));
  }

  /**
   * Pages as `aws ec2 describe-instance-types`, `describe-instance-type-offerings` and `aws pricing
   * get-products` print them.
   */
  private List<Path> writeLivePages() throws IOException {
    Path types = tmp.resolve("describe-instance-types.json");
    Files.writeString(
        types,
        """
        {"InstanceTypes": [{
          "InstanceType": "g5.xlarge", "BareMetal": false, "Hypervisor": "nitro",
          "SupportedUsageClasses": ["on-demand", "spot"], "SupportedVirtualizationTypes": ["hvm"],
          "ProcessorInfo": {"SupportedArchitectures": ["x86_64"], "Manufacturer": "AMD", "SustainedClockSpeedInGhz": 3.3},
          "VCpuInfo": {"DefaultVCpus": 4}, "MemoryInfo": {"SizeInMiB": 16384},
          "InstanceStorageInfo": {"TotalSizeInGB": 250, "NvmeSupport": "required"},
          "EbsInfo": {"EbsOptimizedSupport": "default", "EbsOptimizedInfo": {"MaximumBandwidthInMbps": 3500}},
          "NetworkInfo": {"Ipv4AddressesPerInterface": 10, "MaximumNetworkInterfaces": 4, "DefaultNetworkCardIndex": 0,
            "NetworkCards": [{"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 4, "BaselineBandwidthInGbps": 2.5}]},
          "GpuInfo": {"Gpus": [{"Name": "A10G", "Manufacturer": "NVIDIA", "Count": 1, "MemoryInfo": {"SizeInMiB": 24576}}]}
        }], "NextToken": null}
        """);
    Path offerings = tmp.resolve("describe-instance-type-offerings.json");
    Files.writeString(
        offerings,
        """
        {"InstanceTypeOfferings": [
          {"InstanceType": "g5.xlarge", "LocationType": "availability-zone", "Location": "eu-central-1b"},
          {"InstanceType": "g5.xlarge", "LocationType": "availability-zone", "Location": "eu-central-1a"}
        ]}
        """);
    String linux =
        product("Linux", "Shared", "Compute Instance", "1.2580000000").replace("\"", "\\\"");
    String windows =
        product("Windows", "Shared", "Compute Instance", "2.0780000000").replace("\"", "\\\"");
    String dedicated =
        product("Linux", "Dedicated", "Compute Instance", "1.3840000000").replace("\"", "\\\"");
    Path prices = tmp.resolve("get-products.json");
    Files.writeString(
        prices,
        "{\"FormatVersion\": \"aws_v1\", \"PriceList\": [\""
            + windows
            + "\", \""
            + linux
            + "\", \""
            + dedicated
            + "\"]}");
    return List.of(types, offerings, prices);
  }

  private static String product(String os, String tenancy, String family, String usd) {
    return """
        {"product": {"productFamily": "%s", "attributes": {"instanceType": "g5.xlarge",
          "regionCode": "eu-central-1", "operatingSystem": "%s", "tenancy": "%s",
          "preInstalledSw": "NA", "capacitystatus": "Used"}},
         "terms": {"OnDemand": {"ABC.JRTCKXETXF": {"priceDimensions": {"ABC.JRTCKXETXF.6YS6EN2CT7":
          {"unit": "Hrs", "pricePerUnit": {"USD": "%s"}}}}}}}
        """
        .formatted(family, os, tenancy, usd)
        .replace("\n", " ");
  }
}
