package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code --help} works on every command and subcommand, without its required options. */
class HelpTest {
  static Stream<List<String>> commands() {
    List<List<String>> out = new ArrayList<>();
    walk(KarpenterCommand.commandLine(), new ArrayList<>(), out);
    return out.stream();
  }

  private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    for (var e : cl.getSubcommands().entrySet()) {
      if (!e.getValue().getCommandName().equals(e.getKey())) {
        continue; // an alias of a command already listed
      }
      List<String> p = new ArrayList<>(path);
      p.add(e.getKey());
      walk(e.getValue(), p, out);
    }
  }

  @ParameterizedTest(name = "{0} --help")
  @MethodSource("commands")
  void helpPrintsUsageAndExitsZero(List<String> path) {
    List<String> args = new ArrayList<>(path);
    args.add("--help");
    CliRunner.Result r = CliRunner.run(args.toArray(new String[0]));
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.err());
    assertTrue(r.out().contains("Usage:"), () -> String.join(" ", args) + ": " + r.out());
    assertEquals("", r.err(), () -> String.join(" ", args));
  }

  @org.junit.jupiter.api.Test
  void everyLeafCommandIsCovered() {
    List<String> names = commands().map(p -> String.join(" ", p)).toList();
    assertTrue(names.contains("simulate"), names.toString());
    assertTrue(names.contains("bench scheduling"), names.toString());
  }
}
