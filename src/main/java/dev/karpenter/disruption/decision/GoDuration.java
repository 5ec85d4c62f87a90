package dev.karpenter.disruption.decision;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations as the v1 API writes them: {@code 10h}, {@code 1h30m}, {@code 90s}. */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("([0-9]+)(h|m|s)");

  private GoDuration() {}

  /** The duration, or empty for {@code Never}/null. */
  public static java.util.Optional<Duration> parseOrNever(String s) {
    if (s == null || s.isEmpty() || s.equals("Never")) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(parse(s));
  }

  public static Duration parse(String s) {
    Matcher m = PART.matcher(s);
    int at = 0;
    Duration d = Duration.ZERO;
    while (m.find() && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "h" -> d.plusHours(n);
            case "m" -> d.plusMinutes(n);
            default -> d.plusSeconds(n);
          };
      at = m.end();
    }
    if (at == 0 || at != s.length()) {
      throw new IllegalArgumentException("'" + s + "' is not a duration such as 10h, 1h30m or 90s");
    }
    return d;
  }

  /** Short human form: {@code 1h30m}, {@code 45s}. */
  public static String format(Duration d) {
    long s = Math.max(0, d.toSeconds());
    StringBuilder b = new StringBuilder();
    if (s >= 3600) {
      b.append(s / 3600).append('h');
      s %= 3600;
    }
    if (s >= 60) {
      b.append(s / 60).append('m');
      s %= 60;
    }
    if (s > 0 || b.isEmpty()) {
      b.append(s).append('s');
    }
    return b.toString();
  }
}
