package dev.karpenter.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class BatcherTest {
  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

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
