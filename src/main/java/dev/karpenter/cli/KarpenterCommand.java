package dev.karpenter.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code karpenter} command: every subcommand is registered here. */
@Command(
    name = "karpenter",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "A Karpenter-compatible node autoscaler for GPU and Neuron workloads.",
    subcommands = {
      VersionCommand.class,
      BenchCommand.class,
      SimulateCommand.class,
      CatalogCommand.class,
      ValidateCommand.class,
      ControllerCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class,
    })
public final class KarpenterCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A command line with the project's error handling: messages, never stack traces. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new KarpenterCommand());
    cl.setExecutionExceptionHandler(new CliErrors.ExceptionHandler());
    cl.setParameterExceptionHandler(new CliErrors.ParameterHandler());
    return cl;
  }
}
