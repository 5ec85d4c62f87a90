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
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodePool;
import dev.karpenter.api.v1.NodeSelectorRequirementWithMinValues;
import dev.karpenter.api.validation.CrdSchemas;
import dev.karpenter.api.validation.Finding;
import dev.karpenter.api.validation.ManifestValidator;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import dev.karpenter.cloudprovider.aws.catalog.NodeClassSettings;
import dev.karpenter.provisioning.scheduling.SchedulingInput;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.state.ApiConversions;
import dev.karpenter.state.ClusterSnapshot;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
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

  /**
   * The documents of {@code kind} from the last {@link #read}, converted to {@code type}; errors
   * name the file and line.
   */
  public <T> List<T> objects(String kind, Class<T> type) throws InvalidManifestException {
    List<T> out = new ArrayList<>();
    for (Doc d : lastDocs) {
      if (kind(d).equals(kind)) {
        out.add(convert(d, type));
      }
    }
    return out;
  }

  /** Where the document of {@code kind}/{@code name} from the last {@link #read} starts. */
  public String where(String kind, String name) {
    for (Doc d : lastDocs) {
      if (kind(d).equals(kind) && name(d).equals(name)) {
        return d.where();
      }
    }
    return kind + " " + name;
  }

  private List<Doc> lastDocs = List.of();
  private ClusterSnapshot.Objects lastObjects;

  /** The objects the last {@link #snapshot} read, as a cluster would hold them. */
  public ClusterSnapshot.Objects lastObjects() {
    return lastObjects;
  }

  public SchedulingInput read(List<Path> paths) throws InvalidManifestException {
    return snapshot(paths).schedulingInput();
  }

  /**
   * The files as a cluster snapshot, through the same translation the operator uses: NodePools,
   * EC2NodeClasses (typed, their kubelet, root volume and AMI family applied to the catalog as the
   * operator's cloud provider applies them), Nodes with their bound Pods, NodeClaims in flight,
   * DaemonSets, and the pending Pods (unbound Pods and the replicas of workloads).
   */
  public ClusterSnapshot snapshot(List<Path> paths) throws InvalidManifestException {
    List<Doc> docs = new ArrayList<>();
    lastDocs = docs;
    for (Path p : paths) {
      for (Path f : files(p)) {
        List<Doc> parsed = parse(f);
        validate(f, parsed);
        docs.addAll(parsed);
      }
    }
    Map<String, EC2NodeClass> nodeClasses = new LinkedHashMap<>();
    Map<String, NodeClassSettings> settings = new HashMap<>();
    for (Doc d : docs) {
      if (kind(d).equals("EC2NodeClass")) {
        EC2NodeClass nc = convert(d, EC2NodeClass.class);
        try {
          settings.put(name(d), NodeClassSettings.of(nc));
        } catch (IllegalArgumentException e) {
          throw new InvalidManifestException(
              d.where() + ": EC2NodeClass " + name(d) + ": " + e.getMessage());
        }
        nodeClasses.put(name(d), nc);
      }
    }
    List<NodePool> pools = new ArrayList<>();
    List<NodeClaim> claims = new ArrayList<>();
    List<Pod> pending = new ArrayList<>();
    List<Pod> boundPods = new ArrayList<>();
    List<DaemonSet> daemonSets = new ArrayList<>();
    Map<String, Node> nodes = new LinkedHashMap<>();
    Map<String, Doc> boundDocs = new HashMap<>();
    List<PersistentVolumeClaim> volumeClaims = new ArrayList<>();
    List<PersistentVolume> volumes = new ArrayList<>();
    List<StorageClass> storageClasses = new ArrayList<>();
    for (Doc d : docs) {
      switch (kind(d)) {
        case "NodePool" -> pools.add(nodePool(d, nodeClasses));
        case "NodeClaim" -> claims.add(convert(d, NodeClaim.class));
        case "Pod" -> {
          Pod pod = convert(d, Pod.class);
          checkPod(d, pod, pod.getMetadata().getName());
          String node = pod.getSpec().getNodeName();
          if (node != null && !node.isEmpty()) {
            boundPods.add(pod);
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
        case "PersistentVolumeClaim" -> volumeClaims.add(convert(d, PersistentVolumeClaim.class));
        case "PersistentVolume" -> volumes.add(convert(d, PersistentVolume.class));
        case "StorageClass" -> storageClasses.add(convert(d, StorageClass.class));
        default -> {}
      }
    }
    for (Map.Entry<String, Doc> e : boundDocs.entrySet()) {
      String node = e.getKey();
      if (!nodes.containsKey(node)) {
        throw new InvalidManifestException(
            e.getValue().where()
                + ": Pod is bound to node "
                + node
                + " (spec.nodeName) but no Node "
                + node
                + " is in the input");
      }
    }
    List<Pod> all = new ArrayList<>(boundPods);
    all.addAll(pending);
    ClusterSnapshot.Objects objects =
        new ClusterSnapshot.Objects(
            all,
            pending,
            List.copyOf(nodes.values()),
            claims,
            pools,
            List.copyOf(nodeClasses.values()),
            daemonSets,
            // The manifests are the whole cluster: a claim they do not hold does not exist.
            SchedulingInput.Volumes.of(volumeClaims, volumes, storageClasses));
    lastObjects = objects;
    return ClusterSnapshot.of(
        objects,
        pool ->
            catalog.instanceTypes(
                settings.getOrDefault(
                    pool.getSpec().template().spec().nodeClassRef().name(),
                    NodeClassSettings.DEFAULT)),
        Set.of());
  }

  private static volatile ManifestValidator validator;

  private static ManifestValidator validator() {
    ManifestValidator v = validator;
    if (v == null) {
      v = new ManifestValidator(CrdSchemas.bundled());
      validator = v;
    }
    return v;
  }

  /** The API server's checks of our kinds (schema and CEL rules), as {@code karpenter validate}. */
  private static void validate(Path f, List<Doc> docs) throws InvalidManifestException {
    if (docs.stream().noneMatch(d -> CRD_KINDS.contains(kind(d)))) {
      return;
    }
    String text;
    try {
      text = Files.readString(f);
    } catch (IOException e) {
      throw new InvalidManifestException(f + ": " + e.getMessage());
    }
    ManifestValidator.FileResult result = validator().validateText(f.toString(), text);
    List<String> errors = new ArrayList<>();
    for (Finding x : result.findings()) {
      if (x.severity() != Finding.Severity.ERROR) {
        continue;
      }
      StringBuilder sb = new StringBuilder(x.file());
      if (x.line() > 0) {
        sb.append(':').append(x.line());
      }
      sb.append(": ");
      if (x.object() != null) {
        sb.append(x.object().replace('/', ' ')).append(": ");
      }
      if (x.field() != null) {
        sb.append(x.field()).append(": ");
      }
      errors.add(sb.append(x.message()).toString());
    }
    if (!errors.isEmpty()) {
      throw new InvalidManifestException(String.join("\n", errors));
    }
  }

  private static final Set<String> CRD_KINDS = Set.of("NodePool", "NodeClaim", "EC2NodeClass");

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
        if (node.path("kind").asText().equals("List") && node.path("items").isArray()) {
          // A `kubectl get ... -o yaml` dump: each item is a document of its own.
          for (JsonNode item : node.path("items")) {
            if (!item.hasNonNull("kind")) {
              throw new InvalidManifestException(f + ":" + line + ": List item has no kind");
            }
            out.add(new Doc(f, line, item));
          }
          continue;
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

  /**
   * The typed NodePool. Its schema and rules were checked by the validator; requirements the
   * scheduler still cannot read are reported by field. A node class missing from the input is
   * assumed with the AL2023 defaults, with a warning.
   */
  private NodePool nodePool(Doc d, Map<String, EC2NodeClass> nodeClasses)
      throws InvalidManifestException {
    NodePool np = convert(d, NodePool.class);
    String where = d.where() + ": NodePool " + name(d) + ": ";
    if (np.getSpec() == null
        || np.getSpec().template() == null
        || np.getSpec().template().spec() == null) {
      throw new InvalidManifestException(where + "spec.template.spec is required");
    }
    var tspec = np.getSpec().template().spec();
    List<NodeSelectorRequirementWithMinValues> raw = tspec.requirementsOrEmpty();
    for (int i = 0; i < raw.size(); i++) {
      var r = raw.get(i);
      try {
        ApiConversions.requirements(List.of(r));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new InvalidManifestException(
            where
                + "spec.template.spec.requirements["
                + i
                + "] ("
                + r.key()
                + "): "
                + e.getMessage());
      }
    }
    try {
      ApiConversions.limits(np);
    } catch (IllegalArgumentException e) {
      throw new InvalidManifestException(where + "spec.limits: " + e.getMessage());
    }
    String nodeClass = tspec.nodeClassRef() == null ? null : tspec.nodeClassRef().name();
    if (nodeClass == null) {
      throw new InvalidManifestException(where + "spec.template.spec.nodeClassRef is required");
    }
    if (!nodeClasses.containsKey(nodeClass)) {
      warnings.add(
          where
              + "EC2NodeClass "
              + nodeClass
              + " is not in the input; using AL2023 defaults for instance-type capacity");
      EC2NodeClass assumed = new EC2NodeClass();
      assumed.getMetadata().setName(nodeClass);
      nodeClasses.put(nodeClass, assumed);
    }
    return np;
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
}
