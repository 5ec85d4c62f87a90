package dev.karpenter.disruption.decision;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A budget's {@code schedule} + {@code duration}: active from each cron hit for {@code duration}.
 * Karpenter's dialect (robfig/cron's standard parser): five fields in UTC, or a macro
 * ({@code @daily}, ...). Beyond upstream, a {@code CRON_TZ=Zone/Name} (or {@code TZ=}) prefix
 * evaluates the fields in that zone, so 09:00 stays 09:00 local across DST changes.
 */
public final class BudgetSchedule {
  private static final CronParser PARSER =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");

  private final String schedule;
  private final ZoneId zone;
  private final ExecutionTime execution;
  private final Duration duration;

  private BudgetSchedule(String schedule, ZoneId zone, ExecutionTime execution, Duration duration) {
    this.schedule = schedule;
    this.zone = zone;
    this.execution = execution;
    this.duration = duration;
  }

  /**
   * Parses a schedule and duration.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static BudgetSchedule parse(String schedule, String duration) {
    String spec = schedule.trim();
    ZoneId zone = ZoneOffset.UTC;
    if (spec.startsWith("CRON_TZ=") || spec.startsWith("TZ=")) {
      int sp = spec.indexOf(' ');
      String name = spec.substring(spec.indexOf('=') + 1, sp < 0 ? spec.length() : sp);
      try {
        zone = ZoneId.of(name);
      } catch (DateTimeException e) {
        throw new IllegalArgumentException(
            "schedule '" + schedule + "': unknown time zone " + name);
      }
      spec = sp < 0 ? "" : spec.substring(sp + 1).trim();
    }
    String fields = MACROS.getOrDefault(spec.toLowerCase(Locale.ROOT), spec);
    if (fields.startsWith("@")) {
      throw new IllegalArgumentException("schedule '" + schedule + "': unknown macro " + spec);
    }
    if (fields.split("\\s+").length != 5) {
      throw new IllegalArgumentException(
          "schedule '" + schedule + "': expected 5 fields (minute hour day month weekday)");
    }
    ExecutionTime exec;
    try {
      exec = ExecutionTime.forCron(PARSER.parse(fields.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("schedule '" + schedule + "': " + e.getMessage());
    }
    Duration d;
    try {
      d = GoDuration.parse(duration);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("duration: " + e.getMessage());
    }
    return new BudgetSchedule(schedule, zone, exec, d);
  }

  public String schedule() {
    return schedule;
  }

  public Duration duration() {
    return duration;
  }

  public ZoneId zone() {
    return zone;
  }

  /** Upstream's rule: active iff the first hit after {@code now - duration} is not after now. */
  public boolean isActive(Instant now) {
    Optional<Instant> hit = nextHit(now.minus(duration));
    return hit.isPresent() && !hit.get().isAfter(now);
  }

  /** The first hit strictly after {@code t}. */
  public Optional<Instant> nextHit(Instant t) {
    return execution.nextExecution(ZonedDateTime.ofInstant(t, zone)).map(ZonedDateTime::toInstant);
  }

  /**
   * The instants in {@code (from, to]} where this schedule turns on or off (hit and hit +
   * duration), at most {@code limit} hits.
   */
  public List<Instant> changePoints(Instant from, Instant to, int limit) {
    List<Instant> out = new ArrayList<>();
    Instant t = from.minus(duration);
    for (int i = 0; i < limit; i++) {
      Optional<Instant> hit = nextHit(t);
      if (hit.isEmpty() || hit.get().isAfter(to)) {
        break;
      }
      Instant h = hit.get();
      if (h.isAfter(from)) {
        out.add(h);
      }
      Instant end = h.plus(duration);
      if (end.isAfter(from) && !end.isAfter(to)) {
        out.add(end);
      }
      t = h;
    }
    return out;
  }
}
