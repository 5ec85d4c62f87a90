package dev.karpenter.api.validation;

/**
 * One problem in a manifest. {@code field} uses the API server's path syntax and is null for a
 * problem of the whole document or file; {@code line} is 1-based, 0 when unknown.
 */
public record Finding(
    String file, int line, Severity severity, String object, String field, String message) {

  public enum Severity {
    ERROR,
    WARNING,
    NOTE
  }

  /** {@code file:line: field: message}, the format compilers and CI annotators understand. */
  public String format() {
    StringBuilder sb = new StringBuilder(file);
    if (line > 0) {
      sb.append(':').append(line);
    }
    sb.append(": ");
    if (severity != Severity.ERROR) {
      sb.append(severity.name().toLowerCase(java.util.Locale.ROOT)).append(": ");
    }
    if (field != null) {
      sb.append(field).append(": ");
    }
    return sb.append(message).toString();
  }
}
