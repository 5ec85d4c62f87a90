package dev.karpenter.cloudprovider.simulated;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.karpenter.api.v1.NodeClaim;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The simulated cloud's instances in a JSON file, so that they outlive the operator process that
 * launched them, as EC2 instances outlive a crashed controller (the crash tests,
 * docs/reliability.md). Written whole to a temporary file and renamed over the old one on every
 * launch and termination, so a killed process leaves either the old or the new list, never half of
 * one.
 */
final class InstanceFile {
  /** One instance: what the cloud knows, what its kubelet registers, and the claim as launched. */
  record Entry(
      String id,
      String providerId,
      String nodeName,
      String nodeClaim,
      String instanceType,
      String zone,
      String capacityType,
      double pricePerHour,
      String launchedAt,
      Map<String, String> labels,
      List<Taint> taints,
      List<String> startupTaints,
      Map<String, Long> capacity,
      Map<String, Long> allocatable,
      NodeClaim launched) {}

  private final Path path;

  InstanceFile(Path path) {
    this.path = path;
  }

  Path path() {
    return path;
  }

  List<Entry> read() {
    if (!Files.exists(path)) {
      return List.of();
    }
    try {
      String json = Files.readString(path);
      if (json.isBlank()) {
        return List.of();
      }
      return Serialization.jsonMapper().readValue(json, new TypeReference<List<Entry>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read simulated instances from " + path, e);
    }
  }

  synchronized void write(Collection<Entry> entries) {
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, Serialization.jsonMapper().writeValueAsString(List.copyOf(entries)));
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write simulated instances to " + path, e);
    }
  }
}
