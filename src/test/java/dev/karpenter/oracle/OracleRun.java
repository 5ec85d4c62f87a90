package dev.karpenter.oracle;

import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.provisioning.scheduling.Scheduler;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Many seeds through the {@link Oracle} on one control plane; failing seeds shrunk and written as
 * reproducible scenarios under {@code target/oracle/}. Configured by system properties (or the
 * upper-case environment variables): {@code oracle.seeds}, {@code oracle.firstSeed}, {@code
 * oracle.shrink} (failing seeds to shrink), {@code oracle.improveMs} (cost-improver budget).
 */
final class OracleRun {
  record Summary(int seeds, int passed, Map<String, Integer> seedsByKind, List<String> shrunk) {
    double passRate() {
      return seeds == 0 ? 0 : 100.0 * passed / seeds;
    }
  }

  static long setting(String name, long dflt) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      v = System.getenv(name.toUpperCase().replace('.', '_'));
    }
    return v == null || v.isBlank() ? dflt : Long.parseLong(v.strip());
  }

  static Summary run(KubernetesClient client, PrintStream out) {
    long first = setting("oracle.firstSeed", 1);
    int seeds = (int) setting("oracle.seeds", 20);
    int shrinkMax = (int) setting("oracle.shrink", 3);
    long improveMs = setting("oracle.improveMs", 200);
    Catalog catalog = Catalog.load("us-east-1");
    WorkloadGenerator gen = new WorkloadGenerator(catalog);
    Scheduler scheduler =
        new Scheduler(Scheduler.Options.defaults().withImproveBudget(Duration.ofMillis(improveMs)));
    Oracle oracle = new Oracle(client, scheduler, gen.types());
    String run = UUID.randomUUID().toString().substring(0, 5);
    Path dir = Path.of("target", "oracle");
    mkdirs(dir);
    int passed = 0;
    Map<String, Integer> byKind = new TreeMap<>();
    List<Oracle.Outcome> failures = new ArrayList<>();
    long t0 = System.nanoTime();
    for (long seed = first; seed < first + seeds; seed++) {
      Workload w = gen.generate(seed, "o" + run + "s" + seed);
      Oracle.Outcome o = oracle.run(w, client != null);
      Set<String> kinds = new TreeSet<>();
      o.violations().forEach(x -> kinds.add(x.kind()));
      kinds.forEach(k -> byKind.merge(k, 1, Integer::sum));
      if (o.passed()) {
        passed++;
      } else {
        failures.add(o);
      }
      out.printf(
          "seed %d: %d pods, %d pools, %d claims, %d unschedulable: %s%n",
          seed,
          w.pods().size(),
          w.pools().size(),
          o.plan().nodeClaims().size(),
          o.plan().unschedulable().size(),
          o.passed() ? "ok" : kinds + " " + examples(o.violations()));
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    List<String> shrunk = new ArrayList<>();
    // One failing seed per kind, rarest kind first, so every defect class gets a small case.
    List<String> kindsByRarity = new ArrayList<>(byKind.keySet());
    kindsByRarity.sort(java.util.Comparator.comparing(byKind::get));
    Set<Long> done = new java.util.HashSet<>();
    for (String kind : kindsByRarity) {
      if (shrunk.size() >= shrinkMax) {
        break;
      }
      Oracle.Outcome f = null;
      for (Oracle.Outcome o : failures) {
        if (!done.contains(o.workload().seed())
            && o.violations().stream().anyMatch(x -> x.kind().equals(kind))) {
          f = o;
          break;
        }
      }
      if (f == null) {
        continue;
      }
      done.add(f.workload().seed());
      boolean staticOnly = Violation.STATIC.contains(kind);
      Shrinker s =
          new Shrinker(
              w -> {
                Oracle.Outcome o = oracle.run(w, client != null && !staticOnly);
                return o.violations().stream().anyMatch(x -> x.kind().equals(kind));
              },
              Duration.ofSeconds(staticOnly ? 60 : 240));
      Workload small = s.shrink(f.workload());
      Oracle.Outcome again = oracle.run(small, client != null);
      StringBuilder sb = new StringBuilder();
      sb.append("# ")
          .append(kind)
          .append(": shrunk from ")
          .append(f.workload().pods().size())
          .append(" pods to ")
          .append(small.pods().size())
          .append(" in ")
          .append(s.tries())
          .append(" tries\n# violations:\n");
      again.violations().forEach(x -> sb.append("#   ").append(x).append('\n'));
      sb.append("# plan: ").append(again.plan().nodeClaims()).append('\n');
      sb.append("# on existing nodes: ").append(again.plan().existingNodes()).append('\n');
      sb.append("# unschedulable: ").append(again.plan().unschedulable()).append('\n');
      sb.append(small.describe());
      String text = sb.toString();
      shrunk.add(text);
      write(dir.resolve("seed-" + f.workload().seed() + "-" + kind + ".txt"), text);
      out.println("---- shrunk seed " + f.workload().seed() + " (" + kind + ") ----\n" + text);
    }
    Summary summary = new Summary(seeds, passed, byKind, shrunk);
    String line =
        String.format(
            "oracle: %d/%d seeds passed (%.1f%%) in %.0f s; seeds failing per kind: %s",
            passed, seeds, summary.passRate(), secs, byKind);
    out.println(line);
    write(dir.resolve("summary.txt"), line + "\n");
    return summary;
  }

  /** The first violation of each kind, each cut to 300 characters. */
  static String examples(List<Violation> violations) {
    Map<String, String> first = new TreeMap<>();
    for (Violation v : violations) {
      String t = v.toString();
      first.putIfAbsent(v.kind(), t.length() > 300 ? t.substring(0, 300) + "..." : t);
    }
    return String.join(" | ", first.values());
  }

  private static void mkdirs(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path p, String s) {
    try {
      Files.writeString(p, s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
