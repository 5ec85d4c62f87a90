package dev.karpenter.simulate;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.api.v1.Taint;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.provisioning.scheduling.ExistingNode;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.provisioning.scheduling.SchedulingNodePool;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads Kubernetes manifests (multi-document YAML files or directories of them) into a {@link
 * SchedulingInput}. Every problem is reported as {@code file:line: message}.
 */
public final class ManifestReader {
  /** Bad input, with the file and line it comes from. */
  public static final class InvalidManifestException extends Exception {
    public InvalidManifestException(String message) {
      super(message);
    }
  }

  private record Doc(Path file, int line, JsonNode node) {
    String where() {
      return file + ":" + line;
    }
  }

  private final ObjectMapper mapper =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Catalog catalog;
  private final List<String> warnings = new ArrayList<>();

  public ManifestReader(Catalog catalog) {
    this.catalog = catalog;
  }

  public List<String> warnings() {
    return warnings;
  }

  public SchedulingInput read(List<Path> paths) throws InvalidManifestException {
    List<Doc> docs = new ArrayList<>();
    for (Path p : paths) {
      for (Path f : files(p)) {
        docs.addAll(parse(f));
      }
    }
    Map<String, NodeClassSettings> nodeClasses = new HashMap<>();
    for (Doc d : docs) {
      if (kind(d).equals("EC2NodeClass")) {
        nodeClasses.put(name(d), nodeClassSettings(d));
      }
    }
    List<SchedulingNodePool> pools = new ArrayList<>();
    List<Pod> pending = new ArrayList<>();
    List<DaemonSet> daemonSets = new ArrayList<>();
    Map<String, Node> nodes = new LinkedHashMap<>();
    Map<String, List<Pod>> bound = new HashMap<>();
    Map<String, Doc> boundDocs = new HashMap<>();
    List<PersistentVolumeClaim> claims = new ArrayList<>();
    List<PersistentVolume> volumes = new ArrayList<>();
    List<StorageClass> storageClasses = new ArrayList<>();
    for (Doc d : docs) {
      switch (kind(d)) {
        case "NodePool" -> pools.add(nodePool(d, nodeClasses));
        case "Pod" -> {
          Pod pod = convert(d, Pod.class);
          checkPod(d, pod, pod.getMetadata().getName());
          String node = pod.getSpec().getNodeName();
          if (node != null && !node.isEmpty()) {
            bound.computeIfAbsent(node, k -> new ArrayList<>()).add(pod);
            boundDocs.put(node, d);
          } else {
            pending.add(pod);
          }
        }
        case "Deployment", "ReplicaSet", "StatefulSet" ->
            pending.addAll(replicas(d, "replicas", "/spec/replicas"));
        case "Job" -> pending.addAll(replicas(d, "parallelism", "/spec/parallelism"));
        case "DaemonSet" -> {
          DaemonSet ds = convert(d, DaemonSet.class);
          if (ds.getSpec() == null || ds.getSpec().getTemplate() == null) {
            throw new InvalidManifestException(
                d.where() + ": DaemonSet " + name(d) + ": spec.template is required");
          }
          checkPodSpec(d, ds.getSpec().getTemplate(), "DaemonSet " + name(d));
          daemonSets.add(ds);
        }
        case "Node" -> nodes.put(name(d), convert(d, Node.class));
        case "PersistentVolumeClaim" -> claims.add(convert(d, PersistentVolumeClaim.class));
        case "PersistentVolume" -> volumes.add(convert(d, PersistentVolume.class));
        case "StorageClass" -> storageClasses.add(convert(d, StorageClass.class));
        default -> {}
      }
    }
    List<ExistingNode> existing = new ArrayList<>();
    for (Node n : nodes.values()) {
      existing.add(existingNode(n, bound.getOrDefault(n.getMetadata().getName(), List.of())));
    }
    for (String node : bound.keySet()) {
      if (!nodes.containsKey(node)) {
        throw new InvalidManifestException(
            boundDocs.get(node).where()
                + ": Pod is bound to node "
                + node
                + " (spec.nodeName) but no Node "
                + node
                + " is in the input");
      }
    }
    // The manifests are the whole cluster: a claim they do not hold does not exist.
    return new SchedulingInput(
        pending,
        existing,
        List.of(),
        daemonSets,
        withNodeUsage(pools, nodes.values()),
        Set.of(),
        SchedulingInput.Volumes.of(claims, volumes, storageClasses));
  }

