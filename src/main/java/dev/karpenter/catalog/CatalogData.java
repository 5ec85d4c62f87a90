package dev.karpenter.catalog;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * What the embedded resource {@code catalog/catalog.bin.gz} holds: instance-type shapes (region
 * independent) and, per region, the zones each type is offered in and on-demand prices. Written
 * deterministically (sorted keys, no timestamps) so regeneration reproduces the same bytes.
 */
public record CatalogData(List<InstanceShape> shapes, Map<String, RegionData> regions) {
  public static final int FORMAT = 1;
  public static final String RESOURCE = "/catalog/catalog.bin.gz";

  public CatalogData {
    List<InstanceShape> sorted = new ArrayList<>(shapes);
    sorted.sort(BY_NAME);
    shapes = List.copyOf(sorted);
    regions = Map.copyOf(regions);
  }

  private static final Comparator<InstanceShape> BY_NAME =
      new Comparator<>() {
        @Override
        public int compare(InstanceShape a, InstanceShape b) {
          return a.name().compareTo(b.name());
        }
      };

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
      Map<String, List<String>> z = new HashMap<>();
      for (Map.Entry<String, List<String>> e : zones.entrySet()) {
        z.put(e.getKey(), List.copyOf(new TreeSet<>(e.getValue())));
      }
      zones = Map.copyOf(z);
      onDemandPrices = Map.copyOf(onDemandPrices);
    }

    public boolean onDemandPricesEstimated() {
      return !region.equals(onDemandPriceRegion);
    }
  }

  /** Gzip-compressed binary, identical bytes for identical data. */
  public byte[] toBytes() {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try {
      GZIPOutputStream gz =
          new GZIPOutputStream(raw, 1 << 16) {
            {
              def.setLevel(Deflater.BEST_COMPRESSION);
            }
          };
      try (DataOutputStream out = new DataOutputStream(gz)) {
        new Writer(out).write(this);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return raw.toByteArray();
  }

  /**
   * Reads what {@link #toBytes()} wrote.
   *
   * @throws IOException when the stream is not a catalog of this format
   */
  public static CatalogData read(InputStream gzipped) throws IOException {
    try (DataInputStream in =
        new DataInputStream(
            new BufferedInputStream(new GZIPInputStream(gzipped, 1 << 16), 1 << 16))) {
      return new Reader(in).read();
    }
  }

  /*
   * Layout (all integers big-endian): magic "KJCT", format int, string table (count, UTF strings),
   * then shapes and regions with strings as table indexes. A binary layout because parsing JSON
   * in a fresh JVM alone cost more than the 200 ms load budget.
   */
  private static final int MAGIC = 0x4B4A4354;
  private static final int NONE = -1;

  private static final class Writer {
    private final DataOutputStream out;
    private final Map<String, Integer> index = new LinkedHashMap<>();

    Writer(DataOutputStream out) {
      this.out = out;
    }

    void write(CatalogData d) throws IOException {
      for (InstanceShape s : d.shapes) {
        collect(s.name(), s.arch(), s.cpuManufacturer(), s.hypervisor());
        s.gpus().forEach(g -> collect(g.name(), g.manufacturer()));
        s.neuronDevices().forEach(n -> collect(n.name()));
        s.accelerators().forEach(a -> collect(a.name(), a.manufacturer()));
        s.usageClasses().forEach(this::collect);
      }
      List<RegionData> regions = new ArrayList<>(new TreeMap<>(d.regions).values());
      for (RegionData r : regions) {
        collect(r.region(), r.onDemandPriceRegion());
        r.zones().values().forEach(z -> z.forEach(this::collect));
      }
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(index.size());
      for (String s : index.keySet()) {
        out.writeUTF(s);
      }
      out.writeInt(d.shapes.size());
      for (InstanceShape s : d.shapes) {
        shape(s);
      }
      out.writeInt(regions.size());
      for (RegionData r : regions) {
        str(r.region());
        str(r.onDemandPriceRegion());
        Map<String, List<String>> zones = new TreeMap<>(r.zones());
        out.writeInt(zones.size());
        for (Map.Entry<String, List<String>> e : zones.entrySet()) {
          str(e.getKey());
          out.writeInt(e.getValue().size());
          for (String z : e.getValue()) {
            str(z);
          }
        }
        Map<String, Double> prices = new TreeMap<>(r.onDemandPrices());
        out.writeInt(prices.size());
        for (Map.Entry<String, Double> e : prices.entrySet()) {
          str(e.getKey());
          out.writeDouble(e.getValue());
        }
      }
    }

    private void collect(String... strings) {
      for (String s : strings) {
        if (s != null) {
          index.putIfAbsent(s, index.size());
        }
      }
    }

    private void str(String s) throws IOException {
      out.writeInt(s == null ? NONE : index.get(s));
    }

    private void optional(Number n) throws IOException {
      out.writeLong(n == null ? NONE : n.longValue());
    }

    private void shape(InstanceShape s) throws IOException {
      str(s.name());
      str(s.arch());
      out.writeInt(s.vcpus());
      out.writeLong(s.memoryMib());
      str(s.cpuManufacturer());
      optional(s.clockSpeedMhz());
      str(s.hypervisor());
      out.writeBoolean(s.bareMetal());
      optional(s.ebsBandwidthMbps());
      optional(s.networkBandwidthMbps());
      optional(s.localNvmeGb());
      optional(s.instanceStoreGb());
      out.writeBoolean(s.encryptionInTransit());
      out.writeBoolean(s.nitroEnclaves());
      out.writeInt(s.maxEnis());
      out.writeInt(s.ipv4PerEni());
      out.writeInt(s.efaInterfaces());
      out.writeInt(s.gpus().size());
      for (InstanceShape.Gpu g : s.gpus()) {
        str(g.name());
        str(g.manufacturer());
        out.writeInt(g.count());
        out.writeLong(g.memoryMib());
      }
      out.writeInt(s.neuronDevices().size());
      for (InstanceShape.NeuronDevice n : s.neuronDevices()) {
        str(n.name());
        out.writeInt(n.count());
        out.writeInt(n.coresPerDevice());
        out.writeLong(n.memoryMib());
      }
      out.writeInt(s.accelerators().size());
      for (InstanceShape.Accelerator a : s.accelerators()) {
        str(a.name());
        str(a.manufacturer());
        out.writeInt(a.count());
        out.writeLong(a.memoryMib());
      }
      out.writeInt(s.usageClasses().size());
      for (String u : s.usageClasses()) {
        str(u);
      }
    }
  }

  private static final class Reader {
    private final DataInputStream in;
    private String[] strings;

    Reader(DataInputStream in) {
      this.in = in;
    }

    CatalogData read() throws IOException {
      if (in.readInt() != MAGIC) {
        throw new IOException("not a karpenter-java catalog resource");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new IOException(
            "catalog format " + format + " is not supported (expected " + FORMAT + ")");
      }
      strings = new String[count()];
      for (int i = 0; i < strings.length; i++) {
        strings[i] = in.readUTF();
      }
      int n = count();
      List<InstanceShape> shapes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        shapes.add(shape());
      }
      Map<String, RegionData> regions = new TreeMap<>();
      int nr = count();
      for (int i = 0; i < nr; i++) {
        String region = str();
        String priceRegion = str();
        Map<String, List<String>> zones = new TreeMap<>();
        int nz = count();
        for (int j = 0; j < nz; j++) {
          String type = str();
          int k = count();
          List<String> z = new ArrayList<>(k);
          for (int x = 0; x < k; x++) {
            z.add(str());
          }
          zones.put(type, z);
        }
        Map<String, Double> prices = new TreeMap<>();
        int np = count();
        for (int j = 0; j < np; j++) {
          prices.put(str(), in.readDouble());
        }
        regions.put(region, new RegionData(region, priceRegion, zones, prices));
      }
      return new CatalogData(shapes, regions);
    }

    private int count() throws IOException {
      int n = in.readInt();
      if (n < 0 || n > 1_000_000) {
        throw new IOException("corrupt catalog resource (count " + n + ")");
      }
      return n;
    }

    private String str() throws IOException {
      int i = in.readInt();
      if (i == NONE) {
        return null;
      }
      if (i < 0 || i >= strings.length) {
        throw new IOException("corrupt catalog resource (string " + i + ")");
      }
      return strings[i];
    }

    private Integer optionalInt() throws IOException {
      long v = in.readLong();
      return v == NONE ? null : Math.toIntExact(v);
    }

    private Long optionalLong() throws IOException {
      long v = in.readLong();
      return v == NONE ? null : v;
    }

    private InstanceShape shape() throws IOException {
      String name = str();
      String arch = str();
      int vcpus = in.readInt();
      long memory = in.readLong();
      String cpuManufacturer = str();
      Integer clock = optionalInt();
      String hypervisor = str();
      boolean metal = in.readBoolean();
      Integer ebs = optionalInt();
      Integer network = optionalInt();
      Long nvme = optionalLong();
      Long store = optionalLong();
      boolean encryption = in.readBoolean();
      boolean enclaves = in.readBoolean();
      int maxEnis = in.readInt();
      int ipv4 = in.readInt();
      int efa = in.readInt();
      int ng = count();
      List<InstanceShape.Gpu> gpus = new ArrayList<>(ng);
      for (int i = 0; i < ng; i++) {
        gpus.add(new InstanceShape.Gpu(str(), str(), in.readInt(), in.readLong()));
      }
      int nn = count();
      List<InstanceShape.NeuronDevice> neuron = new ArrayList<>(nn);
      for (int i = 0; i < nn; i++) {
        neuron.add(
            new InstanceShape.NeuronDevice(str(), in.readInt(), in.readInt(), in.readLong()));
      }
      int na = count();
      List<InstanceShape.Accelerator> acc = new ArrayList<>(na);
      for (int i = 0; i < na; i++) {
        acc.add(new InstanceShape.Accelerator(str(), str(), in.readInt(), in.readLong()));
      }
      int nu = count();
      List<String> usage = new ArrayList<>(nu);
      for (int i = 0; i < nu; i++) {
        usage.add(str());
      }
      return new InstanceShape(
          name,
          arch,
          vcpus,
          memory,
          cpuManufacturer,
          clock,
          hypervisor,
          metal,
          ebs,
          network,
          nvme,
          store,
          encryption,
          enclaves,
          maxEnis,
          ipv4,
          efa,
          gpus,
          neuron,
          acc,
          usage);
    }
  }
}
