package dev.karpenter.state;

import dev.karpenter.api.v1.Condition;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Sets status conditions, keeping lastTransitionTime when the status does not change. */
public final class Conditions {
  private Conditions() {}

  /** Returns true when the list changed. */
  public static boolean set(
      List<Condition> conditions,
      String type,
      String status,
      String reason,
      String message,
      Long generation,
      Clock clock) {
    for (int i = 0; i < conditions.size(); i++) {
      Condition c = conditions.get(i);
      if (c.type().equals(type)) {
        if (c.status().equals(status)
            && c.reason().equals(reason)
            && c.message().equals(message)
            && java.util.Objects.equals(c.observedGeneration(), generation)) {
          return false;
        }
        String since =
            c.status().equals(status)
                ? c.lastTransitionTime()
                : clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        conditions.set(i, new Condition(type, status, generation, since, reason, message));
        return true;
      }
    }
    conditions.add(
        new Condition(
            type,
            status,
            generation,
            clock.instant().truncatedTo(ChronoUnit.SECONDS).toString(),
            reason,
            message));
    return true;
  }

  public static List<Condition> copy(List<Condition> conditions) {
    return conditions == null ? new ArrayList<>() : new ArrayList<>(conditions);
  }
}
