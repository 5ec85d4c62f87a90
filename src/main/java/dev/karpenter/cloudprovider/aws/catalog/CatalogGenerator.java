package dev.karpenter.cloudprovider.aws.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds {@link CatalogData} from EC2 API output. Accepts both the shapes in {@code
 * /work/shared/data/aws} and raw API/CLI pages, so a user with credentials can refresh any region:
 *
 * <ul>
 *   <li>instance types: {@code {"InstanceTypes": [...]}} pages (aws ec2 describe-instance-types), a
 *       JSON list of InstanceTypeInfo, or a map name -> InstanceTypeInfo;
 *   <li>offerings: {@code {"InstanceTypeOfferings": [...]}} pages with LocationType
 *       availability-zone, or a list of {@code {InstanceType, Location}};
 *   <li>prices: Pricing GetProducts pages {@code {"PriceList": [...]}} or {@code {"prices":
 *       {region: {type: usd}}}}.
 * </ul>
 *
 * Errors name the file and the offending record; malformed JSON names the line and column.
 */
public final class CatalogGenerator {
  /** Regions without their own price list borrow this one's, as Karpenter's static fallback. */
  public static final String FALLBACK_PRICE_REGION = "us-east-1";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private CatalogGenerator() {}

  /**
   * @param instanceTypeFiles DescribeInstanceTypes output, one or more pages
   * @param offeringFiles region -> DescribeInstanceTypeOfferings output for that region
   * @param priceFiles on-demand price files or GetProducts pages
   * @throws IllegalArgumentException naming the file and record for bad input
   */
  public static CatalogData generate(
      List<Path> instanceTypeFiles, Map<String, List<Path>> offeringFiles, List<Path> priceFiles)
      throws IOException {
    if (instanceTypeFiles.isEmpty()) {
      throw new IllegalArgumentException("no instance-type files given");
    }
    if (offeringFiles.isEmpty()) {
      throw new IllegalArgumentException("no offering files given (REGION=FILE)");
    }
    Map<String, InstanceShape> shapes = new TreeMap<>();
    Map<String, Path> seenIn = new HashMap<>();
    for (Path f : instanceTypeFiles) {
      for (JsonNode info : instanceTypeInfos(f, read(f))) {
        String name = info.path("InstanceType").asText("");
        if (name.isEmpty()) {
          throw new IllegalArgumentException(f + ": an entry has no InstanceType");
        }
        InstanceShape s = shape(f, info);
        if (s == null) {
          continue;
        }
        InstanceShape before = shapes.put(name, s);
        if (before != null && !before.equals(s)) {
          throw new IllegalArgumentException(
              f + ": " + name + " differs from its description in " + seenIn.get(name));
        }
        seenIn.put(name, f);
      }
    }

    Map<String, Map<String, Double>> prices = new TreeMap<>();
    for (Path f : priceFiles) {
      readPrices(f, read(f), prices);
    }
    if (prices.isEmpty()) {
      throw new IllegalArgumentException("no on-demand prices found in " + priceFiles);
    }

    Map<String, CatalogData.RegionData> regions = new TreeMap<>();
    for (Map.Entry<String, List<Path>> e : new TreeMap<>(offeringFiles).entrySet()) {
      String region = e.getKey();
      Map<String, List<String>> zones = new TreeMap<>();
      for (Path f : e.getValue()) {
        readOfferings(f, read(f), region, shapes, zones);
      }
      String priceRegion =
          prices.containsKey(region)
              ? region
              : prices.containsKey(FALLBACK_PRICE_REGION)
                  ? FALLBACK_PRICE_REGION
                  : prices.keySet().iterator().next();
      Map<String, Double> regionPrices = new TreeMap<>(prices.get(priceRegion));
      regionPrices.keySet().retainAll(shapes.keySet());
      regions.put(region, new CatalogData.RegionData(region, priceRegion, zones, regionPrices));
    }
    return new CatalogData(new ArrayList<>(shapes.values()), regions);
  }

  private static JsonNode read(Path f) throws IOException {
    try {
      return JSON.readTree(f.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          f
              + ": line "
              + e.getLocation().getLineNr()
              + " column "
              + e.getLocation().getColumnNr()
              + ": "
              + e.getOriginalMessage());
    }
  }

  private static List<JsonNode> instanceTypeInfos(Path f, JsonNode root) {
    List<JsonNode> out = new ArrayList<>();
    if (root.has("InstanceTypes")) {
      root.get("InstanceTypes").forEach(out::add);
    } else if (root.isArray()) {
      root.forEach(out::add);
    } else if (root.isObject()) {
      root.forEach(out::add);
    } else {
      throw new IllegalArgumentException(f + ": expected DescribeInstanceTypes output");
    }
    return out;
  }

