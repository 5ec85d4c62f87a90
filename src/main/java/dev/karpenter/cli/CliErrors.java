package dev.karpenter.cli;

import picocli.CommandLine;

/**
 * How the CLI reports failures: a one-line message on stderr and an exit code, never a stack trace.
 * Exit 1 is bad input (a file that does not validate), exit 2 a usage error.
 */
public final class CliErrors {
  public static final int INVALID_INPUT = 1;
  public static final int USAGE = 2;

  private CliErrors() {}

  /** Thrown by commands for bad input; the message is shown as it is. */
  public static final class UserException extends RuntimeException {
    private final int exitCode;

    public UserException(String message) {
      this(message, INVALID_INPUT);
    }

    public UserException(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  static final class ExceptionHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
      if (ex instanceof UserException u) {
        cl.getErr().println("error: " + u.getMessage());
        return u.exitCode();
      }
      cl.getErr().println("error: " + describe(ex));
      if (System.getenv("KARPENTER_DEBUG") != null) {
        ex.printStackTrace(cl.getErr());
      } else {
        cl.getErr().println("(set KARPENTER_DEBUG=1 for details)");
      }
      return 70;
    }

    private static String describe(Throwable t) {
      String m = t.getMessage();
      return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
  }

  static final class ParameterHandler implements CommandLine.IParameterExceptionHandler {
    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
      CommandLine cl = ex.getCommandLine();
      cl.getErr().println("error: " + ex.getMessage());
      cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
      return USAGE;
    }
  }
}
