package dev.karpenter.cloudprovider.aws;

import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec.AmiSelectorTerm;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec.SecurityGroupSelectorTerm;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec.SubnetSelectorTerm;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.Labels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * Resolves an EC2NodeClass's selector terms against EC2 and SSM: subnets (tags, id), security
 * groups (tags, id, name) and AMIs (alias through the public SSM parameters per architecture and
 * variant, or id, name, owner and tags through DescribeImages; the newest non-deprecated image per
 * requirement set wins).
 */
final class NodeClassResolver {
  static final String GPU_COUNT = Labels.INSTANCE_GPU_COUNT;
  static final String ACCELERATOR_COUNT = Labels.INSTANCE_ACCELERATOR_COUNT;

  /** One resolved AMI with the instance-type requirements it serves. */
  record ResolvedAmi(
      String id,
      String name,
      boolean deprecated,
      Instant created,
      List<EC2NodeClassStatus.Requirement> requirements) {
    EC2NodeClassStatus.Ami toStatus() {
      return new EC2NodeClassStatus.Ami(id, name, deprecated ? Boolean.TRUE : null, requirements);
    }
  }

  /** What a term resolved to, or the message naming the term that matched nothing. */
  record Result<T>(List<T> items, String error) {
    boolean ok() {
      return error == null;
    }
  }

  private final Ec2Client ec2;
  private final SsmClient ssm;
  private final String ssmRoot;

  NodeClassResolver(Ec2Client ec2, SsmClient ssm, String ssmRoot) {
    this.ec2 = ec2;
    this.ssm = ssm;
    this.ssmRoot = ssmRoot;
  }

  // ------------------------------------------------------------------ subnets

  Result<EC2NodeClassStatus.Subnet> subnets(EC2NodeClassSpec spec) {
    Map<String, Subnet> found = new LinkedHashMap<>();
    List<SubnetSelectorTerm> terms = spec.subnetSelectorTerms();
    for (int i = 0; i < terms.size(); i++) {
      SubnetSelectorTerm t = terms.get(i);
      List<Filter> filters =
          t.id() != null ? List.of(filter("subnet-id", t.id())) : tagFilters(t.tags());
      List<Subnet> matched =
          ec2.describeSubnetsPaginator(r -> r.filters(filters)).subnets().stream()
              .filter(s -> !"pending".equals(s.stateAsString()))
              .toList();
      if (matched.isEmpty()) {
        return new Result<>(
            List.of(),
            "subnetSelectorTerms["
                + i
                + "] "
                + describe(t.tags(), t.id(), null)
                + " matched no subnet");
      }
      matched.forEach(s -> found.put(s.subnetId(), s));
    }
    // Upstream launches into the subnet of a zone with the most free addresses: order by that.
    return new Result<>(
        found.values().stream()
            .sorted(
                Comparator.comparing(
                        (Subnet s) ->
                            s.availableIpAddressCount() == null ? 0 : s.availableIpAddressCount())
                    .reversed()
                    .thenComparing(Subnet::subnetId))
            .map(
                s ->
                    new EC2NodeClassStatus.Subnet(
                        s.subnetId(), s.availabilityZone(), s.availabilityZoneId()))
            .toList(),
        null);
  }

  // ------------------------------------------------------------------ security groups

  Result<EC2NodeClassStatus.SecurityGroup> securityGroups(EC2NodeClassSpec spec) {
    Map<String, SecurityGroup> found = new LinkedHashMap<>();
    List<SecurityGroupSelectorTerm> terms = spec.securityGroupSelectorTerms();
    for (int i = 0; i < terms.size(); i++) {
      SecurityGroupSelectorTerm t = terms.get(i);
      List<Filter> filters =
          t.id() != null
              ? List.of(filter("group-id", t.id()))
              : t.name() != null ? List.of(filter("group-name", t.name())) : tagFilters(t.tags());
      List<SecurityGroup> matched =
          ec2.describeSecurityGroupsPaginator(r -> r.filters(filters)).securityGroups().stream()
              .toList();
      if (matched.isEmpty()) {
        return new Result<>(
            List.of(),
            "securityGroupSelectorTerms["
                + i
                + "] "
                + describe(t.tags(), t.id(), t.name())
                + " matched no security group");
      }
      matched.forEach(g -> found.put(g.groupId(), g));
    }
    return new Result<>(
        found.values().stream()
            .sorted(Comparator.comparing(SecurityGroup::groupId))
            .map(g -> new EC2NodeClassStatus.SecurityGroup(g.groupId(), g.groupName()))
            .toList(),
        null);
  }

  // ------------------------------------------------------------------ AMIs

