package dev.karpenter.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The EC2 emulator {@code demo} runs the AWS provider on: a private moto server that {@code
 * hack/moto.sh up} starts in a fresh state directory and {@code down} stops again, so a moto
 * someone else runs is never reset or filled.
 */
final class LocalMoto implements AutoCloseable {
  private final Path script;
  private final Path stateDir;
  private final URI endpoint;

  private LocalMoto(Path script, Path stateDir, URI endpoint) {
    this.script = script;
    this.stateDir = stateDir;
    this.endpoint = endpoint;
  }

  URI endpoint() {
    return endpoint;
  }

  static LocalMoto start(Consumer<String> say) {
    Path script = LocalControlPlane.findScript("moto.sh");
    Path state;
    try {
      state = Files.createTempDirectory("karpenter-moto-");
    } catch (IOException e) {
      throw new CliErrors.UserException("cannot create a state directory: " + e.getMessage());
    }
    ProcessBuilder pb =
        new ProcessBuilder(script.toString(), "up").redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("KARPENTER_MOTO_DIR", state.toString());
    String last = null;
    int rc;
    try {
      Process p = pb.start();
      String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      for (String line : stdout.strip().lines().toList()) {
        if (!line.isBlank()) {
          last = line;
        }
      }
      rc = p.waitFor();
    } catch (IOException e) {
      deleteTree(state);
      throw new CliErrors.UserException("cannot run " + script + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliErrors.UserException("interrupted while starting moto");
    }
    String prefix = "export AWS_ENDPOINT_URL=";
    if (rc != 0 || last == null || !last.startsWith(prefix)) {
      new LocalMoto(script, state, null).close();
      throw new CliErrors.UserException(
          "cannot start the EC2 emulator: hack/moto.sh up exited "
              + rc
              + " (its messages are above). Provision it with hack/provision.sh moto, or run"
              + " the demo with --cloud simulated.");
    }
    URI endpoint = URI.create(last.substring(prefix.length()).trim());
    say.accept("EC2 emulator up (moto at " + endpoint + ", hack/moto.sh)");
    return new LocalMoto(script, state, endpoint);
  }

  @Override
  public void close() {
    try {
      ProcessBuilder pb =
          new ProcessBuilder(script.toString(), "down")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("KARPENTER_MOTO_DIR", stateDir.toString());
      pb.start().waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      System.err.println("warning: stopping moto failed: " + e.getMessage());
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
}
