package dev.karpenter.cloudprovider.aws;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.Tag;

/**
 * The instance profile Karpenter creates for an EC2NodeClass's {@code role}: named from the
 * cluster, region and class, tagged as owned by this cluster, reused when it exists, the role
 * swapped when the class names another one, deleted with the class.
 */
final class InstanceProfiles {
  private static final Logger LOG = LoggerFactory.getLogger(InstanceProfiles.class);
  static final String PATH_PREFIX = "/karpenter/";

  private final IamClient iam;
  private final String clusterName;
  private final String region;

  InstanceProfiles(IamClient iam, String clusterName, String region) {
    this.iam = iam;
    this.clusterName = clusterName;
    this.region = region;
  }

  /** Upstream's scheme: {@code <cluster>_<hash(region, class)>}, within IAM's 128 characters. */
  String name(String nodeClass) {
    String base = clusterName.length() > 100 ? clusterName.substring(0, 100) : clusterName;
    return base + "_" + hash(region + "/" + nodeClass);
  }

  String path() {
    return PATH_PREFIX + region + "/" + clusterName + "/";
  }

  /** Creates or repairs the profile for {@code role}; returns its name. */
  String ensure(String nodeClass, String role) {
    String name = name(nodeClass);
    String roleName = role.contains("/") ? role.substring(role.lastIndexOf('/') + 1) : role;
    InstanceProfile profile;
    try {
      profile = iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile();
    } catch (NoSuchEntityException e) {
      profile =
          iam.createInstanceProfile(
                  r ->
                      r.instanceProfileName(name)
                          .path(path())
                          .tags(
                              tags(nodeClass).entrySet().stream()
                                  .map(
                                      t ->
                                          Tag.builder().key(t.getKey()).value(t.getValue()).build())
                                  .toList()))
              .instanceProfile();
      LOG.info("created instance profile {} for EC2NodeClass {}", name, nodeClass);
    }
    List<Role> roles = profile.roles() == null ? List.of() : profile.roles();
    if (roles.stream().anyMatch(r -> r.roleName().equals(roleName))) {
      return name;
    }
    for (Role r : roles) {
      iam.removeRoleFromInstanceProfile(x -> x.instanceProfileName(name).roleName(r.roleName()));
    }
    iam.addRoleToInstanceProfile(r -> r.instanceProfileName(name).roleName(roleName));
    LOG.info("instance profile {} now carries role {}", name, roleName);
    return name;
  }

  /** Checks that a user-given profile exists. */
  boolean exists(String name) {
    try {
      iam.getInstanceProfile(r -> r.instanceProfileName(name));
      return true;
    } catch (NoSuchEntityException e) {
      return false;
    }
  }

  /** Removes the role and deletes the profile Karpenter made for the class; absent is fine. */
  void delete(String nodeClass) {
    String name = name(nodeClass);
    try {
      InstanceProfile p =
          iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile();
      for (Role r : p.roles()) {
        iam.removeRoleFromInstanceProfile(x -> x.instanceProfileName(name).roleName(r.roleName()));
      }
      iam.deleteInstanceProfile(r -> r.instanceProfileName(name));
      LOG.info("deleted instance profile {} of EC2NodeClass {}", name, nodeClass);
    } catch (NoSuchEntityException e) {
      LOG.debug("instance profile {} already gone", name);
    }
  }

  Map<String, String> tags(String nodeClass) {
    return Map.of(
        "kubernetes.io/cluster/" + clusterName,
        "owned",
        "eks:eks-cluster-name",
        clusterName,
        "karpenter.k8s.aws/ec2nodeclass",
        nodeClass,
        "topology.kubernetes.io/region",
        region);
  }

  static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