  /** The shape of one InstanceTypeInfo, or null for types Karpenter does not consider. */
  static InstanceShape shape(Path f, JsonNode info) {
    String name = info.path("InstanceType").asText();
    String where = f + ": " + name + ": ";
    JsonNode virt = info.get("SupportedVirtualizationTypes");
    if (virt != null && !contains(virt, "hvm")) {
      return null;
    }
    String arch = null;
    for (JsonNode a : info.path("ProcessorInfo").path("SupportedArchitectures")) {
      arch =
          switch (a.asText()) {
            case "x86_64" -> "amd64";
            case "arm64" -> "arm64";
            default -> null;
          };
      if (arch != null) {
        break;
      }
    }
    if (arch == null) {
      return null;
    }
    JsonNode processor = info.path("ProcessorInfo");
    JsonNode net = info.path("NetworkInfo");
    JsonNode storage = info.get("InstanceStorageInfo");
    JsonNode ebs = info.path("EbsInfo");

    int cardIndex = net.path("DefaultNetworkCardIndex").asInt(0);
    int maxEnis = net.path("MaximumNetworkInterfaces").asInt(0);
    BigDecimal bandwidthGbps = null;
    for (JsonNode card : net.path("NetworkCards")) {
      if (card.path("NetworkCardIndex").asInt(-1) == cardIndex) {
        maxEnis = card.path("MaximumNetworkInterfaces").asInt(maxEnis);
      }
      if (card.has("BaselineBandwidthInGbps")) {
        BigDecimal b = card.get("BaselineBandwidthInGbps").decimalValue();
        bandwidthGbps = bandwidthGbps == null ? b : bandwidthGbps.add(b);
      }
    }
    Long localNvme = null;
    Long instanceStore = null;
    if (storage != null && storage.has("TotalSizeInGB")) {
      instanceStore = storage.get("TotalSizeInGB").asLong();
      if (!"unsupported".equals(storage.path("NvmeSupport").asText())) {
        localNvme = instanceStore;
      }
    }
    Integer ebsBandwidth = null;
    if ("default".equals(ebs.path("EbsOptimizedSupport").asText())
        && ebs.path("EbsOptimizedInfo").has("MaximumBandwidthInMbps")) {
      ebsBandwidth = ebs.path("EbsOptimizedInfo").get("MaximumBandwidthInMbps").asInt();
    }

    List<InstanceShape.Gpu> gpus = new ArrayList<>();
    for (JsonNode g : info.path("GpuInfo").path("Gpus")) {
      gpus.add(
          new InstanceShape.Gpu(
              required(where + "GpuInfo.Gpus[].Name", g.get("Name")).asText(),
              required(where + "GpuInfo.Gpus[].Manufacturer", g.get("Manufacturer")).asText(),
              g.path("Count").asInt(0),
              g.path("MemoryInfo").path("SizeInMiB").asLong(0)));
    }
    List<InstanceShape.NeuronDevice> neuron = new ArrayList<>();
    for (JsonNode d : info.path("NeuronInfo").path("NeuronDevices")) {
      neuron.add(
          new InstanceShape.NeuronDevice(
              required(where + "NeuronInfo.NeuronDevices[].Name", d.get("Name")).asText(),
              d.path("Count").asInt(0),
              d.path("CoreInfo").path("Count").asInt(0),
              d.path("MemoryInfo").path("SizeInMiB").asLong(0)));
    }
    List<InstanceShape.Accelerator> accelerators = new ArrayList<>();
    for (JsonNode a : info.path("InferenceAcceleratorInfo").path("Accelerators")) {
      accelerators.add(
          new InstanceShape.Accelerator(
              required(where + "InferenceAcceleratorInfo.Accelerators[].Name", a.get("Name"))
                  .asText(),
              a.path("Manufacturer").asText(""),
              a.path("Count").asInt(0),
              a.path("MemoryInfo").path("SizeInMiB").asLong(0)));
    }
    List<String> usage = new ArrayList<>();
    info.path("SupportedUsageClasses").forEach(u -> usage.add(u.asText()));

    return new InstanceShape(
        name,
        arch,
        required(where + "VCpuInfo.DefaultVCpus", info.path("VCpuInfo").get("DefaultVCpus"))
            .asInt(),
        required(where + "MemoryInfo.SizeInMiB", info.path("MemoryInfo").get("SizeInMiB")).asLong(),
        processor.has("Manufacturer")
            ? InstanceTypeResolver.lowerKebab(processor.get("Manufacturer").asText())
            : null,
        processor.has("SustainedClockSpeedInGhz")
            ? processor
                .get("SustainedClockSpeedInGhz")
                .decimalValue()
                .multiply(BigDecimal.valueOf(1000))
                .setScale(0, RoundingMode.HALF_UP)
                .intValueExact()
            : null,
        info.has("Hypervisor") ? info.get("Hypervisor").asText() : null,
        info.path("BareMetal").asBoolean(false),
        ebsBandwidth,
        bandwidthGbps == null
            ? null
            : bandwidthGbps
                .multiply(BigDecimal.valueOf(1000))
                .setScale(0, RoundingMode.HALF_UP)
                .intValueExact(),
        localNvme,
        instanceStore,
        net.path("EncryptionInTransitSupported").asBoolean(false),
        "supported".equals(info.path("NitroEnclavesSupport").asText()),
        maxEnis,
        required(
                where + "NetworkInfo.Ipv4AddressesPerInterface",
                net.get("Ipv4AddressesPerInterface"))
            .asInt(),
        net.path("EfaInfo").path("MaximumEfaInterfaces").asInt(0),
        gpus,
        neuron,
        accelerators,
        usage);
  }

