package dev.karpenter.cloudprovider.aws;

import dev.karpenter.api.aws.v1.EC2NodeClassSpec.KubeletConfiguration;
import dev.karpenter.api.v1.Taint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Bootstrap userData per AMI family: AL2023 as a nodeadm {@code NodeConfig} MIME-merged with the
 * user's parts (shell scripts, cloud-config or their own NodeConfig, which nodeadm merges; ours
 * last so Karpenter's cluster and kubelet settings win), Bottlerocket as TOML settings after the
 * user's, Custom as the user's userData verbatim.
 */
final class UserData {
  static final String BOUNDARY = "//";

  /** What nodes need to join: cluster, kubelet settings and the NodePool's labels and taints. */
  record Bootstrap(
      String clusterName,
      String endpoint,
      String caBundle,
      String cidr,
      KubeletConfiguration kubelet,
      Map<String, String> labels,
      List<Taint> taints) {}

  private UserData() {}

  static String render(String family, Bootstrap b, String user) {
    return switch (family) {
      case "Bottlerocket" -> bottlerocket(b, user);
      case "Custom" -> user == null ? "" : user;
      default -> al2023(b, user);
    };
  }

  static String al2023(Bootstrap b, String user) {
    StringBuilder nc = new StringBuilder();
    nc.append("apiVersion: node.eks.aws/v1alpha1\n").append("kind: NodeConfig\n").append("spec:\n");
    nc.append("  cluster:\n");
    nc.append("    name: ").append(q(b.clusterName())).append('\n');
    if (b.endpoint() != null) {
      nc.append("    apiServerEndpoint: ").append(q(b.endpoint())).append('\n');
    }
    if (b.caBundle() != null) {
      nc.append("    certificateAuthority: ").append(q(b.caBundle())).append('\n');
    }
    if (b.cidr() != null) {
      nc.append("    cidr: ").append(q(b.cidr())).append('\n');
    }
    nc.append("  kubelet:\n");
    Map<String, Object> config = kubeletConfig(b.kubelet());
    if (!config.isEmpty()) {
      nc.append("    config:\n");
      config.forEach(
          (k, v) -> nc.append("      ").append(k).append(": ").append(yaml(v)).append('\n'));
    }
    nc.append("    flags:\n");
    nc.append("    - ").append(q("--node-labels=" + labels(b.labels()))).append('\n');
    if (!b.taints().isEmpty()) {
      nc.append("    - ").append(q("--register-with-taints=" + taints(b.taints()))).append('\n');
    }
    List<String[]> parts = new ArrayList<>(userParts(user));
    parts.add(new String[] {"application/node.eks.aws", nc.toString()});
    StringBuilder mime = new StringBuilder();
    mime.append("MIME-Version: 1.0\n")
        .append("Content-Type: multipart/mixed; boundary=\"")
        .append(BOUNDARY)
        .append("\"\n\n");
    for (String[] p : parts) {
      mime.append("--").append(BOUNDARY).append('\n');
      mime.append("Content-Type: ").append(p[0]).append("\n\n");
      mime.append(p[1]);
      if (!p[1].endsWith("\n")) {
        mime.append('\n');
      }
      mime.append('\n');
    }
    mime.append("--").append(BOUNDARY).append("--\n");
    return mime.toString();
  }

  /** The user's userData as MIME parts: its own parts when it is MIME, else one part. */
  static List<String[]> userParts(String user) {
    List<String[]> out = new ArrayList<>();
    if (user == null || user.isBlank()) {
      return out;
    }
    if (user.startsWith("MIME-Version:")) {
      var m = java.util.regex.Pattern.compile("boundary=\"?([^\"\\s;]+)\"?").matcher(user);
      if (m.find()) {
        String boundary = m.group(1);
        String[] chunks =
            user.split("(?m)^--" + java.util.regex.Pattern.quote(boundary) + "(--)?\\s*$");
        for (int i = 1; i < chunks.length; i++) {
          String chunk = chunks[i].replaceFirst("^\\r?\\n", "");
          int blank = chunk.indexOf("\n\n");
          if (blank < 0) {
            continue;
          }
          String headers = chunk.substring(0, blank);
          String body = chunk.substring(blank + 2);
          var ct = java.util.regex.Pattern.compile("(?im)^Content-Type:\\s*(.+)$").matcher(headers);
          out.add(new String[] {ct.find() ? ct.group(1).trim() : "text/x-shellscript", body});
        }
        return out;
      }
    }
    String type =
        user.startsWith("#cloud-config")
            ? "text/cloud-config; charset=\"us-ascii\""
            : user.contains("kind: NodeConfig")
                ? "application/node.eks.aws"
                : "text/x-shellscript; charset=\"us-ascii\"";
    out.add(new String[] {type, user});
    return out;
  }

