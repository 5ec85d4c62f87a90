package dev.karpenter.scheduling;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Kubernetes resource quantities as milli-units in a {@code long}: "4" cpu is 4000, "16Gi" memory
 * is 16 * 2^30 * 1000. A long of milli-units holds up to about 9 PB, which covers every node.
 */
public final class Quantities {
  private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

  private Quantities() {}

  /**
   * Parses a Kubernetes quantity ("500m", "2", "16Gi", "1.5G", "1e3") into milli-units, rounding up
   * as the API server does.
   *
   * @throws IllegalArgumentException naming the text when it is not a quantity
   */
  public static long parseMilli(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty quantity");
    }
    String s = text.trim();
    int i = s.length();
    while (i > 0 && Character.isLetter(s.charAt(i - 1))) {
      i--;
    }
    String number = s.substring(0, i);
    String suffix = s.substring(i);
    BigDecimal value;
    try {
      // BigDecimal also accepts "1e3", which Kubernetes does too; it rejects "", "+", "1.2.3".
      value = new BigDecimal(number);
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException("'" + text + "' is not a quantity");
    }
    BigDecimal multiplier =
        switch (suffix) {
          case "" -> BigDecimal.ONE;
          case "n" -> new BigDecimal("1e-9");
          case "u" -> new BigDecimal("1e-6");
          case "m" -> new BigDecimal("1e-3");
          case "k" -> new BigDecimal("1e3");
          case "M" -> new BigDecimal("1e6");
          case "G" -> new BigDecimal("1e9");
          case "T" -> new BigDecimal("1e12");
          case "P" -> new BigDecimal("1e15");
          case "E" -> new BigDecimal("1e18");
          case "Ki" -> BigDecimal.valueOf(1L << 10);
          case "Mi" -> BigDecimal.valueOf(1L << 20);
          case "Gi" -> BigDecimal.valueOf(1L << 30);
          case "Ti" -> BigDecimal.valueOf(1L << 40);
          case "Pi" -> BigDecimal.valueOf(1L << 50);
          case "Ei" -> BigDecimal.valueOf(1L << 60);
          default -> throw new IllegalArgumentException("'" + text + "' is not a quantity");
        };
    if (value.signum() < 0) {
      throw new IllegalArgumentException("'" + text + "' is negative");
    }
    return value
        .multiply(multiplier)
        .multiply(THOUSAND)
        .setScale(0, RoundingMode.CEILING)
        .longValueExact();
  }

  /** Whether {@code text} parses as a quantity. */
  public static boolean isQuantity(String text) {
    try {
      parseMilli(text);
      return true;
    } catch (IllegalArgumentException | ArithmeticException e) {
      return false;
    }
  }

  /**
   * Canonical Kubernetes form of a milli-value: whole numbers plain ("4"), fractions in milli
   * ("3920m"), and for byte-like resources the largest exact binary suffix ("14481Mi").
   */
  public static String format(String resource, long milli) {
    if (milli % 1000 != 0) {
      return milli + "m";
    }
    long units = milli / 1000;
    if (isBinary(resource) && units != 0) {
      String[] suffixes = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
      int[] shifts = {60, 50, 40, 30, 20, 10};
      for (int k = 0; k < suffixes.length; k++) {
        long unit = 1L << shifts[k];
        if (units % unit == 0) {
          return (units / unit) + suffixes[k];
        }
      }
    }
    return Long.toString(units);
  }

  /** Resources measured in bytes, printed with binary suffixes. */
  public static boolean isBinary(String resource) {
    return resource.equals("memory")
        || resource.equals("ephemeral-storage")
        || resource.startsWith("hugepages-");
  }
}
