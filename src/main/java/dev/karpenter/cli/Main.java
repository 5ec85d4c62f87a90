package dev.karpenter.cli;

/** Entry point of {@code java -jar karpenter.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code; tests call this instead of {@link #main}. */
  public static int run(String... args) {
    return KarpenterCommand.commandLine().execute(args);
  }
}
