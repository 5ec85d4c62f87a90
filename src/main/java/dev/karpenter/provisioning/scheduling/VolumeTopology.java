package dev.karpenter.provisioning.scheduling;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TopologySelectorLabelRequirement;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a pod's volumes let it run, as Karpenter's volumetopology.go: a bound claim's
 * PersistentVolume node affinity (first term; hostname dropped for local and hostPath volumes), an
 * unbound claim's StorageClass {@code allowedTopologies} (first term). A pod whose claim, volume or
 * StorageClass is missing, or whose unbound claim has Immediate binding, is not planned.
 */
final class VolumeTopology {
  /**
   * The requirements a pod's volumes add, or why the pod cannot be planned, and the unbound
   * WaitForFirstConsumer claims it mounts (their volumes go to the zone of the first pod placed).
   */
  record Answer(Requirements requirements, String error, List<String> unboundClaims) {
    Answer(Requirements requirements, String error) {
      this(requirements, error, List.of());
    }
  }

  private final SchedulingInput.Volumes volumes;
  private final Map<String, PersistentVolumeClaim> claims = new HashMap<>();
  private final Map<String, PersistentVolume> pvs = new HashMap<>();
  private final Map<String, StorageClass> classes = new HashMap<>();

  VolumeTopology(SchedulingInput.Volumes volumes) {
    this.volumes = volumes;
    for (PersistentVolumeClaim c : volumes.claims()) {
      String ns = c.getMetadata().getNamespace();
      claims.put(
          (ns == null || ns.isEmpty() ? "default" : ns) + "/" + c.getMetadata().getName(), c);
    }
    for (PersistentVolume v : volumes.volumes()) {
      pvs.put(v.getMetadata().getName(), v);
    }
    for (StorageClass s : volumes.storageClasses()) {
      classes.put(s.getMetadata().getName(), s);
    }
  }

  Answer of(Pod pod) {
    try {
      return resolve(pod);
    } catch (IllegalArgumentException e) {
      return new Answer(null, "volume topology: " + e.getMessage());
    }
  }

  private Answer resolve(Pod pod) {
    if (!volumes.known() || pod.getSpec().getVolumes() == null) {
      return new Answer(Requirements.NONE, null);
    }
    String ns = pod.getMetadata().getNamespace();
    ns = ns == null || ns.isEmpty() ? "default" : ns;
    Requirements req = Requirements.NONE;
    List<String> unbound = new ArrayList<>();
    for (Volume v : pod.getSpec().getVolumes()) {
      String claimName;
      String templateClass = null;
      if (v.getPersistentVolumeClaim() != null) {
        claimName = v.getPersistentVolumeClaim().getClaimName();
      } else if (v.getEphemeral() != null) {
        // The ephemeral volume controller names the claim <pod>-<volume>.
        claimName = pod.getMetadata().getName() + "-" + v.getName();
        var t = v.getEphemeral().getVolumeClaimTemplate();
        templateClass = t == null || t.getSpec() == null ? null : t.getSpec().getStorageClassName();
      } else {
        continue;
      }
      PersistentVolumeClaim pvc = claims.get(ns + "/" + claimName);
      String volumeName = null;
      String className = templateClass;
      if (pvc == null) {
        if (v.getEphemeral() == null) {
          return new Answer(null, "PersistentVolumeClaim " + ns + "/" + claimName + " not found");
        }
      } else {
        if (pvc.getMetadata().getDeletionTimestamp() != null) {
          return new Answer(
              null, "PersistentVolumeClaim " + ns + "/" + claimName + " is being deleted");
        }
        if (pvc.getStatus() != null && "Lost".equals(pvc.getStatus().getPhase())) {
          return new Answer(
              null,
              "PersistentVolumeClaim "
                  + ns
                  + "/"
                  + claimName
                  + " is bound to a non-existent PersistentVolume");
        }
        volumeName = pvc.getSpec() == null ? null : pvc.getSpec().getVolumeName();
        className = pvc.getSpec() == null ? null : pvc.getSpec().getStorageClassName();
      }
      String where = "PersistentVolumeClaim " + ns + "/" + claimName;
      if (volumeName != null && !volumeName.isEmpty()) {
        PersistentVolume pv = pvs.get(volumeName);
        if (pv == null) {
          return new Answer(null, where + ": PersistentVolume " + volumeName + " not found");
        }
        req = req.and(pvRequirements(pv));
        continue;
      }
      if (className == null || className.isEmpty()) {
        return new Answer(null, where + " is unbound and names no StorageClass");
      }
      StorageClass sc = classes.get(className);
      if (sc == null) {
        return new Answer(null, where + ": StorageClass " + className + " not found");
      }
      if (pvc != null
          && (sc.getVolumeBindingMode() == null || "Immediate".equals(sc.getVolumeBindingMode()))) {
        return new Answer(
            null,
            where
                + ": StorageClass "
                + className
                + " binds Immediately, so the claim must be bound before the pod can be planned");
      }
      if (pvc != null) {
        unbound.add(ns + "/" + claimName);
      }
      if (sc.getAllowedTopologies() != null && !sc.getAllowedTopologies().isEmpty()) {
        var term = sc.getAllowedTopologies().get(0);
        for (TopologySelectorLabelRequirement e :
            term.getMatchLabelExpressions() == null
                ? List.<TopologySelectorLabelRequirement>of()
                : term.getMatchLabelExpressions()) {
          req = req.with(Requirement.of(e.getKey(), "In", e.getValues()));
        }
      }
    }
    return new Answer(req, null, List.copyOf(unbound));
  }

  private static Requirements pvRequirements(PersistentVolume pv) {
    var spec = pv.getSpec();
    if (spec == null
        || spec.getNodeAffinity() == null
        || spec.getNodeAffinity().getRequired() == null
        || spec.getNodeAffinity().getRequired().getNodeSelectorTerms() == null
        || spec.getNodeAffinity().getRequired().getNodeSelectorTerms().isEmpty()) {
      return Requirements.NONE;
    }
    boolean local = spec.getLocal() != null || spec.getHostPath() != null;
    Requirements req = Requirements.NONE;
    var term = spec.getNodeAffinity().getRequired().getNodeSelectorTerms().get(0);
    if (term.getMatchExpressions() == null) {
      return req;
    }
    for (NodeSelectorRequirement e : term.getMatchExpressions()) {
      if (local && Labels.HOSTNAME.equals(e.getKey())) {
        continue;
      }
      req =
          req.with(
              Requirement.of(
                  e.getKey(), e.getOperator(), e.getValues() == null ? List.of() : e.getValues()));
    }
    return req;
  }
}