  /** A NodePool's usage is the capacity of its nodes in the input, plus their count. */
  private static List<SchedulingNodePool> withNodeUsage(
      List<SchedulingNodePool> pools, java.util.Collection<Node> nodes) {
    List<SchedulingNodePool> out = new ArrayList<>();
    for (SchedulingNodePool p : pools) {
      Resources usage = p.usage();
      for (Node n : nodes) {
        Map<String, String> labels = n.getMetadata().getLabels();
        if (labels == null || !p.name().equals(labels.get(Labels.NODEPOOL))) {
          continue;
        }
        Map<String, Quantity> cap =
            n.getStatus() == null
                ? Map.of()
                : n.getStatus().getCapacity() != null
                    ? n.getStatus().getCapacity()
                    : n.getStatus().getAllocatable() == null
                        ? Map.of()
                        : n.getStatus().getAllocatable();
        usage = usage.plus(quantities(cap)).plus(Resources.of("nodes", 1000));
      }
      out.add(p.withUsage(usage));
    }
    return out;
  }

  private static List<Path> files(Path p) throws InvalidManifestException {
    if (!Files.exists(p)) {
      throw new InvalidManifestException(p + ": no such file or directory");
    }
    if (Files.isRegularFile(p)) {
      return List.of(p);
    }
    try (Stream<Path> s = Files.walk(p)) {
      return s.filter(Files::isRegularFile)
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new InvalidManifestException(p + ": " + e.getMessage());
    }
  }

  private List<Doc> parse(Path f) throws InvalidManifestException {
    List<Doc> out = new ArrayList<>();
    try (JsonParser parser = mapper.getFactory().createParser(f.toFile())) {
      JsonToken t;
      while ((t = parser.nextToken()) != null) {
        int line = parser.currentTokenLocation().getLineNr();
        if (t != JsonToken.START_OBJECT) {
          if (t == JsonToken.VALUE_NULL) {
            continue;
          }
          throw new InvalidManifestException(f + ":" + line + ": document is not a mapping");
        }
        JsonNode node = mapper.readTree(parser);
        if (!node.hasNonNull("kind")) {
          throw new InvalidManifestException(f + ":" + line + ": document has no kind");
        }
        out.add(new Doc(f, line, node));
      }
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new InvalidManifestException(
          f + ":" + line + ": invalid YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidManifestException(f + ": " + e.getMessage());
    }
    return out;
  }

  private static String kind(Doc d) {
    return d.node.path("kind").asText();
  }

  private static String name(Doc d) {
    return d.node.path("metadata").path("name").asText("");
  }

  private <T> T convert(Doc d, Class<T> type) throws InvalidManifestException {
    try {
      return mapper.treeToValue(d.node, type);
    } catch (JsonProcessingException e) {
      throw new InvalidManifestException(
          d.where() + ": " + kind(d) + " " + name(d) + ": " + describe(e));
    } catch (IllegalArgumentException e) {
      throw new InvalidManifestException(
          d.where() + ": " + kind(d) + " " + name(d) + ": " + e.getMessage());
    }
  }

  private static String describe(JsonProcessingException e) {
    String path = "";
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      StringBuilder sb = new StringBuilder();
      for (JsonMappingException.Reference r : m.getPath()) {
        if (r.getFieldName() != null) {
          sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
        } else if (r.getIndex() >= 0) {
          sb.append('[').append(r.getIndex()).append(']');
        }
      }
      path = sb + ": ";
    }
    if (e instanceof InvalidFormatException f && f.getTargetType().isEnum()) {
      return path
          + "'"
          + f.getValue()
          + "' is not one of "
          + Arrays.toString(f.getTargetType().getEnumConstants());
    }
    String msg = e.getOriginalMessage();
    int cut = msg.indexOf('\n');
    return path + (cut > 0 ? msg.substring(0, cut) : msg);
  }

