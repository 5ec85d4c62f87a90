package dev.karpenter.cloudprovider.aws.catalog;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The EC2 instance types of one region, with labels, capacity, allocatable and offerings, as
 * Karpenter's AWS provider computes them. Immutable and safe to share; {@link #load(String)} parses
 * the embedded resource once per process, and instance types are derived on first use per {@link
 * NodeClassSettings} and then cached.
 */
public final class Catalog {
  private static volatile CatalogData embedded;
  private static final Map<String, Catalog> LOADED = new ConcurrentHashMap<>();

  private final String region;
  private final CatalogData.RegionData regionData;
  private final List<InstanceShape> shapesByName;
  private final Map<String, InstanceShape> shapes;
  // type -> zone -> USD/h from DescribeSpotPriceHistory; empty means spot prices are estimates.
  private final Map<String, Map<String, Double>> liveSpotPrices;
  private final Map<NodeClassSettings, List<InstanceType>> byInstanceSettings =
      new ConcurrentHashMap<>();
  // DEFAULT by identity, so the common path needs no record hashCode (a costly first call).
  private volatile List<InstanceType> defaults;
  private volatile Map<String, InstanceType> defaultsByName;

  private Catalog(
      String region, CatalogData data, Map<String, Map<String, Double>> liveSpotPrices) {
    this.region = region;
    this.regionData = data.regions().get(region);
    this.shapesByName = data.shapes();
    Map<String, InstanceShape> m = HashMap.newHashMap(shapesByName.size());
    for (InstanceShape s : shapesByName) {
      m.put(s.name(), s);
    }
    this.shapes = m;
    this.liveSpotPrices = Map.copyOf(liveSpotPrices);
  }

  /**
   * The embedded catalog for {@code region}.
   *
   * @throws IllegalArgumentException naming the known regions when {@code region} is not one
   */
  public static Catalog load(String region) {
    Catalog c = LOADED.get(region);
    if (c != null) {
      return c;
    }
    CatalogData data = embedded();
    if (!data.regions().containsKey(region)) {
      throw new IllegalArgumentException(
          "unknown region '"
              + region
              + "': the embedded catalog has "
              + String.join(", ", new TreeSet<>(data.regions().keySet())));
    }
    Catalog created = new Catalog(region, data, Map.of());
    Catalog previous = LOADED.putIfAbsent(region, created);
    return previous != null ? previous : created;
  }

  /** A catalog over data that did not come from the embedded resource (e.g. a live refresh). */
  public static Catalog of(CatalogData data, String region) {
    if (!data.regions().containsKey(region)) {
      throw new IllegalArgumentException(
          "unknown region '"
              + region
              + "': the data has "
              + String.join(", ", new TreeSet<>(data.regions().keySet())));
    }
    return new Catalog(region, data, Map.of());
  }

  /** Regions the embedded catalog covers. */
  public static List<String> regions() {
    return List.copyOf(new TreeSet<>(embedded().regions().keySet()));
  }

  private static CatalogData embedded() {
    CatalogData d = embedded;
    if (d == null) {
      synchronized (Catalog.class) {
        d = embedded;
        if (d == null) {
          try (InputStream in = Catalog.class.getResourceAsStream(CatalogData.RESOURCE)) {
            if (in == null) {
              throw new IllegalStateException(
                  "embedded catalog " + CatalogData.RESOURCE + " is missing from the classpath");
            }
            d = CatalogData.read(in);
          } catch (IOException e) {
            throw new UncheckedIOException("reading " + CatalogData.RESOURCE, e);
          }
          embedded = d;
        }
      }
    }
    return d;
  }

  /**
   * A copy whose spot offerings use observed prices (type -> zone -> USD/h, e.g. from
   * DescribeSpotPriceHistory) instead of the offline estimate; spot offerings without an observed
   * price become unavailable, as Karpenter treats offerings without a price.
   */
  public Catalog withSpotPrices(Map<String, Map<String, Double>> spotPrices) {
    Map<String, Map<String, Double>> copy = new HashMap<>();
    spotPrices.forEach((k, v) -> copy.put(k, Map.copyOf(v)));
    return new Catalog(region, new CatalogData(shapesByName, Map.of(region, regionData)), copy);
  }

