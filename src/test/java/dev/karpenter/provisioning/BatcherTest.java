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
}