  /** The AMI family an alias or amiFamily names, canonical (AL2023, AL2, Bottlerocket, ...). */
  static String family(EC2NodeClassSpec spec) {
    for (AmiSelectorTerm t : spec.amiSelectorTerms()) {
      if (t.alias() != null) {
        return switch (t.alias().split("@")[0].toLowerCase(java.util.Locale.ROOT)) {
          case "al2" -> "AL2";
          case "bottlerocket" -> "Bottlerocket";
          case "windows2019" -> "Windows2019";
          case "windows2022" -> "Windows2022";
          case "windows2025" -> "Windows2025";
          default -> "AL2023";
        };
      }
    }
    return spec.amiFamily() == null ? "AL2023" : spec.amiFamily().name();
  }

  Result<ResolvedAmi> amis(EC2NodeClassSpec spec, String k8sVersion) {
    List<ResolvedAmi> all = new ArrayList<>();
    List<AmiSelectorTerm> terms = spec.amiSelectorTerms();
    for (int i = 0; i < terms.size(); i++) {
      AmiSelectorTerm t = terms.get(i);
      List<ResolvedAmi> matched;
      String what;
      if (t.alias() != null) {
        what = "amiSelectorTerms[" + i + "] (alias " + t.alias() + ")";
        matched = alias(t.alias(), k8sVersion);
      } else if (t.ssmParameter() != null) {
        what = "amiSelectorTerms[" + i + "] (ssmParameter " + t.ssmParameter() + ")";
        matched =
            ssmImage(t.ssmParameter())
                .map(id -> images(List.of(filter("image-id", id)), List.of(), null))
                .orElse(List.of());
      } else {
        what = "amiSelectorTerms[" + i + "] " + describe(t.tags(), t.id(), t.name());
        List<Filter> filters = new ArrayList<>();
        if (t.id() != null) {
          filters.add(filter("image-id", t.id()));
        }
        if (t.name() != null) {
          filters.add(filter("name", t.name()));
        }
        if (t.tags() != null) {
          filters.addAll(tagFilters(t.tags()));
        }
        List<String> owners =
            t.owner() != null
                ? List.of(t.owner())
                : t.id() == null && t.name() != null ? List.of("self", "amazon") : List.of();
        matched = images(filters, owners, null);
      }
      if (matched.isEmpty()) {
        return new Result<>(List.of(), what + " matched no AMI");
      }
      all.addAll(matched);
    }
    // Newest non-deprecated image per requirement set.
    Map<List<EC2NodeClassStatus.Requirement>, ResolvedAmi> best = new LinkedHashMap<>();
    all.stream()
        .sorted(
            Comparator.comparing(ResolvedAmi::deprecated)
                .thenComparing(ResolvedAmi::created, Comparator.reverseOrder())
                .thenComparing(ResolvedAmi::id))
        .forEach(a -> best.putIfAbsent(a.requirements(), a));
    return new Result<>(List.copyOf(best.values()), null);
  }

  private record Query(String parameter, List<EC2NodeClassStatus.Requirement> requirements) {}

  private List<ResolvedAmi> alias(String alias, String k8s) {
    String[] parts = alias.split("@", 2);
    String family = parts[0].toLowerCase(java.util.Locale.ROOT);
    String version = parts.length > 1 ? parts[1] : "latest";
    boolean latest = version.equals("latest");
    List<Query> queries = new ArrayList<>();
    String eks = ssmRoot + "/eks/optimized-ami/" + k8s;
    switch (family) {
      case "al2023" -> {
        for (String[] av :
            List.of(
                new String[] {"x86_64", "standard"},
                new String[] {"arm64", "standard"},
                new String[] {"x86_64", "nvidia"},
                new String[] {"arm64", "nvidia"},
                new String[] {"x86_64", "neuron"})) {
          String arch = av[0];
          String variant = av[1];
          String leaf =
              latest
                  ? "recommended"
                  : "amazon-eks-node-al2023-" + arch + "-" + variant + "-" + k8s + "-" + version;
          queries.add(
              new Query(
                  eks + "/amazon-linux-2023/" + arch + "/" + variant + "/" + leaf + "/image_id",
                  requirements(arch, variant)));
        }
      }
      case "al2" -> {
        for (String[] av :
            List.of(
                new String[] {"x86_64", "standard", ""},
                new String[] {"arm64", "standard", "-arm64"},
                new String[] {"x86_64", "nvidia", "-gpu"},
                new String[] {"x86_64", "neuron", "-gpu"})) {
          String leaf =
              latest ? "recommended" : "amazon-eks" + av[2] + "-node-" + k8s + "-" + version;
          queries.add(
              new Query(
                  eks + "/amazon-linux-2" + av[2] + "/" + leaf + "/image_id",
                  requirements(av[0], av[1])));
        }
      }
      case "bottlerocket" -> {
        String v = latest ? "latest" : version.replaceFirst("^v", "");
        for (String[] av :
            List.of(
                new String[] {"x86_64", "standard", ""},
                new String[] {"arm64", "standard", ""},
                new String[] {"x86_64", "nvidia", "-nvidia"},
                new String[] {"arm64", "nvidia", "-nvidia"})) {
          queries.add(
              new Query(
                  ssmRoot
                      + "/bottlerocket/aws-k8s-"
                      + k8s
                      + av[2]
                      + "/"
                      + av[0]
                      + "/"
                      + v
                      + "/image_id",
                  requirements(av[0], av[1])));
        }
      }
      default -> {
        // Windows: the one x86_64 full image.
        String year = family.replace("windows", "");
        queries.add(
            new Query(
                ssmRoot
                    + "/ami-windows-latest/Windows_Server-"
                    + year
                    + "-English-Core-EKS_Optimized-"
                    + k8s
                    + "/image_id",
                requirements("x86_64", "standard")));
      }
    }
    List<ResolvedAmi> out = new ArrayList<>();
    for (Query q : queries) {
      Optional<String> id = ssmImage(q.parameter());
      if (id.isPresent()) {
        out.addAll(images(List.of(filter("image-id", id.get())), List.of(), q.requirements()));
      }
    }
    return out;
  }

