package dev.karpenter.cloudprovider.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.CatalogData;
import dev.karpenter.cloudprovider.aws.catalog.InstanceShape;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.LocationType;
import software.amazon.awssdk.services.ec2.model.SpotPrice;
import software.amazon.awssdk.services.pricing.PricingClient;
import software.amazon.awssdk.services.pricing.model.FilterType;
import software.amazon.awssdk.services.pricing.model.GetProductsRequest;

/**
 * Instance types, zones and prices of the region from the AWS APIs: DescribeInstanceTypes,
 * DescribeInstanceTypeOfferings (availability zones), Pricing GetProducts (on-demand) and
 * DescribeSpotPriceHistory (spot). Each part falls back to the embedded catalog when its API is
 * unreachable (an isolated VPC, or an emulator without it), and says so in the log.
 */
final class AwsCatalog {
  private static final Logger LOG = LoggerFactory.getLogger(AwsCatalog.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Ec2Client ec2;
  private final PricingClient pricing;
  private final String region;
  private final Clock clock;
  private volatile Catalog current;
  private volatile Instant refreshedAt = Instant.EPOCH;
  private volatile String source = "embedded";

  AwsCatalog(Ec2Client ec2, PricingClient pricing, String region, Clock clock) {
    this.ec2 = ec2;
    this.pricing = pricing;
    this.region = region;
    this.clock = clock;
  }

  Catalog get() {
    Catalog c = current;
    if (c == null) {
      synchronized (this) {
        if (current == null) {
          refresh();
        }
        c = current;
      }
    }
    return c;
  }

  /** Uses {@code c} until the next refresh (tests, and a catalog loaded elsewhere). */
  void use(Catalog c) {
    current = c;
  }

  String source() {
    return source;
  }

  Instant refreshedAt() {
    return refreshedAt;
  }

  /** Reloads everything; never throws. */
  synchronized void refresh() {
    Catalog embedded = embedded();
    List<InstanceShape> shapes = new ArrayList<>();
    Map<String, List<String>> zones = new HashMap<>();
    try {
      for (InstanceTypeInfo info :
          ec2.describeInstanceTypesPaginator(r -> r.maxResults(100)).instanceTypes()) {
        InstanceShape s = InstanceShapes.of(info);
        if (s != null) {
          shapes.add(s);
        }
      }
      ec2.describeInstanceTypeOfferingsPaginator(
              r -> r.locationType(LocationType.AVAILABILITY_ZONE).maxResults(1000))
          .instanceTypeOfferings()
          .forEach(
              o ->
                  zones
                      .computeIfAbsent(o.instanceTypeAsString(), k -> new ArrayList<>())
                      .add(o.location()));
    } catch (SdkException e) {
      LOG.warn(
          "DescribeInstanceTypes/DescribeInstanceTypeOfferings failed ({}); using the embedded"
              + " catalog for {} offline",
          AwsErrors.describe(e),
          region);
      if (current == null) {
        current = embedded;
        source = "embedded";
      }
      return;
    }
    Map<String, Double> onDemand = onDemandPrices();
    String priceRegion = region;
    if (onDemand.isEmpty()) {
      LOG.warn(
          "on-demand prices: Pricing GetProducts gave nothing for {}; using the embedded price"
              + " table ({}) offline",
          region,
          embedded == null ? "none" : embedded.onDemandPriceRegion());
      onDemand = new HashMap<>();
      if (embedded != null) {
        for (InstanceShape s : shapes) {
          var p = embedded.onDemandPrice(s.name());
          if (p.isPresent()) {
            onDemand.put(s.name(), p.getAsDouble());
          }
        }
        priceRegion = embedded.onDemandPriceRegion();
      }
    }
    Map<String, Map<String, Double>> spot = spotPrices();
    Catalog c =
        Catalog.of(
            new CatalogData(
                shapes,
                Map.of(region, new CatalogData.RegionData(region, priceRegion, zones, onDemand))),
            region);
    if (!spot.isEmpty()) {
      c = c.withSpotPrices(spot);
    } else {
      LOG.warn("DescribeSpotPriceHistory gave no prices; spot prices are estimated from on-demand");
    }
    current = c;
    refreshedAt = clock.instant();
    source = "aws";
    LOG.info(
        "instance types refreshed from AWS: {} types, {} on-demand prices, {} spot types",
        shapes.size(),
        onDemand.size(),
        spot.size());
  }

  private Catalog embedded() {
    try {
      return Catalog.load(region);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Linux, shared tenancy, no pre-installed software, "Used" capacity: upstream's filters. */
  Map<String, Double> onDemandPrices() {
    Map<String, Double> out = new HashMap<>();
    try {
      GetProductsRequest req =
          GetProductsRequest.builder()
              .serviceCode("AmazonEC2")
              .filters(
                  f("regionCode", region),
                  f("tenancy", "Shared"),
                  f("productFamily", "Compute Instance"),
                  f("operatingSystem", "Linux"),
                  f("preInstalledSw", "NA"),
                  f("capacitystatus", "Used"),
                  f("marketoption", "OnDemand"))
              .build();
      for (String item : pricing.getProductsPaginator(req).priceList()) {
        parsePrice(item, out);
      }
    } catch (SdkException e) {
      LOG.warn("Pricing GetProducts failed: {}", AwsErrors.describe(e));
      return Map.of();
    }
    return out;
  }

  static void parsePrice(String item, Map<String, Double> out) {
    try {
      JsonNode n = JSON.readTree(item);
      String type = n.path("product").path("attributes").path("instanceType").asText(null);
      if (type == null) {
        return;
      }
      for (JsonNode term : n.path("terms").path("OnDemand")) {
        for (JsonNode dim : term.path("priceDimensions")) {
          String usd = dim.path("pricePerUnit").path("USD").asText(null);
          if (usd != null) {
            double p = Double.parseDouble(usd);
            if (p > 0) {
              out.merge(type, p, Math::min);
            }
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("skipping an unreadable price list entry: {}", e.toString());
    }
  }

  private static software.amazon.awssdk.services.pricing.model.Filter f(
      String field, String value) {
    return software.amazon.awssdk.services.pricing.model.Filter.builder()
        .type(FilterType.TERM_MATCH)
        .field(field)
        .value(value)
        .build();
  }

  /** The latest price per (type, zone). */
  Map<String, Map<String, Double>> spotPrices() {
    Map<String, Map<String, Double>> out = new HashMap<>();
    Map<String, Instant> seen = new HashMap<>();
    try {
      for (SpotPrice p :
          ec2.describeSpotPriceHistoryPaginator(
                  r ->
                      r.productDescriptions("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
                          .startTime(clock.instant()))
              .spotPriceHistory()) {
        String key = p.instanceTypeAsString() + "/" + p.availabilityZone();
        Instant ts = p.timestamp() == null ? Instant.EPOCH : p.timestamp();
        Instant prev = seen.get(key);
        if (prev != null && !ts.isAfter(prev)) {
          continue;
        }
        seen.put(key, ts);
        out.computeIfAbsent(p.instanceTypeAsString(), k -> new HashMap<>())
            .put(p.availabilityZone(), Double.parseDouble(p.spotPrice()));
      }
    } catch (SdkException | NumberFormatException e) {
      LOG.warn("DescribeSpotPriceHistory failed: {}", AwsErrors.describe(e));
      return Map.of();
    }
    return out;
  }
}
