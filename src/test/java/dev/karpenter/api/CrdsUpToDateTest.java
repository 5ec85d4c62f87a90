package dev.karpenter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed CRDs are exactly what the Java model generates; the build fails when stale. */
class CrdsUpToDateTest {
  private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");

  @Test
  void committedCrdsMatchTheModel() throws IOException {
    for (String name : CrdPostProcessor.KINDS.keySet()) {
      Path generated = GENERATED.resolve(name + "-v1.yml");
      Path committed = Manifests.CRDS.resolve(name + ".yaml");
      assertTrue(Files.exists(committed), committed + " is missing");
      assertEquals(
          Files.readString(generated),
          Files.readString(committed),
          committed
              + " is stale: regenerate with ./mvnw -B -q process-classes -Dcrds.update.dir=crds");
    }
  }
}
