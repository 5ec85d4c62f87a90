package dev.karpenter.events;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events that {@code kubectl describe} shows. The same (object, reason, message) is
 * written at most once per {@code dedupe} window, as Karpenter's recorder does. Writes happen on a
 * background thread (like client-go's broadcaster) so reconcilers never wait on them; events are
 * best effort and dropped when the queue is full.
 */
public final class EventRecorder implements AutoCloseable {
  public static final String COMPONENT = "karpenter";
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration dedupe;
  private final Map<String, Instant> recent = new ConcurrentHashMap<>();
  private final java.util.concurrent.ThreadPoolExecutor writer =
      new java.util.concurrent.ThreadPoolExecutor(
          1,
          1,
          0,
          java.util.concurrent.TimeUnit.SECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(10_000),
          r -> {
            Thread t = new Thread(r, "event-recorder");
            t.setDaemon(true);
            return t;
          },
          new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());

  public EventRecorder(KubernetesClient client, Clock clock, Duration dedupe) {
    this.client = client;
    this.clock = clock;
    this.dedupe = dedupe;
  }

  /** Stops writing; events still queued are dropped (they are best effort, as upstream's). */
  @Override
  public void close() {
    writer.shutdownNow();
  }

  public void normal(HasMetadata obj, String reason, String message) {
    record(obj, "Normal", reason, message);
  }

  public void warning(HasMetadata obj, String reason, String message) {
    record(obj, "Warning", reason, message);
  }

  private void record(HasMetadata obj, String type, String reason, String message) {
    Instant now = clock.instant();
    String key = obj.getMetadata().getUid() + "/" + reason + "/" + message;
    Instant last = recent.get(key);
    if (last != null && Duration.between(last, now).compareTo(dedupe) < 0) {
      return;
    }
    recent.put(key, now);
    if (recent.size() > 50_000) {
      recent.entrySet().removeIf(e -> Duration.between(e.getValue(), now).compareTo(dedupe) > 0);
    }
    String ns =
        obj.getMetadata().getNamespace() == null ? "default" : obj.getMetadata().getNamespace();
    String ts = now.truncatedTo(ChronoUnit.SECONDS).toString();
    writer.execute(() -> write(obj, ns, ts, type, reason, message));
  }

  private void write(
      HasMetadata obj, String ns, String ts, String type, String reason, String message) {
    try {
      client
          .v1()
          .events()
          .inNamespace(ns)
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(
                      obj.getMetadata().getName()
                          + "."
                          + UUID.randomUUID().toString().substring(0, 8))
                  .withNamespace(ns)
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(obj.getApiVersion())
                          .withKind(obj.getKind())
                          .withName(obj.getMetadata().getName())
                          .withNamespace(obj.getMetadata().getNamespace())
                          .withUid(obj.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(ts)
                  .withLastTimestamp(ts)
                  .withCount(1)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .withReportingComponent(COMPONENT)
                  .build())
          .create();
    } catch (KubernetesClientException | IllegalStateException e) {
      // IllegalStateException: the client closed on shutdown with events still queued.
      LOG.debug(
          "event {} on {} not written: {}", reason, obj.getMetadata().getName(), e.getMessage());
    }
  }
}
