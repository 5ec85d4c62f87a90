package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LocalClusterTest {
  private static String kubeconfig(String server) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "%s"}
        users:
        - name: u
          user: {token: t}
        contexts:
        - name: x
          context: {cluster: c, user: u}
        current-context: x
        """
        .formatted(server);
  }

  @Test
  void aKubeconfigOnLoopbackMayBeUsedByTests() {
    assertTrue(LocalCluster.isLoopback(kubeconfig("https://127.0.0.1:6443")));
  }

  @Test
  void aKubeconfigOfARemoteClusterIsNeverUsedByTests() {
    assertFalse(LocalCluster.isLoopback(kubeconfig("https://ABC.gr7.us-west-2.eks.amazonaws.com")));
  }
}
