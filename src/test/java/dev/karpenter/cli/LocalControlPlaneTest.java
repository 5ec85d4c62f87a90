package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalControlPlaneTest {
  @TempDir Path dir;

  private Path kubeconfig(String server) throws Exception {
    Path f = dir.resolve("config");
    Files.writeString(
        f,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
            + server
            + "\n");
    return f;
  }

  @Test
  void aLoopbackClusterIsUsed() throws Exception {
    assertDoesNotThrow(
        () -> LocalControlPlane.requireLoopback(kubeconfig("https://127.0.0.1:6443")));
  }

  @Test
  void aRemoteClusterIsRefusedWithAnExplanation() throws Exception {
    CliErrors.UserException e =
        assertThrows(
            CliErrors.UserException.class,
            () ->
                LocalControlPlane.requireLoopback(
                    kubeconfig("https://ABCD.gr7.us-east-1.eks.amazonaws.com")));
    assertTrue(e.getMessage().contains("Unset KUBECONFIG"), e.getMessage());
    assertTrue(e.getMessage().contains("eks.amazonaws.com"), e.getMessage());
  }
}
