package dev.karpenter.cloudprovider.aws.catalog;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
      zones = Map.copyOf(withSortedDistinctZones(zones));
      onDemandPrices = Map.copyOf(onDemandPrices);
    }

    public boolean onDemandPricesEstimated() {
      return !region.equals(onDemandPriceRegion);
    }

    /** {@code zones} itself when every list already is immutable, sorted and distinct. */
    private static Map<String, List<String>> withSortedDistinctZones(
        Map<String, List<String>> zones) {
      Map<String, List<String>> copy = null;
      for (Map.Entry<String, List<String>> e : zones.entrySet()) {
        List<String> sorted = sortedDistinct(e.getValue());
        if (copy == null && sorted != e.getValue()) {
          copy = new HashMap<>(zones);
        }
        if (copy != null) {
          copy.put(e.getKey(), sorted);
        }
      }
      return copy == null ? zones : copy;
    }

    private static List<String> sortedDistinct(List<String> zones) {
      // The resource already holds sorted zones; skip the TreeSet for them.
      for (int i = 1; i < zones.size(); i++) {
        if (zones.get(i - 1).compareTo(zones.get(i)) >= 0) {
          return List.copyOf(new TreeSet<>(zones));
        }
      }
      return List.copyOf(zones);
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
    byte[] raw;
    try (InputStream in = new GZIPInputStream(gzipped, 1 << 16)) {
      raw = in.readAllBytes();
    }
    try {
      return new Reader(ByteBuffer.wrap(raw)).read();
    } catch (BufferUnderflowException e) {
      throw new IOException("corrupt catalog resource (truncated)", e);
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
        // Sorted: the zone map's own iteration order is unspecified and varies between JVMs, and
        // the bytes must not.
        TreeSet<String> zones = new TreeSet<>();
        r.zones().values().forEach(zones::addAll);
        zones.forEach(this::collect);
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

  // Parses from a byte array rather than a DataInputStream: the buffered stream takes a lock per
  // byte, which in a fresh (interpreted) JVM was a large part of the load time.
  private static final class Reader {
    private final ByteBuffer in;
    private String[] strings;

    Reader(ByteBuffer in) {
      this.in = in;
    }

    CatalogData read() throws IOException {
      if (in.getInt() != MAGIC) {
        throw new IOException("not a karpenter-java catalog resource");
      }
      int format = in.getInt();
      if (format != FORMAT) {
        throw new IOException(
            "catalog format " + format + " is not supported (expected " + FORMAT + ")");
      }
      strings = new String[count()];
      for (int i = 0; i < strings.length; i++) {
        strings[i] = utf();
      }
      int n = count();
      List<InstanceShape> shapes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        shapes.add(shape());
      }
      Map<String, RegionData> regions = new HashMap<>();
      int nr = count();
      for (int i = 0; i < nr; i++) {
        String region = str();
        String priceRegion = str();
        // Immutable maps and lists from the start, so RegionData keeps them without copying.
        int nz = count();
        @SuppressWarnings("unchecked")
        Map.Entry<String, List<String>>[] zones = new Map.Entry[nz];
        for (int j = 0; j < nz; j++) {
          String type = str();
          int k = count();
          String[] z = new String[k];
          for (int x = 0; x < k; x++) {
            z[x] = str();
          }
          zones[j] = Map.entry(type, List.of(z));
        }
        int np = count();
        @SuppressWarnings("unchecked")
        Map.Entry<String, Double>[] prices = new Map.Entry[np];
        for (int j = 0; j < np; j++) {
          prices[j] = Map.entry(str(), in.getDouble());
        }
        regions.put(
            region,
            new RegionData(region, priceRegion, Map.ofEntries(zones), Map.ofEntries(prices)));
      }
      return new CatalogData(shapes, regions);
    }

    /** What {@link DataOutputStream#writeUTF} wrote: a length, then modified UTF-8. */
    private String utf() throws IOException {
      int length = Short.toUnsignedInt(in.getShort());
      int start = in.position();
      byte[] bytes = in.array();
      for (int i = start; i < start + length; i++) {
        if (bytes[i] < 0) {
          in.position(start + length);
          return DataInputStream.readUTF(
              new DataInputStream(new ByteArrayInputStream(bytes, start - 2, length + 2)));
        }
      }
      in.position(start + length);
      return new String(bytes, start, length, StandardCharsets.ISO_8859_1);
    }

    private int count() throws IOException {
      int n = in.getInt();
      if (n < 0 || n > 1_000_000) {
        throw new IOException("corrupt catalog resource (count " + n + ")");
      }
      return n;
    }

    private String str() throws IOException {
      int i = in.getInt();
      if (i == NONE) {
        return null;
      }
      if (i < 0 || i >= strings.length) {
        throw new IOException("corrupt catalog resource (string " + i + ")");
      }
      return strings[i];
    }

    private Integer optionalInt() throws IOException {
      long v = in.getLong();
      return v == NONE ? null : Math.toIntExact(v);
    }

    private Long optionalLong() throws IOException {
      long v = in.getLong();
      return v == NONE ? null : v;
    }

    private InstanceShape shape() throws IOException {
      String name = str();
      String arch = str();
      int vcpus = in.getInt();
      long memory = in.getLong();
      String cpuManufacturer = str();
      Integer clock = optionalInt();
      String hypervisor = str();
      boolean metal = (in.get() != 0);
      Integer ebs = optionalInt();
      Integer network = optionalInt();
      Long nvme = optionalLong();
      Long store = optionalLong();
      boolean encryption = (in.get() != 0);
      boolean enclaves = (in.get() != 0);
      int maxEnis = in.getInt();
      int ipv4 = in.getInt();
      int efa = in.getInt();
      int ng = count();
      InstanceShape.Gpu[] gpus = new InstanceShape.Gpu[ng];
      for (int i = 0; i < ng; i++) {
        gpus[i] = new InstanceShape.Gpu(str(), str(), in.getInt(), in.getLong());
      }
      int nn = count();
      InstanceShape.NeuronDevice[] neuron = new InstanceShape.NeuronDevice[nn];
      for (int i = 0; i < nn; i++) {
        neuron[i] = new InstanceShape.NeuronDevice(str(), in.getInt(), in.getInt(), in.getLong());
      }
      int na = count();
      InstanceShape.Accelerator[] acc = new InstanceShape.Accelerator[na];
      for (int i = 0; i < na; i++) {
        acc[i] = new InstanceShape.Accelerator(str(), str(), in.getInt(), in.getLong());
      }
      int nu = count();
      String[] usage = new String[nu];
      for (int i = 0; i < nu; i++) {
        usage[i] = str();
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
          List.of(gpus),
          List.of(neuron),
          List.of(acc),
          List.of(usage));
    }
  }
}
