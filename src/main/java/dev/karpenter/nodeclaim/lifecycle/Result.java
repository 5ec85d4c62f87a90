package dev.karpenter.nodeclaim.lifecycle;

import java.time.Duration;
import java.util.Optional;

/**
 * What one lifecycle sub-reconciler decided: look again after {@code requeueAfter} (if present), or
 * delete the claim for {@code deletion}'s reason.
 */
public record Result(Optional<Duration> requeueAfter, Optional<Deletion> deletion) {
  public static final Result DONE = new Result(Optional.empty(), Optional.empty());

  /**
   * Delete the claim; {@code reason} becomes its {@code DisruptionReason} condition and the
   * terminated metric's reason label.
   */
  public record Deletion(String reason, String message) {}

  public static Result requeueAfter(Duration d) {
    return new Result(Optional.of(d), Optional.empty());
  }

  public static Result delete(String reason, String message) {
    return new Result(Optional.empty(), Optional.of(new Deletion(reason, message)));
  }

  /** Both decisions: the first deletion wins, else the earlier requeue. */
  public Result and(Result other) {
    if (deletion.isPresent()) {
      return this;
    }
    if (other.deletion.isPresent()) {
      return other;
    }
    if (requeueAfter.isEmpty()) {
      return other;
    }
    if (other.requeueAfter.isEmpty()) {
      return this;
    }
    return requeueAfter.get().compareTo(other.requeueAfter.get()) <= 0 ? this : other;
  }
}