  private static void readOfferings(
      Path f,
      JsonNode root,
      String region,
      Map<String, InstanceShape> shapes,
      Map<String, List<String>> zones) {
    JsonNode list = root.has("InstanceTypeOfferings") ? root.get("InstanceTypeOfferings") : root;
    if (!list.isArray()) {
      throw new IllegalArgumentException(
          f + ": expected DescribeInstanceTypeOfferings output (a list or InstanceTypeOfferings)");
    }
    int i = 0;
    for (JsonNode o : list) {
      String where = f + ": offering #" + i++ + ": ";
      String type = required(where + "InstanceType", o.get("InstanceType")).asText();
      String zone = required(where + "Location", o.get("Location")).asText();
      String locationType = o.path("LocationType").asText("availability-zone");
      if (!locationType.equals("availability-zone")) {
        throw new IllegalArgumentException(
            where
                + "LocationType is '"
                + locationType
                + "'; query with --location-type availability-zone");
      }
      if (!zone.startsWith(region)) {
        throw new IllegalArgumentException(
            where + "zone '" + zone + "' is not in region '" + region + "'");
      }
      if (shapes.containsKey(type)) {
        zones.computeIfAbsent(type, k -> new ArrayList<>()).add(zone);
      }
    }
  }

  private static void readPrices(Path f, JsonNode root, Map<String, Map<String, Double>> out)
      throws IOException {
    if (root.has("prices")) {
      root.get("prices")
          .properties()
          .forEach(
              r -> {
                Map<String, Double> m = out.computeIfAbsent(r.getKey(), k -> new TreeMap<>());
                r.getValue()
                    .properties()
                    .forEach(
                        p -> {
                          if (!p.getValue().isNumber()) {
                            throw new IllegalArgumentException(
                                f
                                    + ": prices."
                                    + r.getKey()
                                    + "."
                                    + p.getKey()
                                    + " is not a number");
                          }
                          m.put(p.getKey(), p.getValue().decimalValue().doubleValue());
                        });
              });
      return;
    }
    if (!root.has("PriceList")) {
      throw new IllegalArgumentException(
          f + ": expected Pricing GetProducts output (PriceList) or {\"prices\": {...}}");
    }
    int i = 0;
    for (JsonNode item : root.get("PriceList")) {
      String where = f + ": PriceList[" + i++ + "]: ";
      JsonNode product;
      try {
        product = item.isTextual() ? JSON.readTree(item.asText()) : item;
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(where + "not JSON: " + e.getOriginalMessage());
      }
      JsonNode a = product.path("product").path("attributes");
      if (!linuxSharedOnDemand(product.path("product"))) {
        continue;
      }
      String type = a.path("instanceType").asText("");
      String region = a.path("regionCode").asText("");
      if (type.isEmpty() || region.isEmpty()) {
        continue;
      }
      BigDecimal usd = onDemandUsd(product.path("terms").path("OnDemand"));
      if (usd != null && usd.signum() > 0) {
        out.computeIfAbsent(region, k -> new TreeMap<>()).put(type, usd.doubleValue());
      }
    }
  }

  // Karpenter's filter: Linux, no pre-installed software, shared tenancy, capacity status Used.
  private static boolean linuxSharedOnDemand(JsonNode product) {
    JsonNode a = product.path("attributes");
    Map<String, String> want = new LinkedHashMap<>();
    want.put("operatingSystem", "Linux");
    want.put("preInstalledSw", "NA");
    want.put("capacitystatus", "Used");
    for (Map.Entry<String, String> e : want.entrySet()) {
      if (a.has(e.getKey()) && !a.get(e.getKey()).asText().equals(e.getValue())) {
        return false;
      }
    }
    String tenancy = a.path("tenancy").asText("Shared");
    String family = product.path("productFamily").asText("Compute Instance");
    return tenancy.equals("Shared") && family.equals("Compute Instance")
        || tenancy.equals("Dedicated") && family.equals("Compute Instance (bare metal)");
  }

  private static BigDecimal onDemandUsd(JsonNode onDemandTerms) {
    for (JsonNode term : onDemandTerms) {
      for (JsonNode dim : term.path("priceDimensions")) {
        JsonNode usd = dim.path("pricePerUnit").get("USD");
        if (usd != null) {
          try {
            return new BigDecimal(usd.asText());
          } catch (NumberFormatException e) {
            return null;
          }
        }
      }
    }
    return null;
  }

  private static JsonNode required(String what, JsonNode n) {
    if (n == null || n.isNull()) {
      throw new IllegalArgumentException(what + " is missing");
    }
    return n;
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode n : array) {
      if (n.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** Writes the catalog resource; returns its bytes. */
  public static byte[] write(CatalogData data, Path output) throws IOException {
    byte[] bytes = data.toBytes();
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(output, bytes);
    return bytes;
  }
}