  static String bottlerocket(Bootstrap b, String user) {
    StringBuilder t = new StringBuilder();
    String u = user == null ? "" : user.strip();
    if (!u.isEmpty()) {
      t.append(u).append("\n\n");
    }
    // Karpenter owns these tables; a user table of the same name would be a duplicate table.
    if (!u.contains("[settings.kubernetes]")) {
      t.append("[settings.kubernetes]\n");
    }
    t.append("cluster-name = ").append(q(b.clusterName())).append('\n');
    if (b.endpoint() != null) {
      t.append("api-server = ").append(q(b.endpoint())).append('\n');
    }
    if (b.caBundle() != null) {
      t.append("cluster-certificate = ").append(q(b.caBundle())).append('\n');
    }
    if (b.kubelet() != null && b.kubelet().maxPods() != null) {
      t.append("max-pods = ").append(b.kubelet().maxPods()).append('\n');
    }
    if (b.kubelet() != null
        && b.kubelet().clusterDNS() != null
        && !b.kubelet().clusterDNS().isEmpty()) {
      t.append("cluster-dns-ip = ").append(q(b.kubelet().clusterDNS().get(0))).append('\n');
    }
    t.append("\n[settings.kubernetes.node-labels]\n");
    new TreeMap<>(b.labels())
        .forEach((k, v) -> t.append(q(k)).append(" = ").append(q(v)).append('\n'));
    if (!b.taints().isEmpty()) {
      t.append("\n[settings.kubernetes.node-taints]\n");
      Map<String, List<String>> byKey = new TreeMap<>();
      for (Taint x : b.taints()) {
        byKey
            .computeIfAbsent(x.key(), k -> new ArrayList<>())
            .add((x.value() == null ? "" : x.value()) + ":" + x.effect());
      }
      byKey.forEach(
          (k, v) ->
              t.append(q(k))
                  .append(" = [")
                  .append(v.stream().map(UserData::q).collect(Collectors.joining(", ")))
                  .append("]\n"));
    }
    return t.toString();
  }

  private static Map<String, Object> kubeletConfig(KubeletConfiguration k) {
    Map<String, Object> m = new TreeMap<>();
    if (k == null) {
      return m;
    }
    if (k.maxPods() != null) {
      m.put("maxPods", k.maxPods());
    }
    if (k.podsPerCore() != null) {
      m.put("podsPerCore", k.podsPerCore());
    }
    if (k.clusterDNS() != null && !k.clusterDNS().isEmpty()) {
      m.put("clusterDNS", k.clusterDNS());
    }
    if (k.kubeReserved() != null && !k.kubeReserved().isEmpty()) {
      m.put("kubeReserved", k.kubeReserved());
    }
    if (k.systemReserved() != null && !k.systemReserved().isEmpty()) {
      m.put("systemReserved", k.systemReserved());
    }
    if (k.evictionHard() != null && !k.evictionHard().isEmpty()) {
      m.put("evictionHard", k.evictionHard());
    }
    if (k.evictionSoft() != null && !k.evictionSoft().isEmpty()) {
      m.put("evictionSoft", k.evictionSoft());
    }
    if (k.evictionSoftGracePeriod() != null && !k.evictionSoftGracePeriod().isEmpty()) {
      m.put("evictionSoftGracePeriod", k.evictionSoftGracePeriod());
    }
    if (k.evictionMaxPodGracePeriod() != null) {
      m.put("evictionMaxPodGracePeriod", k.evictionMaxPodGracePeriod());
    }
    if (k.imageGCHighThresholdPercent() != null) {
      m.put("imageGCHighThresholdPercent", k.imageGCHighThresholdPercent());
    }
    if (k.imageGCLowThresholdPercent() != null) {
      m.put("imageGCLowThresholdPercent", k.imageGCLowThresholdPercent());
    }
    if (k.cpuCFSQuota() != null) {
      m.put("cpuCFSQuota", k.cpuCFSQuota());
    }
    return m;
  }

  /** Flow-style YAML for scalars, lists and string maps. */
  private static String yaml(Object v) {
    if (v instanceof Map<?, ?> m) {
      return new TreeMap<>(m)
          .entrySet().stream()
              .map(e -> q(String.valueOf(e.getKey())) + ": " + q(String.valueOf(e.getValue())))
              .collect(Collectors.joining(", ", "{", "}"));
    }
    if (v instanceof List<?> l) {
      return l.stream().map(x -> q(String.valueOf(x))).collect(Collectors.joining(", ", "[", "]"));
    }
    return String.valueOf(v);
  }

  static String labels(Map<String, String> labels) {
    return new TreeMap<>(labels)
        .entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(","));
  }

  static String taints(List<Taint> taints) {
    return taints.stream()
        .map(t -> t.key() + (t.value() == null ? "" : "=" + t.value()) + ":" + t.effect())
        .collect(Collectors.joining(","));
  }

  /** A double-quoted string, valid in YAML and TOML. */
  static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
