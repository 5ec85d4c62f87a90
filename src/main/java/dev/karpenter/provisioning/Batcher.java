package dev.karpenter.provisioning;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Karpenter's provisioning batch window: a batch opens at the first trigger and closes after {@code
 * idle} without a new trigger, or {@code max} after it opened, whichever comes first. As in
 * Karpenter, a keyed trigger (a pod's UID) only extends the window the first time that key is seen
 * in the open batch, so status churn of pods already pending cannot keep a batch open.
 */
public final class Batcher {
  private final Clock clock;
  private final Duration idle;
  private final Duration max;
  private Instant first;
  private Instant last;
  private final java.util.Set<String> seen = new java.util.HashSet<>();
  private int triggers;
  private Window closed;

  /**
   * A batch window that closed: when it opened, when its last window-extending trigger came, when
   * it closed, and how many such triggers it had (for timelines and benchmarks).
   */
  public record Window(Instant opened, Instant lastTrigger, Instant closed, int triggers) {
    public Window {
      lastTrigger = lastTrigger == null ? opened : lastTrigger;
    }
  }

  public Batcher(Clock clock, Duration idle, Duration max) {
    this.clock = clock;
    this.idle = idle;
    this.max = max;
  }

  /** Triggers for {@code key}; a key already seen in the open batch changes nothing. */
  public synchronized void trigger(String key) {
    if (seen.add(key)) {
      trigger();
    }
  }

  /**
   * Triggers for {@code key}, a pod an earlier round already planned for and seen again: it opens a
   * batch when none is open, but one that only such pods opened closes at the maximum window, and
   * they never extend a batch. So their updates (kube-scheduler rewrites the Unschedulable message
   * as nodes come) neither delay new pods nor make rounds run back to back. A key already seen
   * changes nothing.
   */
  public synchronized void retrigger(String key) {
    if (!seen.add(key)) {
      return;
    }
    if (first == null) {
      first = clock.instant();
      triggers++;
      notifyAll();
    }
  }

  /**
   * Triggers for {@code key}, counting its idle window from {@code since} (when the pod started
   * waiting), not from now: a pod kube-scheduler took seconds to mark Unschedulable does not make
   * the pods that arrived with it wait that long again. A key already seen changes nothing.
   */
  public synchronized void trigger(String key, Instant since) {
    if (!seen.add(key)) {
      return;
    }
    Instant now = clock.instant();
    if (first == null) {
      first = now;
    }
    Instant at = since.isBefore(now) ? since : now;
    if (last == null || at.isAfter(last)) {
      last = at;
    }
    triggers++;
    notifyAll();
  }

  public synchronized void trigger() {
    Instant now = clock.instant();
    if (first == null) {
      first = now;
    }
    last = now;
    triggers++;
    notifyAll();
  }

  /** The window the last {@link #await} closed; null before the first. */
  public synchronized Window lastClosed() {
    return closed;
  }

  /** Time until the open batch closes (zero when it has); empty when no batch is open. */
  public synchronized Optional<Duration> remaining() {
    if (first == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Instant maxEnd = first.plus(max);
    Instant idleEnd = last == null ? maxEnd : last.plus(idle);
    Instant end = idleEnd.isBefore(maxEnd) ? idleEnd : maxEnd;
    Duration left = Duration.between(now, end);
    return Optional.of(left.isNegative() ? Duration.ZERO : left);
  }

  /**
   * Blocks until a batch closes (then starts a new, empty one) or {@code timeout} passes without a
   * trigger.
   *
   * @return true when a batch closed
   */
  public synchronized boolean await(Duration timeout) throws InterruptedException {
    if (first == null) {
      wait(Math.max(1, timeout.toMillis()));
      if (first == null) {
        return false;
      }
    }
    while (true) {
      Duration left = remaining().orElseThrow();
      if (left.isZero()) {
        closed = new Window(first, last, clock.instant(), triggers);
        triggers = 0;
        first = null;
        last = null;
        seen.clear();
        return true;
      }
      wait(Math.max(1, left.toMillis()));
    }
  }
}
