package dev.karpenter.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The control plane {@code demo} and {@code bench latency} run on: the cluster of $KUBECONFIG when
 * set, otherwise a private one that {@code hack/local-cluster.sh up} starts in a fresh state
 * directory and {@code down} stops again (so a cluster someone else runs is never touched).
 */
final class LocalControlPlane implements AutoCloseable {
  private final Path kubeconfig;
  private final Path script;
  private final Path stateDir;

  private LocalControlPlane(Path kubeconfig, Path script, Path stateDir) {
    this.kubeconfig = kubeconfig;
    this.script = script;
    this.stateDir = stateDir;
  }

  /** The kubeconfig to use; null means fabric8's defaults (in-cluster or ~/.kube/config). */
  Path kubeconfig() {
    return kubeconfig;
  }

  /** True when this process started the control plane (and stops it on close). */
  boolean started() {
    return script != null;
  }

  static LocalControlPlane startOrUse(Consumer<String> say) {
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      Path kc = Path.of(env.split(java.io.File.pathSeparator)[0]);
      requireLoopback(kc);
      say.accept("using the cluster of KUBECONFIG=" + env);
      return new LocalControlPlane(kc, null, null);
    }
    Path script = findScript("local-cluster.sh");
    say.accept(
        "starting a local control plane (hack/local-cluster.sh up: etcd, kube-apiserver,"
            + " kube-scheduler, kube-controller-manager; the first run on a machine also builds"
            + " them, see docs/development.md)");
    Path state;
    try {
      state = Files.createTempDirectory("karpenter-cluster-");
    } catch (IOException e) {
      throw new CliErrors.UserException("cannot create a state directory: " + e.getMessage());
    }
    ProcessBuilder pb =
        new ProcessBuilder(script.toString(), "up").redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("KARPENTER_CLUSTER_DIR", state.toString());
    String last = null;
    int rc;
    try {
      Process p = pb.start();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (!line.isBlank()) {
            last = line;
          }
        }
      }
      rc = p.waitFor();
    } catch (IOException e) {
      deleteTree(state);
      throw new CliErrors.UserException("cannot run " + script + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliErrors.UserException("interrupted while starting the control plane");
    }
    LocalControlPlane started = new LocalControlPlane(null, script, state);
    if (rc != 0 || last == null || !last.startsWith("export KUBECONFIG=")) {
      started.close();
      throw new CliErrors.UserException(
          "cannot start the local control plane: hack/local-cluster.sh up exited "
              + rc
              + " (its messages are above). Provision the binaries with hack/provision.sh k8s"
              + " tools, or point KUBECONFIG at a running cluster.");
    }
    Path kc = Path.of(last.substring("export KUBECONFIG=".length()).trim());
    say.accept("control plane up (KUBECONFIG=" + kc + ")");
    return new LocalControlPlane(kc, script, state);
  }

  /** hack/{@code name} of the working directory's checkout, or of the jar's. */
  static Path findScript(String name) {
    List<Path> candidates = new java.util.ArrayList<>();
    candidates.add(Path.of("hack", name).toAbsolutePath());
    try {
      Path jar =
          Path.of(
              LocalControlPlane.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      // target/karpenter.jar -> <checkout>/hack/<name>
      candidates.add(jar.toAbsolutePath().getParent().resolveSibling("hack").resolve(name));
    } catch (java.net.URISyntaxException | RuntimeException ignored) {
      // no code source: only the working directory counts
    }
    return candidates.stream()
        .filter(Files::isExecutable)
        .findFirst()
        .orElseThrow(
            () ->
                new CliErrors.UserException(
                    "hack/"
                        + name
                        + " not found (looked at "
                        + candidates
                        + "). Run from the repository root."));
  }

  @Override
  public void close() {
    if (script == null) {
      return;
    }
    try {
      ProcessBuilder pb =
          new ProcessBuilder(script.toString(), "down")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("KARPENTER_CLUSTER_DIR", stateDir.toString());
      pb.start().waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      System.err.println("warning: stopping the local control plane failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteTree(stateDir);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory; the OS cleans it up eventually
    }
  }

  /**
   * The demo and the latency benchmark create NodePools, workloads and simulated Nodes; pointed at
   * a real cluster by an exported KUBECONFIG they would pollute it, so only loopback servers pass.
   */
  static void requireLoopback(Path kubeconfig) {
    List<String> servers = new java.util.ArrayList<>();
    try {
      com.fasterxml.jackson.databind.JsonNode root =
          new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(kubeconfig.toFile());
      for (com.fasterxml.jackson.databind.JsonNode c : root.path("clusters")) {
        servers.add(c.path("cluster").path("server").asText(""));
      }
    } catch (IOException e) {
      throw new CliErrors.UserException(
          "KUBECONFIG=" + kubeconfig + " cannot be read: " + e.getMessage());
    }
    boolean loopback =
        !servers.isEmpty()
            && servers.stream()
                .allMatch(
                    s -> s.matches("https?://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?/?.*"));
    if (!loopback) {
      throw new CliErrors.UserException(
          "KUBECONFIG="
              + kubeconfig
              + " points at "
              + servers
              + ": this command creates sample NodePools, workloads and simulated Nodes, so it"
              + " only uses a cluster on this machine (127.0.0.1). Unset KUBECONFIG to let it"
              + " start its own control plane.");
    }
  }
}
