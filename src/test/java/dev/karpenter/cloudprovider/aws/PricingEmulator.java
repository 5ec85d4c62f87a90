package dev.karpenter.cloudprovider.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The AWS Price List API that moto does not have: answers {@code AWSPriceListService.GetProducts}
 * (JSON 1.1) from the public on-demand price list in /work/shared/data/aws, one product per
 * instance type of the requested {@code regionCode}, in the shape of the real PriceList entries.
 */
final class PricingEmulator implements AutoCloseable {
  static final Path DATA = Path.of("/work/shared/data/aws/on-demand-prices.json");
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;
  private volatile int requests;

  PricingEmulator(Path data) {
    JsonNode prices;
    try {
      prices = JSON.readTree(Files.readString(data)).path("prices");
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
          for (Map.Entry<String, JsonNode> e : prices.path(region).properties()) {
            list.add(product(region, e.getKey(), e.getValue().asDouble()));
          }
          byte[] bytes = JSON.writeValueAsBytes(out);
          ex.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
          ex.sendResponseHeaders(200, bytes.length);
          ex.getResponseBody().write(bytes);
          ex.close();
        });
    server.start();
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

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  int requests() {
    return requests;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