  private SchedulingNodePool nodePool(Doc d, Map<String, NodeClassSettings> nodeClasses)
      throws InvalidManifestException {
    NodePool np = convert(d, NodePool.class);
    String where = d.where() + ": NodePool " + name(d) + ": ";
    if (np.getSpec() == null
        || np.getSpec().template() == null
        || np.getSpec().template().spec() == null) {
      throw new InvalidManifestException(where + "spec.template.spec is required");
    }
    var spec = np.getSpec();
    var tspec = spec.template().spec();
    int weight = spec.weight() == null ? 0 : spec.weight();
    if (spec.weight() != null && (weight < 1 || weight > 100)) {
      throw new InvalidManifestException(where + "spec.weight: must be 1..100, got " + weight);
    }
    List<Requirement> reqs = new ArrayList<>();
    List<NodeSelectorRequirementWithMinValues> raw = tspec.requirementsOrEmpty();
    for (int i = 0; i < raw.size(); i++) {
      var r = raw.get(i);
      String field = "spec.template.spec.requirements[" + i + "]";
      if (r.key() == null || r.operator() == null) {
        throw new InvalidManifestException(where + field + ": key and operator are required");
      }
      if (r.key().equals(Labels.NODEPOOL) || r.key().equals(Labels.HOSTNAME)) {
        throw new InvalidManifestException(where + field + ".key: " + r.key() + " is restricted");
      }
      try {
        int mv = r.minValues() == null ? 0 : r.minValues();
        if (r.operator() == NodeSelectorRequirementWithMinValues.Operator.In
            && mv > r.valuesOrEmpty().size()) {
          throw new IllegalArgumentException(
              "minValues " + mv + " exceeds the " + r.valuesOrEmpty().size() + " values");
        }
        reqs.add(Requirement.of(r.key(), r.operator().name(), r.valuesOrEmpty(), mv));
      } catch (IllegalArgumentException e) {
        throw new InvalidManifestException(where + field + " (" + r.key() + "): " + e.getMessage());
      }
    }
    Map<String, String> labels = spec.template().metadataOrEmpty().labelsOrEmpty();
    Resources limits;
    try {
      limits = quantities(spec.limitsOrEmpty());
    } catch (IllegalArgumentException e) {
      throw new InvalidManifestException(where + "spec.limits: " + e.getMessage());
    }
    NodeClassSettings settings = NodeClassSettings.DEFAULT;
    String nodeClass = tspec.nodeClassRef() == null ? null : tspec.nodeClassRef().name();
    if (nodeClass != null && nodeClasses.containsKey(nodeClass)) {
      settings = nodeClasses.get(nodeClass);
    } else {
      warnings.add(
          where
              + "EC2NodeClass "
              + nodeClass
              + " is not in the input; using AL2023 defaults for instance-type capacity");
    }
    List<InstanceType> types = catalog.instanceTypes(settings);
    Requirements requirements = Requirements.of(reqs);
    return new SchedulingNodePool(
        name(d),
        weight,
        requirements,
        labels,
        tspec.taintsOrEmpty().stream().map(Taint::toModel).toList(),
        tspec.startupTaintsOrEmpty().stream().map(Taint::toModel).toList(),
        limits,
        Resources.NONE,
        types);
  }

  private static Resources quantities(Map<String, Quantity> m) {
    return m.isEmpty() ? Resources.NONE : Pods.parse(m);
  }

  private NodeClassSettings nodeClassSettings(Doc d) throws InvalidManifestException {
    JsonNode spec = d.node.path("spec");
    String family = spec.path("amiFamily").asText(null);
    if (family == null) {
      for (JsonNode term : spec.path("amiSelectorTerms")) {
        String alias = term.path("alias").asText(null);
        if (alias != null) {
          family = aliasFamily(alias.split("@")[0]);
        }
      }
    }
    JsonNode kubelet = spec.path("kubelet");
    String rootVolume = null;
    for (JsonNode bdm : spec.path("blockDeviceMappings")) {
      if (bdm.path("rootVolume").asBoolean(false) || rootVolume == null) {
        rootVolume = bdm.path("ebs").path("volumeSize").asText(null);
      }
    }
    try {
      return new NodeClassSettings(
          family,
          kubelet.hasNonNull("maxPods") ? kubelet.get("maxPods").asInt() : null,
          kubelet.hasNonNull("podsPerCore") ? kubelet.get("podsPerCore").asInt() : null,
          stringMap(kubelet.path("kubeReserved")),
          stringMap(kubelet.path("systemReserved")),
          stringMap(kubelet.path("evictionHard")),
          rootVolume,
          "RAID0".equals(spec.path("instanceStorePolicy").asText(null)));
    } catch (IllegalArgumentException e) {
      throw new InvalidManifestException(
          d.where() + ": EC2NodeClass " + name(d) + ": spec." + e.getMessage());
    }
  }

