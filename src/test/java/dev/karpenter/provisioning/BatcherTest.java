package dev.karpenter.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BatcherTest {
  @Test
  void noBatchIsOpenBeforeTheFirstTrigger() {
    Batcher b = new Batcher(new ManualClock(), Duration.ofSeconds(1), Duration.ofSeconds(10));
    assertTrue(b.remaining().isEmpty());
  }

  @Test
  void eachTriggerRestartsTheIdleWindow() {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    b.trigger();
    clock.advance(Duration.ofMillis(800));
    b.trigger();
    clock.advance(Duration.ofMillis(800));
    assertEquals(Duration.ofMillis(200), b.remaining().orElseThrow());
  }

  @Test
  void aBusyBatchClosesAtTheMaximumWindow() {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    b.trigger();
    for (int i = 0; i < 20; i++) {
      clock.advance(Duration.ofMillis(500));
      b.trigger();
    }
    assertEquals(Duration.ZERO, b.remaining().orElseThrow());
  }

  @Test
  void aPodAlreadyInTheBatchDoesNotKeepItOpen() {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    b.trigger("pod-a");
    clock.advance(Duration.ofMillis(800));
    b.trigger("pod-a");
    assertEquals(Duration.ofMillis(200), b.remaining().orElseThrow());
    b.trigger("pod-b");
    assertEquals(Duration.ofSeconds(1), b.remaining().orElseThrow());
  }

  @Test
  void aPodsIdleWindowCountsFromWhenItStartedWaiting() {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    java.time.Instant created = clock.instant();
    // kube-scheduler marks the pods of one burst over 700 ms: they all started waiting together.
    b.trigger("pod-a", created);
    clock.advance(Duration.ofMillis(700));
    b.trigger("pod-b", created);
    assertEquals(Duration.ofMillis(300), b.remaining().orElseThrow());
    // A pod that started waiting later extends the window from then.
    b.trigger("pod-c", created.plusMillis(600));
    assertEquals(Duration.ofMillis(900), b.remaining().orElseThrow());
  }

  @Test
  void aPodMarkedLongAfterItArrivedIsProvisionedAtOnce() {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    java.time.Instant created = clock.instant();
    clock.advance(Duration.ofSeconds(3));
    b.trigger("pod-a", created);
    assertEquals(Duration.ZERO, b.remaining().orElseThrow());
  }

  @Test
  void theClosedWindowIsReported() throws InterruptedException {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    java.time.Instant opened = clock.instant();
    b.trigger("pod-a");
    clock.advance(Duration.ofMillis(400));
    b.trigger("pod-b");
    clock.advance(Duration.ofSeconds(1));
    assertTrue(b.await(Duration.ofMillis(1)));
    Batcher.Window w = b.lastClosed();
    assertEquals(opened, w.opened());
    assertEquals(opened.plusMillis(400), w.lastTrigger());
    assertEquals(2, w.triggers());
  }

  @Test
  void retriggeredPodsAloneWaitTheMaximumWindowAndNeverHoldANewPod() {
    ManualClock clock = new ManualClock();
    Batcher b = new Batcher(clock, Duration.ofSeconds(1), Duration.ofSeconds(10));
    b.retrigger("old-pod");
    assertEquals(Duration.ofSeconds(10), b.remaining().orElseThrow());
    clock.advance(Duration.ofMillis(600));
    b.retrigger("other-old-pod");
    assertEquals(Duration.ofMillis(9400), b.remaining().orElseThrow());
    b.trigger("new-pod");
    assertEquals(Duration.ofSeconds(1), b.remaining().orElseThrow());
    clock.advance(Duration.ofMillis(500));
    b.retrigger("third-old-pod");
    assertEquals(Duration.ofMillis(500), b.remaining().orElseThrow());
  }
}
