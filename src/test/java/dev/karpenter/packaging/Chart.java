package dev.karpenter.packaging;

import dev.karpenter.testing.Harness;
import dev.karpenter.testing.Tools;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Renders helm/karpenter with a real Helm, for the chart, install and RBAC tests. */
public final class Chart {
  public static final Path DIR = Harness.projectDir().resolve("helm/karpenter");
  public static final String NAMESPACE = "kube-system";

  private Chart() {}

  /**
   * {@code helm template karpenter helm/karpenter -n kube-system <args>}; fails on a non-zero exit.
   */
  public static String template(Path helm, String... args) {
    List<String> all = new ArrayList<>(List.of("template", "karpenter", DIR.toString()));
    all.addAll(List.of("--namespace", NAMESPACE));
    all.addAll(List.of(args));
    Harness.Result r = Tools.run(helm, all.toArray(String[]::new));
    if (r.exitCode() != 0) {
      throw new AssertionError("helm " + String.join(" ", all) + " failed:\n" + r.stderr());
    }
    return r.stdout();
  }

  /** The objects of a rendered chart. */
  public static List<HasMetadata> objects(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
        continue;
      }
      Object o = Serialization.unmarshal(doc);
      if (o instanceof KubernetesList list) {
        out.addAll(list.getItems());
      } else if (o instanceof HasMetadata h) {
        out.add(h);
      } else if (o instanceof List<?> l) {
        l.forEach(x -> out.add((HasMetadata) x));
      }
    }
    return out;
  }
}
