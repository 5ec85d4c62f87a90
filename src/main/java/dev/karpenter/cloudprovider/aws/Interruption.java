package dev.karpenter.cloudprovider.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.karpenter.api.v1.Labels;
import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.events.EventRecorder;
import dev.karpenter.metrics.KarpenterMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Upstream's interruption controller: long-polls the SQS queue EventBridge feeds and acts per
 * message. Spot interruption warning: mark the spot offering unavailable and delete the NodeClaim
 * (cordon and drain follow from termination); AWS Health scheduled change and instance
 * stopping/stopped/shutting-down/terminated: delete the NodeClaim; rebalance recommendation: an
 * event only. Every message is deleted after handling; malformed ones are counted as {@code
 * unknown}, logged and deleted.
 */
final class Interruption implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Interruption.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int WORKERS = 10;
  private static final Set<String> STOPPING =
      Set.of("stopping", "stopped", "shutting-down", "terminated");

  /** What a message asks for. */
  record Parsed(String kind, List<String> instanceIds) {}

  private final KubernetesClient client;
  private final AwsCloudProvider cloud;
  private final EventRecorder events;
  private final KarpenterMetrics metrics;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();
  private final ExecutorService workers;
  private Thread poller;
  private volatile String queueUrl;
  private final String queue;

  Interruption(
      KubernetesClient client,
      AwsCloudProvider cloud,
      String queue,
      EventRecorder events,
      KarpenterMetrics metrics,
      Clock clock) {
    this.client = client;
    this.cloud = cloud;
    this.queue = queue;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
    this.workers =
        Executors.newFixedThreadPool(
            WORKERS,
            r -> {
              Thread t = new Thread(r, "interruption-worker");
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    running.set(true);
    poller = new Thread(this::loop, "interruption-poller");
    poller.setDaemon(true);
    poller.start();
  }

  private void loop() {
    while (running.get()) {
      try {
        pollOnce(Duration.ofSeconds(20));
      } catch (SdkException e) {
        LOG.warn("interruption queue {}: {}", queue, AwsErrors.describe(e));
        queueUrl = null;
        sleep(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        LOG.warn("interruption poll failed: {}", e.toString());
        sleep(Duration.ofSeconds(1));
      }
    }
  }

  /** One long poll of up to 10 messages, handled in parallel; returns how many were handled. */
  int pollOnce(Duration wait) {
    var sqs = cloud.clients().sqs();
    if (queueUrl == null) {
      queueUrl = sqs.getQueueUrl(r -> r.queueName(queue)).queueUrl();
    }
    String url = queueUrl;
    List<Message> messages =
        sqs.receiveMessage(
                r ->
                    r.queueUrl(url)
                        .maxNumberOfMessages(10)
                        .waitTimeSeconds((int) wait.toSeconds())
                        .messageSystemAttributeNames(MessageSystemAttributeName.SENT_TIMESTAMP))
            .messages();
    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
    for (Message m : messages) {
      done.add(workers.submit(() -> handle(url, m)));
    }
    for (var f : done) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.warn("interruption message handling failed: {}", e.getCause().toString());
      }
    }
    return messages.size();
  }

  private void handle(String url, Message m) {
    Parsed p = parse(m.body());
    metrics.interruptionReceived(p.kind());
    String sent = m.attributesAsStrings().get("SentTimestamp");
    if (sent != null) {
      try {
        metrics.interruptionQueueDuration(
            Duration.between(Instant.ofEpochMilli(Long.parseLong(sent)), clock.instant()));
      } catch (NumberFormatException e) {
        LOG.debug("SentTimestamp {} unreadable", sent);
      }
    }
    if (p.kind().equals("unknown")) {
      LOG.warn("interruption queue: deleting a malformed or unknown message {}", m.messageId());
    } else {
      for (String id : p.instanceIds()) {
        act(p.kind(), id);
      }
    }
    cloud.clients().sqs().deleteMessage(r -> r.queueUrl(url).receiptHandle(m.receiptHandle()));
    metrics.interruptionDeleted();
  }

  static Parsed parse(String body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (IOException e) {
      return new Parsed("unknown", List.of());
    }
    if (n == null || !n.isObject()) {
      return new Parsed("unknown", List.of());
    }
    String source = n.path("source").asText("");
    String type = n.path("detail-type").asText("");
    JsonNode d = n.path("detail");
    List<String> ids = new ArrayList<>();
    switch (source + "|" + type) {
      case "aws.ec2|EC2 Spot Instance Interruption Warning" -> {
        addIfPresent(ids, d.path("instance-id"));
        return ids.isEmpty() ? new Parsed("unknown", ids) : new Parsed("spot_interrupted", ids);
      }
      case "aws.ec2|EC2 Instance Rebalance Recommendation" -> {
        addIfPresent(ids, d.path("instance-id"));
        return ids.isEmpty()
            ? new Parsed("unknown", ids)
            : new Parsed("rebalance_recommendation", ids);
      }
      case "aws.ec2|EC2 Instance State-change Notification" -> {
        addIfPresent(ids, d.path("instance-id"));
        String state = d.path("state").asText("");
        if (ids.isEmpty() || !STOPPING.contains(state)) {
          return new Parsed(ids.isEmpty() ? "unknown" : "no_op", ids);
        }
        return new Parsed(
            state.equals("terminated") ? "instance_terminated" : "instance_stopped", ids);
      }
      case "aws.health|AWS Health Event" -> {
        if (!"scheduledChange".equals(d.path("eventTypeCategory").asText(""))) {
          return new Parsed("no_op", ids);
        }
        for (JsonNode e : d.path("affectedEntities")) {
          addIfPresent(ids, e.path("entityValue"));
        }
        return ids.isEmpty() ? new Parsed("unknown", ids) : new Parsed("scheduled_change", ids);
      }
      default -> {
        return new Parsed("unknown", ids);
      }
    }
  }

  private static void addIfPresent(List<String> ids, JsonNode n) {
    if (n.isTextual() && n.asText().startsWith("i-")) {
      ids.add(n.asText());
    }
  }

  private void act(String kind, String instanceId) {
    Optional<NodeClaim> claim = claimFor(instanceId);
    if (claim.isEmpty()) {
      LOG.debug("{} for {}: no NodeClaim", kind, instanceId);
      return;
    }
    NodeClaim c = claim.get();
    String name = c.getMetadata().getName();
    switch (kind) {
      case "rebalance_recommendation" -> {
        events.normal(
            c, "RebalanceRecommendation", "EC2 recommends rebalancing instance " + instanceId);
        return;
      }
      case "no_op" -> {
        return;
      }
      case "spot_interrupted" -> {
        Map<String, String> l =
            c.getMetadata().getLabels() == null ? Map.of() : c.getMetadata().getLabels();
        String type = l.get(Labels.INSTANCE_TYPE);
        String zone = l.get(Labels.ZONE);
        if (type != null && zone != null) {
          cloud.unavailable().markUnavailable(type, zone, Labels.SPOT);
        }
        events.warning(
            c, "SpotInterrupted", "spot interruption warning for " + instanceId + "; draining");
      }
      default ->
          events.warning(c, "InstanceInterrupted", kind + " for " + instanceId + "; draining");
    }
    try {
      client.resources(NodeClaim.class).withName(name).delete();
      LOG.info("{} for instance {}: deleting NodeClaim {}", kind, instanceId, name);
    } catch (KubernetesClientException e) {
      LOG.warn("deleting NodeClaim {} after {}: {}", name, kind, e.getMessage());
    }
  }

  private Optional<NodeClaim> claimFor(String instanceId) {
    return client.resources(NodeClaim.class).list().getItems().stream()
        .filter(
            c ->
                c.getStatus() != null
                    && c.getStatus().getProviderID() != null
                    && c.getStatus().getProviderID().endsWith("/" + instanceId))
        .findFirst();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running.set(false);
    workers.shutdownNow();
    if (poller != null) {
      poller.interrupt();
    }
  }
}
