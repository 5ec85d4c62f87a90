package dev.karpenter.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.CatalogData;
import dev.karpenter.cloudprovider.aws.catalog.CatalogGenerator;
import dev.karpenter.cloudprovider.aws.catalog.InstanceShape;
import dev.karpenter.cloudprovider.aws.catalog.LabelSelector;
import dev.karpenter.cloudprovider.aws.catalog.SpotPriceEstimate;
import dev.karpenter.scheduling.Quantities;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code karpenter catalog}: the EC2 instance-type catalog for people (table) and tools (json). */
@Command(
    name = "catalog",
    description = {
      "List EC2 instance types with labels, allocatable resources, prices and zones.",
      "Allocatable is Karpenter's estimate for AL2023 defaults. Offline spot prices are"
          + " estimates (marked ~)."
    },
    mixinStandardHelpOptions = true,
    subcommands = {CatalogCommand.Generate.class})
public final class CatalogCommand implements Runnable {
  enum Format {
    table,
    json
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--gpu", description = "Only types with GPUs.")
  boolean gpu;

  @Option(
      names = "--accelerator",
      description = "Only types with any accelerator: GPU, Neuron (Inferentia/Trainium) or other.")
  boolean accelerator;

  @Option(
      names = {"-l", "--selector"},
      paramLabel = "EXPR",
      description =
          "Label condition, repeatable (all must hold): KEY=V1,V2  KEY!=V  KEY>N  KEY<N  KEY>=N"
              + "  KEY<=N  KEY  !KEY. karpenter.k8s.aws/ may be left out, e.g."
              + " -l instance-gpu-name=t4,a10g -l 'instance-generation>5'.")
  List<String> selectors = new ArrayList<>();

  @Option(
      names = "--region",
      defaultValue = "us-east-1",
      description = "Region of the embedded catalog (default: ${DEFAULT-VALUE}).")
  String region;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table or json (default: ${DEFAULT-VALUE}).")
  Format output;

  @Override
  public void run() {
    List<LabelSelector> parsed = new ArrayList<>();
    for (String s : selectors) {
      try {
        parsed.add(LabelSelector.parse(s));
      } catch (IllegalArgumentException e) {
        throw new CliErrors.UserException(e.getMessage(), CliErrors.USAGE);
      }
    }
    Catalog catalog;
    try {
      catalog = Catalog.load(region);
    } catch (IllegalArgumentException e) {
      throw new CliErrors.UserException("--region: " + e.getMessage(), CliErrors.USAGE);
    }
    List<InstanceType> types = new ArrayList<>();
    for (InstanceType t : catalog.instanceTypes()) {
      InstanceShape s = catalog.shape(t.name()).orElseThrow();
      if (gpu && !accelerator && s.gpus().isEmpty()) {
        continue;
      }
      if (accelerator && !hasAccelerator(s)) {
        continue;
      }
      if (parsed.stream().allMatch(sel -> sel.matches(t.labels()))) {
        types.add(t);
      }
    }
    types.sort(
        Comparator.comparing(
                (InstanceType t) -> t.labels().getOrDefault(Labels.INSTANCE_FAMILY, ""))
            .thenComparingLong(t -> t.capacity().get("cpu"))
            .thenComparing(InstanceType::name));
    PrintWriter out = spec.commandLine().getOut();
    if (output == Format.json) {
      out.println(json(catalog, types));
    } else {
      table(out, catalog, types);
    }
    out.flush();
  }

  private static boolean hasAccelerator(InstanceShape s) {
    return !s.gpus().isEmpty() || !s.neuronDevices().isEmpty() || !s.accelerators().isEmpty();
  }

