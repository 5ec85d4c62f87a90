package dev.karpenter.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.NodePool;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Absurd NodePool limits neither fail the round that reads them nor pass silently. */
class NodePoolLimitsTest {
  static NodePool pool(String limits) {
    return Serialization.unmarshal(
        """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata:
          name: p
        spec:
          template:
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              requirements: []
          limits: %s
        """
            .formatted(limits),
        NodePool.class);
  }

  @Test
  void aHugeLimitSaturatesAndANegativeOneAllowsNothing() {
    NodePool p = pool("{cpu: '-4', memory: '1e40', nvidia.com/gpu: '8'}");
    var limits = ApiConversions.limits(p);
    assertEquals(Long.MAX_VALUE, limits.get("memory"));
    assertEquals(8000, limits.get("nvidia.com/gpu"));
    assertEquals(0, limits.get("cpu"));
    assertTrue(!ApiConversions.limitsValid(p), "a negative limit makes the pool unusable");
    List<String> problems = ApiConversions.limitProblems(p);
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(
        problems.stream().anyMatch(m -> m.startsWith("spec.limits.cpu: '-4'")),
        problems.toString());
    assertTrue(
        problems.stream().anyMatch(m -> m.contains("memory") && m.endsWith("treated as unlimited")),
        problems.toString());
  }

  @Test
  void goodLimitsHaveNoProblems() {
    NodePool p = pool("{cpu: '100', memory: 400Gi}");
    assertEquals(List.of(), ApiConversions.limitProblems(p));
    assertTrue(ApiConversions.limitsValid(p));
    assertTrue(ApiConversions.limitsValid(pool("{memory: '1e40'}")), "too large saturates");
  }
}