  static List<EC2NodeClassStatus.Requirement> requirements(String arch, String variant) {
    List<EC2NodeClassStatus.Requirement> r = new ArrayList<>();
    r.add(new EC2NodeClassStatus.Requirement(Labels.ARCH, "In", List.of(kubeArch(arch))));
    switch (variant) {
      case "nvidia" -> r.add(new EC2NodeClassStatus.Requirement(GPU_COUNT, "Exists", null));
      case "neuron" -> r.add(new EC2NodeClassStatus.Requirement(ACCELERATOR_COUNT, "Exists", null));
      default -> {
        r.add(new EC2NodeClassStatus.Requirement(GPU_COUNT, "DoesNotExist", null));
        r.add(new EC2NodeClassStatus.Requirement(ACCELERATOR_COUNT, "DoesNotExist", null));
      }
    }
    return List.copyOf(r);
  }

  private static String kubeArch(String ec2Arch) {
    return "arm64".equals(ec2Arch) ? "arm64" : "amd64";
  }

  private Optional<String> ssmImage(String parameter) {
    try {
      return Optional.ofNullable(ssm.getParameter(r -> r.name(parameter)).parameter().value());
    } catch (ParameterNotFoundException e) {
      return Optional.empty();
    }
  }

  private List<ResolvedAmi> images(
      List<Filter> filters, List<String> owners, List<EC2NodeClassStatus.Requirement> reqs) {
    List<ResolvedAmi> out = new ArrayList<>();
    for (Image img :
        ec2.describeImagesPaginator(
                r -> {
                  r.filters(filters);
                  if (!owners.isEmpty()) {
                    r.owners(owners);
                  }
                })
            .images()) {
      if (img.stateAsString() != null && !"available".equals(img.stateAsString())) {
        continue;
      }
      List<EC2NodeClassStatus.Requirement> r = reqs;
      if (r == null) {
        r =
            img.architectureAsString() == null || img.architecture() == null
                ? List.of()
                : List.of(
                    new EC2NodeClassStatus.Requirement(
                        Labels.ARCH, "In", List.of(kubeArch(img.architectureAsString()))));
      }
      out.add(
          new ResolvedAmi(
              img.imageId(), img.name(), deprecated(img), parse(img.creationDate()), r));
    }
    return out;
  }

  private static boolean deprecated(Image img) {
    String t = img.deprecationTime();
    return t != null && !t.isEmpty() && parse(t).isBefore(Instant.now());
  }

  private static Instant parse(String ts) {
    if (ts == null || ts.isEmpty()) {
      return Instant.EPOCH;
    }
    try {
      return Instant.parse(ts);
    } catch (java.time.format.DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  // ------------------------------------------------------------------ helpers

  static Filter filter(String name, String value) {
    return Filter.builder().name(name).values(value).build();
  }

  /** {@code key: "*"} matches any value: a tag-key filter instead of a tag filter. */
  static List<Filter> tagFilters(Map<String, String> tags) {
    List<Filter> out = new ArrayList<>();
    if (tags != null) {
      tags.forEach((k, v) -> out.add("*".equals(v) ? filter("tag-key", k) : filter("tag:" + k, v)));
    }
    return out;
  }

  private static String describe(Map<String, String> tags, String id, String name) {
    if (id != null) {
      return "(id " + id + ")";
    }
    if (name != null) {
      return "(name " + name + ")";
    }
    return "(tags " + new java.util.TreeMap<>(tags == null ? Map.of() : tags) + ")";
  }

  static String nodeClassName(EC2NodeClass nc) {
    return nc.getMetadata().getName();
  }
}
