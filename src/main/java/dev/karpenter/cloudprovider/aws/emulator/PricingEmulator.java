package dev.karpenter.cloudprovider.aws.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The AWS Price List API that moto does not have: answers {@code AWSPriceListService.GetProducts}
 * (JSON 1.1) from the public on-demand price list in /work/shared/data/aws, one product per
 * instance type of the requested {@code regionCode}, in the shape of the real PriceList entries.
 */
public final class PricingEmulator implements AutoCloseable {
  /** The public on-demand price list the project's catalog is generated from. */
  public static final Path DATA = Path.of("/work/shared/data/aws/on-demand-prices.json");

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<String, Map<String, Double>> prices;
  private final HttpServer server;
  private volatile int requests;

  /** Answers from {@code data} (the shape of {@link #DATA}: {@code prices.<region>.<type>}). */
  public PricingEmulator(Path data) {
    this(read(data));
  }

  /**
   * Answers from the shared price list when this machine has it, else from the embedded catalog's
   * on-demand prices of {@code catalog}'s region (a jar on another machine).
   */
  public static PricingEmulator fromDataOrCatalog(Catalog catalog) {
    if (Files.isReadable(DATA)) {
      return new PricingEmulator(DATA);
    }
    Map<String, Double> byType = new TreeMap<>();
    for (var t : catalog.instanceTypes()) {
      catalog.onDemandPrice(t.name()).ifPresent(p -> byType.put(t.name(), p));
    }
    return new PricingEmulator(Map.of(catalog.region(), byType));
  }

  private PricingEmulator(Map<String, Map<String, Double>> prices) {
    this.prices = prices;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        ex -> {
          requests++;
          JsonNode body = JSON.readTree(ex.getRequestBody());
          String region = "us-east-1";
          for (JsonNode f : body.path("Filters")) {
            if ("regionCode".equals(f.path("Field").asText())) {
              region = f.path("Value").asText();
            }
          }
          ObjectNode out = JSON.createObjectNode();
          out.put("FormatVersion", "aws_v1");
          ArrayNode list = out.putArray("PriceList");
          for (Map.Entry<String, Double> e :
              this.prices.getOrDefault(region, Map.of()).entrySet()) {
            list.add(product(region, e.getKey(), e.getValue()));
          }
          byte[] bytes = JSON.writeValueAsBytes(out);
          ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
          ex.sendResponseHeaders(200, bytes.length);
          ex.getResponseBody().write(bytes);
          ex.close();
        });
    server.setExecutor(null);
    server.start();
  }

  private static Map<String, Map<String, Double>> read(Path data) {
    try {
      Map<String, Map<String, Double>> out = new TreeMap<>();
      for (Map.Entry<String, JsonNode> r :
          JSON.readTree(Files.readString(data)).path("prices").properties()) {
        Map<String, Double> byType = new TreeMap<>();
        r.getValue().properties().forEach(e -> byType.put(e.getKey(), e.getValue().asDouble()));
        out.put(r.getKey(), byType);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the price list " + data, e);
    }
  }

  private static String product(String region, String type, double usd) {
    ObjectNode p = JSON.createObjectNode();
    ObjectNode product = p.putObject("product");
    product.put("productFamily", "Compute Instance");
    ObjectNode a = product.putObject("attributes");
    a.put("instanceType", type);
    a.put("regionCode", region);
    a.put("operatingSystem", "Linux");
    a.put("tenancy", "Shared");
    a.put("preInstalledSw", "NA");
    a.put("capacitystatus", "Used");
    ObjectNode dim =
        p.putObject("terms")
            .putObject("OnDemand")
            .putObject("SKU.JRTCKXETXF")
            .putObject("priceDimensions")
            .putObject("SKU.JRTCKXETXF.6YS6EN2CT7");
    dim.put("unit", "Hrs");
    dim.putObject("pricePerUnit").put("USD", String.format(java.util.Locale.ROOT, "%.10f", usd));
    try {
      return JSON.writeValueAsString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public int requests() {
    return requests;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
