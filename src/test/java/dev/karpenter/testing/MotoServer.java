package dev.karpenter.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * A moto server: the one {@code AWS_ENDPOINT_URL} names when it is on loopback (left running), else
 * one started under target/moto with {@code hack/moto.sh up} and stopped when closed.
 */
public final class MotoServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MotoServer.class);
  public static final Region REGION = Region.US_WEST_2;

  private final URI endpoint;
  private final Path startedDir;

  private MotoServer(URI endpoint, Path startedDir) {
    this.endpoint = endpoint;
    this.startedDir = startedDir;
  }

  public static MotoServer obtain() {
    String env = Harness.env("AWS_ENDPOINT_URL");
    if (env != null) {
      URI uri = URI.create(env);
      if ("127.0.0.1".equals(uri.getHost()) || "localhost".equals(uri.getHost())) {
        LOG.info("using the moto server of AWS_ENDPOINT_URL={}", env);
        return new MotoServer(uri, null);
      }
      LOG.info("ignoring AWS_ENDPOINT_URL={}: not on loopback", env);
    }
    Path dir = Harness.buildDir("moto");
    Harness.Result up = script("up", dir);
    String last = up.lastLine();
    if (up.exitCode() != 0 || !last.startsWith("export AWS_ENDPOINT_URL=")) {
      throw new IllegalStateException(
          "hack/moto.sh up failed (exit " + up.exitCode() + "):\n" + up.stderr().strip());
    }
    return new MotoServer(URI.create(last.substring("export AWS_ENDPOINT_URL=".length())), dir);
  }

  public URI endpoint() {
    return endpoint;
  }

  /** An EC2 client for this server: static test credentials, no retries, so errors show at once. */
  public Ec2Client ec2() {
    return Ec2Client.builder()
        .region(REGION)
        .endpointOverride(endpoint)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  /** Drops every resource moto holds (instances, launch templates, ...). */
  public void reset() {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("moto reset answered HTTP " + response.statusCode());
      }
    } catch (IOException e) {
      throw new IllegalStateException("moto reset failed at " + endpoint, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    if (startedDir != null) {
      Harness.Result down = script("down", startedDir);
      if (down.exitCode() != 0) {
        throw new IllegalStateException("hack/moto.sh down failed: " + down.stderr());
      }
    }
  }

  private static Harness.Result script(String verb, Path dir) {
    return Harness.run(
        List.of(Harness.projectDir().resolve("hack/moto.sh").toString(), verb),
        Map.of("KARPENTER_MOTO_DIR", dir.toString(), "KARPENTER_NO_PROVISION", "1"),
        Duration.ofMinutes(1));
  }
}