  public String region() {
    return region;
  }

  /** Instance types for AL2023 defaults ({@link NodeClassSettings#DEFAULT}), sorted by name. */
  public List<InstanceType> instanceTypes() {
    return instanceTypes(NodeClassSettings.DEFAULT);
  }

  /**
   * Instance types as an EC2NodeClass with these settings sees them, sorted by name. Types that
   * cannot run the AMI family (arm64 with Windows) are left out.
   */
  public List<InstanceType> instanceTypes(NodeClassSettings settings) {
    if (settings == NodeClassSettings.DEFAULT) {
      List<InstanceType> d = defaults;
      if (d == null) {
        d = derive(settings);
        defaults = d;
      }
      return d;
    }
    List<InstanceType> cached = byInstanceSettings.get(settings);
    if (cached != null) {
      return cached;
    }
    List<InstanceType> previous = byInstanceSettings.putIfAbsent(settings, derive(settings));
    return previous != null ? previous : byInstanceSettings.get(settings);
  }

  /** Shapes are sorted by name, so the result is too. */
  private List<InstanceType> derive(NodeClassSettings settings) {
    InstanceType[] out = new InstanceType[shapesByName.size()];
    int n = 0;
    for (InstanceShape s : shapesByName) {
      InstanceType t = InstanceTypeResolver.resolve(s, region, offerings(s), settings);
      if (t != null) {
        out[n++] = t;
      }
    }
    return n == out.length ? List.of(out) : List.of(Arrays.copyOf(out, n));
  }

  /** The instance type with AL2023 defaults. */
  public Optional<InstanceType> get(String name) {
    Map<String, InstanceType> byName = defaultsByName;
    if (byName == null) {
      byName = new HashMap<>();
      for (InstanceType t : instanceTypes()) {
        byName.put(t.name(), t);
      }
      defaultsByName = byName;
    }
    return Optional.ofNullable(byName.get(name));
  }

  /** The DescribeInstanceTypes facts behind an instance type. */
  public Optional<InstanceShape> shape(String name) {
    return Optional.ofNullable(shapes.get(name));
  }

  /**
   * Whether an offering's price is an estimate rather than a published or observed price: spot
   * prices offline, and on-demand prices copied from another region's price list.
   */
  public boolean isPriceEstimated(Offering o) {
    if (o.capacityType().equals("spot")) {
      return liveSpotPrices.isEmpty();
    }
    return regionData.onDemandPricesEstimated();
  }

  /**
   * The on-demand list price in USD per hour, also for types the zone data offers nowhere in this
   * region (such as the p3 supplement), which therefore have no offerings.
   */
  public OptionalDouble onDemandPrice(String instanceType) {
    Double p = regionData.onDemandPrices().get(instanceType);
    return p == null ? OptionalDouble.empty() : OptionalDouble.of(p);
  }

  /** The region whose public price list the on-demand prices come from. */
  public String onDemandPriceRegion() {
    return regionData.onDemandPriceRegion();
  }

  private List<Offering> offerings(InstanceShape s) {
    List<String> zones = regionData.zones().getOrDefault(s.name(), List.of());
    if (zones.isEmpty()) {
      return List.of();
    }
    Double od = regionData.onDemandPrices().get(s.name());
    boolean spot = s.usageClasses().contains("spot");
    boolean onDemand = s.usageClasses().contains("on-demand");
    Double estimatedSpot =
        spot && liveSpotPrices.isEmpty() && od != null
            ? SpotPriceEstimate.estimate(s.name(), od)
            : null;
    Map<String, Double> observed = liveSpotPrices.getOrDefault(s.name(), Map.of());
    Offering[] out = new Offering[zones.size() * ((spot ? 1 : 0) + (onDemand ? 1 : 0))];
    int n = 0;
    for (String zone : zones) {
      if (spot) {
        Double price = liveSpotPrices.isEmpty() ? estimatedSpot : observed.get(zone);
        out[n++] = new Offering(zone, "spot", price == null ? 0 : price, price != null);
      }
      if (onDemand) {
        out[n++] = new Offering(zone, "on-demand", od == null ? 0 : od, od != null);
      }
    }
    return List.of(out);
  }
}