  private static String aliasFamily(String alias) {
    return switch (alias.toLowerCase(java.util.Locale.ROOT)) {
      case "al2" -> "AL2";
      case "bottlerocket" -> "Bottlerocket";
      case "windows2019" -> "Windows2019";
      case "windows2022" -> "Windows2022";
      case "windows2025" -> "Windows2025";
      default -> "AL2023";
    };
  }

  private static Map<String, String> stringMap(JsonNode n) {
    Map<String, String> m = new LinkedHashMap<>();
    n.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }

  private List<Pod> replicas(Doc d, String field, String pointer) throws InvalidManifestException {
    JsonNode count = d.node.at(pointer);
    int n = 1;
    if (!count.isMissingNode() && !count.isNull()) {
      if (!count.canConvertToInt() || count.asInt() < 0) {
        throw new InvalidManifestException(
            d.where()
                + ": "
                + kind(d)
                + " "
                + name(d)
                + ": spec."
                + field
                + ": must be a non-negative integer, got '"
                + count.asText()
                + "'");
      }
      n = count.asInt();
    }
    JsonNode template = d.node.at("/spec/template");
    if (template.isMissingNode()) {
      throw new InvalidManifestException(
          d.where() + ": " + kind(d) + " " + name(d) + ": spec.template is required");
    }
    PodTemplateSpec t;
    try {
      t = mapper.treeToValue(template, PodTemplateSpec.class);
    } catch (JsonProcessingException e) {
      throw new InvalidManifestException(
          d.where() + ": " + kind(d) + " " + name(d) + ": spec.template." + describe(e));
    }
    checkPodSpec(d, t, kind(d) + " " + name(d));
    String ns = d.node.path("metadata").path("namespace").asText("default");
    List<Pod> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ObjectMeta meta = t.getMetadata() == null ? new ObjectMeta() : t.getMetadata();
      out.add(
          new PodBuilder()
              .withMetadata(meta)
              .editMetadata()
              .withName(name(d) + "-" + i)
              .withNamespace(ns)
              .endMetadata()
              .withSpec(t.getSpec())
              .build());
    }
    return out;
  }

  private static void checkPodSpec(Doc d, PodTemplateSpec t, String what)
      throws InvalidManifestException {
    if (t.getSpec() == null) {
      throw new InvalidManifestException(
          d.where() + ": " + what + ": spec.template.spec is required");
    }
    try {
      Pods.requests(t.getSpec());
      new PodProbe(t.getSpec()).check();
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidManifestException(d.where() + ": " + what + ": " + e.getMessage());
    }
  }

  private static void checkPod(Doc d, Pod pod, String name) throws InvalidManifestException {
    if (name == null || name.isEmpty()) {
      throw new InvalidManifestException(d.where() + ": Pod: metadata.name is required");
    }
    if (pod.getSpec() == null) {
      throw new InvalidManifestException(d.where() + ": Pod " + name + ": spec is required");
    }
    try {
      Pods.requests(pod.getSpec());
      new PodProbe(pod.getSpec()).check();
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidManifestException(d.where() + ": Pod " + name + ": " + e.getMessage());
    }
  }

  private static ExistingNode existingNode(Node n, List<Pod> pods) {
    Map<String, Quantity> alloc =
        n.getStatus() == null
            ? Map.of()
            : n.getStatus().getAllocatable() != null
                ? n.getStatus().getAllocatable()
                : n.getStatus().getCapacity() == null ? Map.of() : n.getStatus().getCapacity();
    Map<String, String> labels = new HashMap<>();
    if (n.getMetadata().getLabels() != null) {
      labels.putAll(n.getMetadata().getLabels());
    }
    labels.putIfAbsent(Labels.HOSTNAME, n.getMetadata().getName());
    return new ExistingNode(
        n.getMetadata().getName(),
        labels,
        n.getSpec() == null || n.getSpec().getTaints() == null
            ? List.of()
            : n.getSpec().getTaints(),
        quantities(alloc),
        pods,
        false);
  }
}
