package dev.karpenter.cloudprovider.aws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.karpenter.api.aws.v1.EC2NodeClass;
import dev.karpenter.api.aws.v1.EC2NodeClassSpec;
import dev.karpenter.api.aws.v1.EC2NodeClassStatus;
import dev.karpenter.api.v1.Condition;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.state.Conditions;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * EC2NodeClass status from AWS: subnets, security groups, AMIs and the instance profile, each with
 * its condition (the message names the selector term that matched nothing), ValidationSucceeded and
 * Ready; the static-hash annotation for drift; a finalizer that deletes the class's launch
 * templates and instance profile. AWS errors become Ready=False with the error, never a crash.
 */
public final class AwsNodeClassReconciler
    implements Reconciler<EC2NodeClass>, Cleaner<EC2NodeClass> {
  private static final Logger LOG = LoggerFactory.getLogger(AwsNodeClassReconciler.class);
  public static final String FINALIZER = "karpenter.k8s.aws/termination";
  public static final String HASH_ANNOTATION = "karpenter.k8s.aws/ec2nodeclass-hash";
  public static final String HASH_VERSION_ANNOTATION =
      "karpenter.k8s.aws/ec2nodeclass-hash-version";
  public static final String HASH_VERSION = "v6";
  static final Duration REQUEUE = Duration.ofMinutes(1);

  private final KubernetesClient client;
  private final AwsCloudProvider cloud;
  private final NodeClassResolver resolver;
  private final InstanceProfiles profiles;
  private final EventRecorder events;
  private final Clock clock;

  public AwsNodeClassReconciler(
      KubernetesClient client, AwsCloudProvider cloud, EventRecorder events, Clock clock) {
    this.client = client;
    this.cloud = cloud;
    AwsClients aws = cloud.clients();
    this.resolver =
        new NodeClassResolver(aws.ec2(), aws.ssm(), cloud.settings().ssmParameterRoot());
    this.profiles =
        new InstanceProfiles(aws.iam(), cloud.settings().clusterName(), aws.region().id());
    this.events = events;
    this.clock = clock;
  }

  @Override
  public UpdateControl<EC2NodeClass> reconcile(EC2NodeClass nc, Context<EC2NodeClass> ctx) {
    EC2NodeClassStatus old = nc.getStatus() == null ? new EC2NodeClassStatus() : nc.getStatus();
    EC2NodeClassStatus status = resolve(nc, old);
    String hash = hash(nc.getSpec());
    Map<String, String> ann = nc.getMetadata().getAnnotations();
    boolean hashChanged = ann == null || !hash.equals(ann.get(HASH_ANNOTATION));
    boolean statusChanged =
        !Objects.equals(old.getConditions(), status.getConditions())
            || !Objects.equals(old.getSubnets(), status.getSubnets())
            || !Objects.equals(old.getSecurityGroups(), status.getSecurityGroups())
            || !Objects.equals(old.getAmis(), status.getAmis())
            || !Objects.equals(old.getInstanceProfile(), status.getInstanceProfile());
    if (hashChanged) {
      // A server-side apply of just the fields this controller owns (JOSDK's finalizer among them).
      EC2NodeClass fresh = new EC2NodeClass();
      fresh.getMetadata().setName(nc.getMetadata().getName());
      Map<String, String> a = new LinkedHashMap<>();
      a.put(HASH_ANNOTATION, hash);
      a.put(HASH_VERSION_ANNOTATION, HASH_VERSION);
      fresh.getMetadata().setAnnotations(a);
      if (nc.getMetadata().getFinalizers() != null
          && nc.getMetadata().getFinalizers().contains(FINALIZER)) {
        fresh.getMetadata().setFinalizers(List.of(FINALIZER));
      }
      fresh.setStatus(status);
      return UpdateControl.patchResourceAndStatus(fresh).rescheduleAfter(REQUEUE);
    }
    if (!statusChanged) {
      return UpdateControl.<EC2NodeClass>noUpdate().rescheduleAfter(REQUEUE);
    }
    EC2NodeClass fresh = new EC2NodeClass();
    fresh.getMetadata().setName(nc.getMetadata().getName());
    fresh.setStatus(status);
    return UpdateControl.patchStatus(fresh).rescheduleAfter(REQUEUE);
  }

  /** The new status; every AWS failure ends up in a condition. */
  EC2NodeClassStatus resolve(EC2NodeClass nc, EC2NodeClassStatus old) {
    EC2NodeClassSpec spec = nc.getSpec();
    Long gen = nc.getMetadata().getGeneration();
    String name = nc.getMetadata().getName();
    EC2NodeClassStatus status = new EC2NodeClassStatus();
    List<Condition> conditions = Conditions.copy(old.getConditions());
    String firstFailure = null;

    try {
      var subnets = resolver.subnets(spec);
      status.setSubnets(subnets.items());
      firstFailure =
          set(conditions, "SubnetsReady", subnets.error(), "SubnetsNotFound", gen, firstFailure);
    } catch (SdkException e) {
      firstFailure =
          set(
              conditions,
              "SubnetsReady",
              AwsErrors.describe(e),
              "SubnetsNotFound",
              gen,
              firstFailure);
    }
    try {
      var sgs = resolver.securityGroups(spec);
      status.setSecurityGroups(sgs.items());
      firstFailure =
          set(
              conditions,
              "SecurityGroupsReady",
              sgs.error(),
              "SecurityGroupsNotFound",
              gen,
              firstFailure);
    } catch (SdkException e) {
      firstFailure =
          set(
              conditions,
              "SecurityGroupsReady",
              AwsErrors.describe(e),
              "SecurityGroupsNotFound",
              gen,
              firstFailure);
    }
    try {
      String k8s = kubernetesVersion();
      var amis = resolver.amis(spec, k8s);
      status.setAmis(amis.items().stream().map(NodeClassResolver.ResolvedAmi::toStatus).toList());
      firstFailure = set(conditions, "AMIsReady", amis.error(), "AMINotFound", gen, firstFailure);
    } catch (SdkException | IllegalStateException e) {
      firstFailure =
          set(
              conditions,
              "AMIsReady",
              e instanceof SdkException s ? AwsErrors.describe(s) : e.getMessage(),
              "AMINotFound",
              gen,
              firstFailure);
    }
    try {
      if (spec.role() != null) {
        status.setInstanceProfile(profiles.ensure(name, spec.role()));
        firstFailure = set(conditions, "InstanceProfileReady", null, "", gen, firstFailure);
      } else if (spec.instanceProfile() != null) {
        boolean exists = profiles.exists(spec.instanceProfile());
        status.setInstanceProfile(exists ? spec.instanceProfile() : null);
        firstFailure =
            set(
                conditions,
                "InstanceProfileReady",
                exists ? null : "instanceProfile " + spec.instanceProfile() + " does not exist",
                "InstanceProfileNotFound",
                gen,
                firstFailure);
      }
    } catch (SdkException e) {
      firstFailure =
          set(
              conditions,
              "InstanceProfileReady",
              AwsErrors.describe(e),
              "InstanceProfileCreationFailed",
              gen,
              firstFailure);
    }
    String validation = firstFailure == null ? null : "dependencies are not ready";
    if (validation == null) {
      validation = validate(spec);
      set(
          conditions,
          "ValidationSucceeded",
          validation,
          validation == null ? "" : "ValidationFailed",
          gen,
          null);
    } else {
      set(conditions, "ValidationSucceeded", validation, "DependenciesNotReady", gen, null);
    }
    String notReady = firstFailure != null ? firstFailure : validation;
    boolean wasReady =
        old.getConditions() != null
            && old.getConditions().stream().anyMatch(c -> c.type().equals("Ready") && c.isTrue());
    boolean wasFalseSame =
        old.getConditions() != null
            && old.getConditions().stream()
                .anyMatch(
                    c ->
                        c.type().equals("Ready")
                            && !c.isTrue()
                            && Objects.equals(c.message(), notReady));
    Conditions.set(
        conditions,
        "Ready",
        notReady == null ? "True" : "False",
        notReady == null ? "Ready" : "NotReady",
        notReady == null ? "" : notReady,
        gen,
        clock);
    status.setConditions(conditions);
    if (notReady != null && !wasFalseSame) {
      LOG.warn("EC2NodeClass {} is not Ready: {}", name, notReady);
      events.warning(nc, "NodeClassNotReady", notReady);
    } else if (notReady == null && !wasReady) {
      LOG.info(
          "EC2NodeClass {} is Ready: {} subnets, {} security groups, {} AMIs, profile {}",
          name,
          status.getSubnets().size(),
          status.getSecurityGroups().size(),
          status.getAmis().size(),
          status.getInstanceProfile());
    }
    return status;
  }

  /** Sets {@code type} True, or False with the message; returns the first failure seen. */
  private String set(
      List<Condition> conditions,
      String type,
      String error,
      String reason,
      Long gen,
      String first) {
    Conditions.set(
        conditions,
        type,
        error == null ? "True" : "False",
        error == null ? type : reason,
        error == null ? "" : error,
        gen,
        clock);
    return first != null ? first : error;
  }

  private static String validate(EC2NodeClassSpec spec) {
    if (spec.userData() != null && spec.userData().length() > 16 * 1024) {
      return "userData is larger than EC2's 16 KiB limit";
    }
    try {
      AwsCloudProvider.settings(spec);
    } catch (IllegalArgumentException e) {
      return "spec." + e.getMessage();
    }
    return null;
  }

  private String kubernetesVersion() {
    String v = cloud.settings().kubernetesVersion();
    if (v != null) {
      return v;
    }
    var info = client.getKubernetesVersion();
    String minor = info.getMinor().replaceAll("[^0-9]", "");
    return info.getMajor() + "." + minor;
  }

  /** Hash of the spec without the selector terms, which drift is checked on separately. */
  static String hash(EC2NodeClassSpec spec) {
    ObjectNode n = Serialization.jsonMapper().valueToTree(spec);
    n.remove(
        List.of(
            "subnetSelectorTerms",
            "securityGroupSelectorTerms",
            "amiSelectorTerms",
            "capacityReservationSelectorTerms"));
    return InstanceProfiles.hash(n.toString());
  }

  @Override
  public DeleteControl cleanup(EC2NodeClass nc, Context<EC2NodeClass> ctx) {
    String name = nc.getMetadata().getName();
    try {
      cloud.launchTemplates().deleteFor(name);
      if (nc.getSpec() != null && nc.getSpec().role() != null) {
        profiles.delete(name);
      }
      return DeleteControl.defaultDelete();
    } catch (SdkException e) {
      LOG.warn("cleaning up EC2NodeClass {}: {}; retrying", name, AwsErrors.describe(e));
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(10));
    }
  }
}
