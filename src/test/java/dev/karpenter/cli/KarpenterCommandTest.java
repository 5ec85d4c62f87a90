package dev.karpenter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KarpenterCommandTest {
  @Test
  void helpListsTheCommands() {
    CliRunner.Result r = CliRunner.run("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().startsWith("Usage: karpenter"), r.out());
    assertTrue(r.out().contains("version"), r.out());
  }

  @Test
  void versionPrintsTheProjectVersion() {
    CliRunner.Result r = CliRunner.run("version");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().startsWith("karpenter-java "), r.out());
  }

  @Test
  void anUnknownCommandIsAUsageErrorWithoutAStackTrace() {
    CliRunner.Result r = CliRunner.run("provision-everything");
    assertEquals(CliErrors.USAGE, r.exitCode());
    assertTrue(r.err().contains("Unmatched argument"), r.err());
    assertTrue(r.err().contains("karpenter --help"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }
}
