package dev.karpenter.catalog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * What the embedded resource {@code catalog/catalog.json.gz} holds: instance-type shapes (region
 * independent) and, per region, the zones each type is offered in and on-demand prices. Written
 * deterministically (sorted keys, no timestamps) so regeneration reproduces the same bytes.
 */
public record CatalogData(List<InstanceShape> shapes, Map<String, RegionData> regions) {
  public static final int FORMAT = 1;
  public static final String RESOURCE = "/catalog/catalog.json.gz";

  public CatalogData {
    shapes = shapes.stream().sorted(Comparator.comparing(InstanceShape::name)).toList();
    regions = Map.copyOf(regions);
  }

  /**
   * @param onDemandPriceRegion the region whose price list the on-demand prices come from; when it
   *     differs from {@code region}, the prices are estimates
   * @param zones instance type -> zones it is offered in (DescribeInstanceTypeOfferings)
   * @param onDemandPrices instance type -> USD per hour
   */
  public record RegionData(
      String region,
      String onDemandPriceRegion,
      Map<String, List<String>> zones,
      Map<String, Double> onDemandPrices) {
    public RegionData {
      Map<String, List<String>> z = new TreeMap<>();
      zones.forEach((k, v) -> z.put(k, v.stream().sorted().distinct().toList()));
      zones = Map.copyOf(z);
      onDemandPrices = Map.copyOf(onDemandPrices);
    }

    public boolean onDemandPricesEstimated() {
      return !region.equals(onDemandPriceRegion);
    }
  }

