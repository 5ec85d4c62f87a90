package dev.karpenter.cloudprovider;

/**
 * Named points where a test can make the operator process die on the spot: with {@code
 * KARPENTER_CRASH_AT=<point>} in its environment the JVM halts (exit 137, as SIGKILL; no shutdown
 * hooks, no Lease release) when it reaches that point. Unset, {@link #reached} does nothing.
 */
public final class CrashPoints {
  /** CreateFleet returned an instance; the NodeClaim does not know it yet. */
  public static final String AFTER_CREATE_FLEET = "after-create-fleet";

  private static final String ARMED = System.getenv("KARPENTER_CRASH_AT");

  private CrashPoints() {}

  public static void reached(String point) {
    if (ARMED != null && ARMED.equals(point)) {
      System.err.println("KARPENTER_CRASH_AT=" + point + ": halting the JVM");
      System.err.flush();
      Runtime.getRuntime().halt(137);
    }
  }
}
