package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The pinned kubectl and both Helm majors run from the cache. */
@Tag("tools")
class ToolsIT {

  @Test
  void kubectlClientIs135() {
    Harness.Result r = Tools.run(Tools.kubectl(), "version", "--client");
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stdout().contains("Client Version: v1.35."), r.stdout());
  }

  @Test
  void helm4ReportsVersion4() {
    Harness.Result r = Tools.run(Tools.helm4(), "version", "--short");
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stdout().startsWith("v4."), r.stdout());
  }

  @Test
  void helm3ReportsVersion317() {
    Harness.Result r = Tools.run(Tools.helm3(), "version", "--short");
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stdout().startsWith("v3.17."), r.stdout());
  }
}
