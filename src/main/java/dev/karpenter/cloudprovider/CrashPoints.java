package dev.karpenter.cloudprovider;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Crash injection for the fault tests (docs/reliability.md): when the environment variable {@code
 * KARPENTER_CRASH_AT} (or the system property {@code karpenter.crashAt}) names a point, the process
 * halts with exit code 137, as after SIGKILL, the moment it reaches that point: no shutdown hooks,
 * no Lease release, nothing flushed. {@code point#N} halts on the N-th time the point is reached.
 * Unset, {@link #reached} is one map lookup and nothing else.
 */
public final class CrashPoints {
  /** After the NodeClaim exists, before the cloud is asked for an instance. */
  public static final String LAUNCH_BEFORE_CREATE = "launch-before-create";

  /** After the cloud's create returned an instance, before the claim's status records it. */
  public static final String LAUNCH_AFTER_CREATE = "launch-after-create";

  /** AWS: CreateFleet returned an instance, before the provider describes it for the claim. */
  public static final String AFTER_CREATE_FLEET = "after-create-fleet";

  /** The Node joined and was labelled and untainted, before the claim's status says Registered. */
  public static final String REGISTRATION = "registration";

  /** The Node is cordoned ({@code karpenter.sh/disrupted}) and its pods are being evicted. */
  public static final String DRAIN = "drain";

  /** A disruption's replacements were launched, before the candidates are deleted. */
  public static final String DISRUPTION_AFTER_REPLACEMENT = "disruption-after-replacement";

  /** Exit code of the halt: what a shell reports for a process killed by SIGKILL. */
  public static final int EXIT_CODE = 137;

  private static final ConcurrentMap<String, AtomicInteger> COUNTS = new ConcurrentHashMap<>();
  private static final String TARGET = target();

  private CrashPoints() {}

  private static String target() {
    String v = System.getProperty("karpenter.crashAt");
    if (v == null || v.isBlank()) {
      v = System.getenv("KARPENTER_CRASH_AT");
    }
    return v == null || v.isBlank() ? null : v.trim();
  }

  /** Halts the process if it was told to crash here (and this is the N-th time, with #N). */
  public static void reached(String point) {
    if (TARGET == null || !TARGET.startsWith(point)) {
      return;
    }
    int count = COUNTS.computeIfAbsent(point, k -> new AtomicInteger()).incrementAndGet();
    if (halts(TARGET, point, count)) {
      // One line on stderr so the harness can tell an injected crash from a real one.
      System.err.println("CRASH-POINT " + point + " #" + count + ": halting with " + EXIT_CODE);
      System.err.flush();
      Runtime.getRuntime().halt(EXIT_CODE);
    }
  }

  /** Whether {@code target} ({@code point} or {@code point#N}) means halting at this reach. */
  static boolean halts(String target, String point, int count) {
    int hash = target.indexOf('#');
    String name = hash < 0 ? target : target.substring(0, hash);
    if (!name.equals(point)) {
      return false;
    }
    int nth = 1;
    if (hash >= 0) {
      try {
        nth = Integer.parseInt(target.substring(hash + 1));
      } catch (NumberFormatException e) {
        nth = 1;
      }
    }
    return count == nth;
  }
}