  static String json(Catalog catalog, List<InstanceType> types) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (InstanceType t : types) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", t.name());
      m.put("labels", new TreeMap<>(t.labels()));
      m.put("capacity", t.capacity().toQuantities());
      m.put("allocatable", t.allocatable().toQuantities());
      List<Map<String, Object>> offerings = new ArrayList<>();
      for (Offering o : t.offerings()) {
        Map<String, Object> om = new LinkedHashMap<>();
        om.put("zone", o.zone());
        om.put("capacityType", o.capacityType());
        om.put("price", o.price());
        om.put("available", o.available());
        om.put("priceEstimated", catalog.isPriceEstimated(o));
        offerings.add(om);
      }
      m.put("offerings", offerings);
      list.add(m);
    }
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(list);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void table(PrintWriter out, Catalog catalog, List<InstanceType> types) {
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {
          "TYPE",
          "ACCELERATOR",
          "COUNT",
          "ACCEL MEMORY",
          "VCPU",
          "MEMORY",
          "ALLOC CPU",
          "ALLOC MEMORY",
          "PODS",
          "ON-DEMAND $/H",
          "SPOT $/H",
          "ZONES (" + catalog.region() + ")"
        });
    boolean anyEstimate = false;
    for (InstanceType t : types) {
      InstanceShape s = catalog.shape(t.name()).orElseThrow();
      Accel a = accel(s);
      Offering od = cheapest(t, "on-demand");
      Offering spot = cheapest(t, "spot");
      anyEstimate |=
          od != null && catalog.isPriceEstimated(od)
              || spot != null && catalog.isPriceEstimated(spot);
      rows.add(
          new String[] {
            t.name(),
            a.name,
            a.count == 0 ? "-" : Integer.toString(a.count),
            a.memoryMib == 0 ? "-" : memory(a.memoryMib, a.perDeviceMib, a.count),
            Integer.toString(s.vcpus()),
            gib(s.memoryMib()),
            Quantities.format("cpu", t.allocatable().get("cpu")),
            Quantities.format("memory", t.allocatable().get("memory")),
            Quantities.format("pods", t.allocatable().get("pods")),
            od == null ? listPrice(catalog, t.name()) : price(catalog, od),
            price(catalog, spot),
            zones(catalog.region(), t)
          });
    }
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        b.append(String.format("%-" + width[i] + "s", r[i]));
        if (i < r.length - 1) {
          b.append("  ");
        }
      }
      out.println(b.toString().stripTrailing());
    }
    out.println(types.size() + " instance types.");
    if (anyEstimate) {
      out.println(
          "~ estimate: offline spot = on-demand x (1 - "
              + Math.round(SpotPriceEstimate.DEFAULT_DISCOUNT * 100)
              + "%)"
              + (catalog.onDemandPriceRegion().equals(catalog.region())
                  ? ""
                  : "; on-demand prices are " + catalog.onDemandPriceRegion() + "'s")
              + ". See docs/catalog.md.");
    }
  }

  private record Accel(String name, int count, long memoryMib, long perDeviceMib) {}

  private static Accel accel(InstanceShape s) {
    if (!s.gpus().isEmpty()) {
      int count = 0;
      long mem = 0;
      TreeSet<String> names = new TreeSet<>();
      for (InstanceShape.Gpu g : s.gpus()) {
        count += g.count();
        mem += g.count() * g.memoryMib();
        names.add(g.name());
      }
      long per = s.gpus().size() == 1 ? s.gpus().get(0).memoryMib() : 0;
      if (count == 0 && s.gpus().size() == 1) {
        // Fractional GPUs (g6f) report Count 0 but still carry a slice of GPU memory.
        mem = per;
      }
      return new Accel(String.join("+", names), count, mem, per);
    }
    if (!s.neuronDevices().isEmpty()) {
      InstanceShape.NeuronDevice d = s.neuronDevices().get(0);
      return new Accel(d.name(), d.count(), d.count() * d.memoryMib(), d.memoryMib());
    }
    if (!s.accelerators().isEmpty()) {
      InstanceShape.Accelerator a = s.accelerators().get(0);
      return new Accel(a.name(), a.count(), a.count() * a.memoryMib(), a.memoryMib());
    }
    return new Accel("-", 0, 0, 0);
  }

  private static String memory(long totalMib, long perDeviceMib, int count) {
    String total = gib(totalMib);
    return count > 1 && perDeviceMib > 0
        ? total + " (" + gib(perDeviceMib) + " x" + count + ")"
        : total;
  }

  private static String gib(long mib) {
    BigDecimal g =
        BigDecimal.valueOf(mib).divide(BigDecimal.valueOf(1024), 1, RoundingMode.HALF_UP);
    return g.stripTrailingZeros().toPlainString() + " GiB";
  }

  private static Offering cheapest(InstanceType t, String capacityType) {
    Offering best = null;
    for (Offering o : t.offerings()) {
      if (o.available() && o.capacityType().equals(capacityType)) {
        if (best == null || o.price() < best.price()) {
          best = o;
        }
      }
    }
    return best;
  }

  private static String price(Catalog catalog, Offering o) {
    if (o == null) {
      return "-";
    }
    String p =
        BigDecimal.valueOf(o.price())
            .setScale(4, RoundingMode.HALF_UP)
            .stripTrailingZeros()
            .toPlainString();
    return catalog.isPriceEstimated(o) ? "~" + p : p;
  }

  private static String listPrice(Catalog catalog, String type) {
    OptionalDouble p = catalog.onDemandPrice(type);
    if (p.isEmpty()) {
      return "-";
    }
    String s = BigDecimal.valueOf(p.getAsDouble()).stripTrailingZeros().toPlainString();
    return catalog.onDemandPriceRegion().equals(catalog.region()) ? s : "~" + s;
  }

  private static String zones(String region, InstanceType t) {
    TreeSet<String> z = new TreeSet<>();
    for (Offering o : t.offerings()) {
      if (o.available()) {
        z.add(o.zone().startsWith(region) ? o.zone().substring(region.length()) : o.zone());
      }
    }
    return z.isEmpty() ? "-" : String.join(",", z);
  }

  /** {@code karpenter catalog generate}: rebuilds the embedded resource from EC2 API output. */
  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Build the catalog resource from DescribeInstanceTypes, DescribeInstanceTypeOfferings and"
            + " on-demand prices (the files in shared/data/aws, or raw AWS CLI/API pages).",
        "Same input, same bytes."
      })
  public static final class Generate implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--instance-types",
        required = true,
        paramLabel = "FILE",
        description = "DescribeInstanceTypes output; repeat for several pages or supplements.")
    List<Path> instanceTypes;

    @Option(
        names = "--offerings",
        required = true,
        paramLabel = "REGION=FILE",
        description =
            "DescribeInstanceTypeOfferings (availability-zone) output for REGION; repeatable.")
    List<String> offerings;

    @Option(
        names = "--prices",
        required = true,
        paramLabel = "FILE",
        description =
            "On-demand prices: {\"prices\":{region:{type:usd}}} or Pricing GetProducts pages.")
    List<Path> prices;

    @Option(
        names = {"-o", "--output"},
        required = true,
        paramLabel = "FILE",
        description =
            "Where to write the resource, e.g. src/main/resources/catalog/catalog.bin.gz.")
    Path output;

    @Override
    public void run() {
      Map<String, List<Path>> byRegion = new TreeMap<>();
      for (String o : offerings) {
        int eq = o.indexOf('=');
        if (eq <= 0 || eq == o.length() - 1) {
          throw new CliErrors.UserException(
              "--offerings: expected REGION=FILE, got '" + o + "'", CliErrors.USAGE);
        }
        byRegion
            .computeIfAbsent(o.substring(0, eq), k -> new ArrayList<>())
            .add(Path.of(o.substring(eq + 1)));
      }
      CatalogData data;
      try {
        data = CatalogGenerator.generate(instanceTypes, byRegion, prices);
        byte[] bytes = CatalogGenerator.write(data, output);
        PrintWriter out = spec.commandLine().getOut();
        out.println(
            "wrote "
                + output
                + ": "
                + data.shapes().size()
                + " instance types, regions "
                + String.join(", ", new TreeSet<>(data.regions().keySet()))
                + ", "
                + bytes.length
                + " bytes");
        data.regions().values().stream()
            .filter(CatalogData.RegionData::onDemandPricesEstimated)
            .forEach(
                r ->
                    out.println(
                        "note: "
                            + r.region()
                            + " has no price list in the input; using "
                            + r.onDemandPriceRegion()
                            + "'s on-demand prices, flagged as estimates"));
        out.flush();
      } catch (NoSuchFileException e) {
        throw new CliErrors.UserException("no such file: " + e.getFile());
      } catch (IOException e) {
        throw new CliErrors.UserException("I/O error: " + e.getMessage());
      } catch (IllegalArgumentException e) {
        throw new CliErrors.UserException(e.getMessage());
      }
    }
  }
}