  /** Gzip-compressed JSON, identical bytes for identical data. */
  public byte[] toBytes() {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try {
      GZIPOutputStream gz =
          new GZIPOutputStream(raw) {
            {
              def.setLevel(Deflater.BEST_COMPRESSION);
            }
          };
      try (JsonGenerator g = new JsonFactory().createGenerator(gz)) {
        write(g);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return raw.toByteArray();
  }

  private void write(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeNumberField("format", FORMAT);
    g.writeArrayFieldStart("instanceTypes");
    for (InstanceShape s : shapes) {
      writeShape(g, s);
    }
    g.writeEndArray();
    g.writeObjectFieldStart("regions");
    for (RegionData r : new TreeMap<>(regions).values()) {
      g.writeObjectFieldStart(r.region());
      g.writeStringField("onDemandPriceRegion", r.onDemandPriceRegion());
      g.writeObjectFieldStart("zones");
      for (Map.Entry<String, List<String>> e : new TreeMap<>(r.zones()).entrySet()) {
        g.writeArrayFieldStart(e.getKey());
        for (String z : e.getValue()) {
          g.writeString(z);
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      g.writeObjectFieldStart("onDemandPrices");
      for (Map.Entry<String, Double> e : new TreeMap<>(r.onDemandPrices()).entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  private static void writeShape(JsonGenerator g, InstanceShape s) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", s.name());
    g.writeStringField("arch", s.arch());
    g.writeNumberField("vcpus", s.vcpus());
    g.writeNumberField("memoryMib", s.memoryMib());
    optional(g, "cpuManufacturer", s.cpuManufacturer());
    optional(g, "clockSpeedMhz", s.clockSpeedMhz());
    optional(g, "hypervisor", s.hypervisor());
    if (s.bareMetal()) {
      g.writeBooleanField("bareMetal", true);
    }
    optional(g, "ebsBandwidthMbps", s.ebsBandwidthMbps());
    optional(g, "networkBandwidthMbps", s.networkBandwidthMbps());
    optional(g, "localNvmeGb", s.localNvmeGb());
    optional(g, "instanceStoreGb", s.instanceStoreGb());
    g.writeBooleanField("encryptionInTransit", s.encryptionInTransit());
    g.writeBooleanField("nitroEnclaves", s.nitroEnclaves());
    g.writeNumberField("maxEnis", s.maxEnis());
    g.writeNumberField("ipv4PerEni", s.ipv4PerEni());
    if (s.efaInterfaces() > 0) {
      g.writeNumberField("efaInterfaces", s.efaInterfaces());
    }
    if (!s.gpus().isEmpty()) {
      g.writeArrayFieldStart("gpus");
      for (InstanceShape.Gpu x : s.gpus()) {
        device(g, x.name(), x.manufacturer(), x.count(), x.memoryMib(), null);
      }
      g.writeEndArray();
    }
    if (!s.neuronDevices().isEmpty()) {
      g.writeArrayFieldStart("neuronDevices");
      for (InstanceShape.NeuronDevice x : s.neuronDevices()) {
        device(g, x.name(), null, x.count(), x.memoryMib(), x.coresPerDevice());
      }
      g.writeEndArray();
    }
    if (!s.accelerators().isEmpty()) {
      g.writeArrayFieldStart("accelerators");
      for (InstanceShape.Accelerator x : s.accelerators()) {
        device(g, x.name(), x.manufacturer(), x.count(), x.memoryMib(), null);
      }
      g.writeEndArray();
    }
    g.writeArrayFieldStart("usageClasses");
    for (String u : s.usageClasses()) {
      g.writeString(u);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void device(
      JsonGenerator g, String name, String manufacturer, int count, long memoryMib, Integer cores)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("name", name);
    optional(g, "manufacturer", manufacturer);
    g.writeNumberField("count", count);
    g.writeNumberField("memoryMib", memoryMib);
    optional(g, "coresPerDevice", cores);
    g.writeEndObject();
  }

  private static void optional(JsonGenerator g, String field, Object value) throws IOException {
    if (value instanceof String s) {
      g.writeStringField(field, s);
    } else if (value instanceof Integer i) {
      g.writeNumberField(field, i);
    } else if (value instanceof Long l) {
      g.writeNumberField(field, l);
    }
  }

  /** Reads what {@link #toBytes()} wrote. */
  public static CatalogData read(InputStream gzipped) throws IOException {
    JsonNode root = new ObjectMapper().readTree(new GZIPInputStream(gzipped, 1 << 16));
    int format = root.path("format").asInt();
    if (format != FORMAT) {
      throw new IOException(
          "catalog format " + format + " is not supported (expected " + FORMAT + ")");
    }
    List<InstanceShape> shapes = new ArrayList<>();
    for (JsonNode n : root.path("instanceTypes")) {
      shapes.add(readShape(n));
    }
    Map<String, RegionData> regions = new TreeMap<>();
    root.path("regions")
        .properties()
        .forEach(
            e -> {
              JsonNode r = e.getValue();
              Map<String, List<String>> zones = new TreeMap<>();
              r.path("zones")
                  .properties()
                  .forEach(
                      z -> {
                        List<String> list = new ArrayList<>();
                        z.getValue().forEach(v -> list.add(v.asText()));
                        zones.put(z.getKey(), list);
                      });
              Map<String, Double> prices = new TreeMap<>();
              r.path("onDemandPrices")
                  .properties()
                  .forEach(p -> prices.put(p.getKey(), p.getValue().asDouble()));
              regions.put(
                  e.getKey(),
                  new RegionData(
                      e.getKey(), r.path("onDemandPriceRegion").asText(), zones, prices));
            });
    return new CatalogData(shapes, regions);
  }

  private static InstanceShape readShape(JsonNode n) {
    List<InstanceShape.Gpu> gpus = new ArrayList<>();
    for (JsonNode d : n.path("gpus")) {
      gpus.add(
          new InstanceShape.Gpu(
              d.path("name").asText(),
              d.path("manufacturer").asText(),
              d.path("count").asInt(),
              d.path("memoryMib").asLong()));
    }
    List<InstanceShape.NeuronDevice> neuron = new ArrayList<>();
    for (JsonNode d : n.path("neuronDevices")) {
      neuron.add(
          new InstanceShape.NeuronDevice(
              d.path("name").asText(),
              d.path("count").asInt(),
              d.path("coresPerDevice").asInt(),
              d.path("memoryMib").asLong()));
    }
    List<InstanceShape.Accelerator> acc = new ArrayList<>();
    for (JsonNode d : n.path("accelerators")) {
      acc.add(
          new InstanceShape.Accelerator(
              d.path("name").asText(),
              d.path("manufacturer").asText(),
              d.path("count").asInt(),
              d.path("memoryMib").asLong()));
    }
    List<String> usage = new ArrayList<>();
    n.path("usageClasses").forEach(u -> usage.add(u.asText()));
    return new InstanceShape(
        n.path("name").asText(),
        n.path("arch").asText(),
        n.path("vcpus").asInt(),
        n.path("memoryMib").asLong(),
        text(n, "cpuManufacturer"),
        n.has("clockSpeedMhz") ? n.get("clockSpeedMhz").asInt() : null,
        text(n, "hypervisor"),
        n.path("bareMetal").asBoolean(false),
        n.has("ebsBandwidthMbps") ? n.get("ebsBandwidthMbps").asInt() : null,
        n.has("networkBandwidthMbps") ? n.get("networkBandwidthMbps").asInt() : null,
        n.has("localNvmeGb") ? n.get("localNvmeGb").asLong() : null,
        n.has("instanceStoreGb") ? n.get("instanceStoreGb").asLong() : null,
        n.path("encryptionInTransit").asBoolean(),
        n.path("nitroEnclaves").asBoolean(),
        n.path("maxEnis").asInt(),
        n.path("ipv4PerEni").asInt(),
        n.path("efaInterfaces").asInt(0),
        gpus,
        neuron,
        acc,
        usage);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
