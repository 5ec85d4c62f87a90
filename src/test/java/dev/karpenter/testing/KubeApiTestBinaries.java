package dev.karpenter.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Checks that fabric8 kube-api-test finds its binaries locally before {@code @EnableKubeAPIServer}
 * starts; without them kube-api-test 7.5.2 tries to download from GitHub and fails with an {@code
 * UnknownHostException}. Register it before {@code @EnableKubeAPIServer} on the class.
 */
public final class KubeApiTestBinaries implements BeforeAllCallback {

  @Override
  public void beforeAll(ExtensionContext context) {
    String version = Harness.env("KUBE_API_TEST_API_SERVER_VERSION");
    if (version == null) {
      throw new IllegalStateException(
          "KUBE_API_TEST_API_SERVER_VERSION is not set; run the tests through Maven (the pom sets it"
              + " to ${k8s.version})");
    }
    Path dir = directory(version);
    for (String binary : List.of("kube-apiserver", "etcd", "kubectl")) {
      if (!Files.isExecutable(dir.resolve(binary))) {
        throw Harness.missing(
            "kube-api-test binary " + dir.resolve(binary),
            "k8s",
            "set KUBE_API_TEST_DIR to a directory holding k8s/"
                + version
                + "-linux-amd64/{kube-apiserver,etcd,kubectl}");
      }
    }
  }

  /** Where kube-api-test looks: {@code $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64}. */
  public static Path directory(String version) {
    String base = Harness.env("KUBE_API_TEST_DIR");
    Path root =
        base != null ? Path.of(base) : Path.of(System.getProperty("user.home"), ".kubeapitest");
    return root.resolve("k8s").resolve(version + "-linux-amd64");
  }
}
