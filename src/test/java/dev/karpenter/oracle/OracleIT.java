package dev.karpenter.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.karpenter.testing.LocalClusterExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The differential oracle on the real kube-scheduler, for a bounded number of seeds (20 unless
 * {@code -Doracle.seeds=N}; {@code hack/oracle.sh N} runs thousands).
 */
@Tag("local-cluster")
@ExtendWith(LocalClusterExtension.class)
class OracleIT {
  @Test
  void everyPlannedPodBindsWhereWePlannedItAndNoUnschedulablePodFits(KubernetesClient client) {
    OracleRun.Summary s = OracleRun.run(client, System.out);
    assertEquals(
        s.seeds(),
        s.passed(),
        () -> "failing kinds " + s.seedsByKind() + "; shrunk:\n" + String.join("\n", s.shrunk()));
  }
}
