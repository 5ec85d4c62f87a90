package dev.karpenter.api.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A validation error worded as the API server words it ({@code field.Error} in Kubernetes): {@code
 * body} is what a StatusCause's message holds, e.g. {@code Unsupported value: "Equals": supported
 * values: "In", "NotIn"}.
 */
public record FieldError(FieldPath path, Type type, String body) {

  /** The Kubernetes error types; the blocking ones stop CEL rules from being evaluated. */
  public enum Type {
    REQUIRED(true),
    NOT_SUPPORTED(true),
    TYPE_INVALID(true),
    TOO_LONG(true),
    TOO_MANY(true),
    INVALID(false),
    DUPLICATE(false),
    FORBIDDEN(false);

    private final boolean blocksCel;

    Type(boolean blocksCel) {
      this.blocksCel = blocksCel;
    }

    public boolean blocksCel() {
      return blocksCel;
    }
  }

  static FieldError required(FieldPath path, String detail) {
    return new FieldError(path, Type.REQUIRED, withDetail("Required value", detail));
  }

  static FieldError notSupported(FieldPath path, JsonNode value, List<String> supported) {
    String values = supported.stream().map(GoFormat::quote).collect(Collectors.joining(", "));
    return new FieldError(
        path,
        Type.NOT_SUPPORTED,
        "Unsupported value: " + GoFormat.badValue(value) + ": supported values: " + values);
  }

  static FieldError invalid(FieldPath path, String formattedValue, String detail) {
    return new FieldError(
        path, Type.INVALID, withDetail("Invalid value: " + formattedValue, detail));
  }

  static FieldError typeInvalid(FieldPath path, String actualType, String detail) {
    return new FieldError(
        path, Type.TYPE_INVALID, "Invalid value: " + GoFormat.quote(actualType) + ": " + detail);
  }

  static FieldError tooLong(FieldPath path, long max) {
    return new FieldError(
        path,
        Type.TOO_LONG,
        "Too long: may not be more than " + max + (max == 1 ? " byte" : " bytes"));
  }

  static FieldError tooMany(FieldPath path, int actual, long max) {
    return new FieldError(
        path,
        Type.TOO_MANY,
        "Too many: " + actual + ": must have at most " + max + (max == 1 ? " item" : " items"));
  }

  static FieldError duplicate(FieldPath path, String formattedValue) {
    return new FieldError(path, Type.DUPLICATE, "Duplicate value: " + formattedValue);
  }

  static FieldError forbidden(FieldPath path, String detail) {
    return new FieldError(path, Type.FORBIDDEN, withDetail("Forbidden", detail));
  }

  private static String withDetail(String s, String detail) {
    return detail == null || detail.isEmpty() ? s : s + ": " + detail;
  }
}
