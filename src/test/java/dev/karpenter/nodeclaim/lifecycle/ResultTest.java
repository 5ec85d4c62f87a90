package dev.karpenter.nodeclaim.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ResultTest {
  @Test
  void theEarlierRequeueWinsAndADeletionWinsOverBoth() {
    Result soon = Result.requeueAfter(Duration.ofSeconds(1));
    Result later = Result.requeueAfter(Duration.ofSeconds(5));
    Result delete = Result.delete("LaunchTimeout", "late");
    assertEquals(soon, later.and(soon));
    assertEquals(soon, soon.and(Result.DONE));
    assertEquals(soon, Result.DONE.and(soon));
    assertEquals(delete, soon.and(delete));
    assertEquals(delete, delete.and(Result.delete("Other", "x")));
  }
}
