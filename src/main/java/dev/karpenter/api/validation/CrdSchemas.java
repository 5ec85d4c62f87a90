package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The openAPIV3Schema of each served version of our CRDs, read from the CRDs the build generates
 * (on the classpath under {@code META-INF/fabric8/}), keyed by apiVersion and kind.
 */
public final class CrdSchemas {
  private static final List<Class<? extends HasMetadata>> KINDS =
      List.of(NodePool.class, NodeClaim.class, EC2NodeClass.class);

  /** One served version of a CRD. */
  public record Version(
      String group, String version, String kind, JsonNode schema, boolean statusSubresource) {
    public String apiVersion() {
      return group + "/" + version;
    }
  }

  private final Map<String, Version> byApiVersionAndKind;

  private CrdSchemas(Map<String, Version> byApiVersionAndKind) {
    this.byApiVersionAndKind = Map.copyOf(byApiVersionAndKind);
  }

  /** The CRDs bundled with this build. */
  public static CrdSchemas bundled() {
    YAMLMapper yaml = new YAMLMapper();
    Map<String, Version> versions = new LinkedHashMap<>();
    for (Class<? extends HasMetadata> type : KINDS) {
      String resource =
          "META-INF/fabric8/"
              + HasMetadata.getFullResourceName(type)
              + "-"
              + HasMetadata.getVersion(type)
              + ".yml";
      try (InputStream in = CrdSchemas.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("the build did not bundle the CRD " + resource);
        }
        JsonNode crd = yaml.readTree(in);
        String group = crd.at("/spec/group").asText();
        String kind = crd.at("/spec/names/kind").asText();
        for (JsonNode v : crd.at("/spec/versions")) {
          if (v.path("served").asBoolean(true)) {
            Version version =
                new Version(
                    group,
                    v.path("name").asText(),
                    kind,
                    v.at("/schema/openAPIV3Schema"),
                    v.at("/subresources/status").isObject());
            versions.put(key(version.apiVersion(), kind), version);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new CrdSchemas(versions);
  }

  public Optional<Version> find(String apiVersion, String kind) {
    return Optional.ofNullable(byApiVersionAndKind.get(key(apiVersion, kind)));
  }

  /**
   * Whether the apiVersion's group is one of ours (then an unknown version or kind is an error).
   */
  public boolean ownsGroup(String apiVersion) {
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    return byApiVersionAndKind.values().stream().anyMatch(v -> v.group().equals(group));
  }

  public List<String> known() {
    List<String> out = new ArrayList<>();
    byApiVersionAndKind.values().forEach(v -> out.add(v.apiVersion() + " " + v.kind()));
    return out;
  }

  private static String key(String apiVersion, String kind) {
    return apiVersion + " " + kind;
  }
}
