package dev.karpenter.api.validation;

/** A file that is not well-formed YAML; {@code line} is 1-based. */
public final class YamlSyntaxException extends Exception {
  private final int line;

  public YamlSyntaxException(int line, String message) {
    super(message);
    this.line = line;
  }

  public int line() {
    return line;
  }
}
