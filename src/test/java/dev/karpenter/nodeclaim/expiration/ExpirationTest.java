package dev.karpenter.nodeclaim.expiration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.karpenter.api.v1.NodeClaim;
import dev.karpenter.api.v1.NodeClaimSpec;
import dev.karpenter.testing.ClusterObjects;
import dev.karpenter.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpirationTest {
  static final Instant CREATED = Instant.parse("2026-12-02T08:00:00Z");

  static NodeClaim claim(String expireAfter) {
    NodeClaim c = ClusterObjects.nodeClaim("gpu-abc", "gpu", CREATED, List.of("g5.xlarge"));
    NodeClaimSpec s = c.getSpec();
    c.setSpec(
        new NodeClaimSpec(
            s.taints(),
            s.startupTaints(),
            s.requirements(),
            s.resources(),
            s.nodeClassRef(),
            s.terminationGracePeriod(),
            expireAfter));
    return c;
  }

  @Test
  void aClaimExpiresAtCreationPlusExpireAfter() {
    assertThat(Expiration.at(claim("336h"))).contains(Instant.parse("2026-12-16T08:00:00Z"));
    assertThat(Expiration.at(claim("1h30m"))).contains(Instant.parse("2026-12-02T09:30:00Z"));
  }

  @Test
  void neverOrUnsetDoesNotExpire() {
    assertThat(Expiration.at(claim("Never"))).isEmpty();
    assertThat(Expiration.at(claim(null))).isEmpty();
  }

  @Test
  void aBadDurationNamesItself() {
    assertThatThrownBy(() -> Expiration.at(claim("2 weeks")))
        .hasMessageContaining("'2 weeks' is not a duration");
  }

  @Test
  void beforeItsExpiryTheControllerRequeuesAtTheExactInstant() {
    ManualClock clock = new ManualClock(CREATED.plusSeconds(7));
    ExpirationReconciler r = new ExpirationReconciler(null, null, null, clock);
    var control = r.reconcile(claim("20s"), null);
    assertThat(control.getScheduleDelay()).contains(Duration.ofSeconds(13).toMillis());
    clock.set(Instant.parse("2026-12-02T07:59:00Z"));
    assertThat(r.reconcile(claim("720h"), null).getScheduleDelay())
        .contains(Duration.ofHours(720).plusMinutes(1).toMillis());
    assertThat(r.reconcile(claim("Never"), null).getScheduleDelay()).isEmpty();
  }
}
