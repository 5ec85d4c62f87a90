package dev.karpenter.oracle;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Delta debugging on a failing workload: drops pods (in halves, then one by one), NodePools,
 * DaemonSets and existing nodes, then strips constraints from the remaining pods, keeping each step
 * only while the workload still fails the same way.
 */
final class Shrinker {
  private final Predicate<Workload> fails;
  private final Instant deadline;
  private int tries;

  Shrinker(Predicate<Workload> fails, Duration budget) {
    this.fails = fails;
    this.deadline = Instant.now().plus(budget);
  }

  int tries() {
    return tries;
  }

  Workload shrink(Workload w) {
    boolean progress = true;
    while (progress && !late()) {
      progress = false;
      for (int chunk = Math.max(1, w.pods().size() / 2); chunk >= 1 && !late(); chunk /= 2) {
        for (int i = 0; i + chunk <= w.pods().size() && !late(); ) {
          List<Pod> fewer = new ArrayList<>(w.pods());
          fewer.subList(i, i + chunk).clear();
          Workload c = w.withPods(fewer);
          if (!fewer.isEmpty() && test(c)) {
            w = c;
            progress = true;
          } else {
            i += chunk;
          }
        }
      }
      w = dropEach(w, w.pools().size(), (x, i) -> x.withPools(without(x.pools(), i)));
      w =
          dropEach(
              w, w.daemonSets().size(), (x, i) -> x.withDaemonSets(without(x.daemonSets(), i)));
      w = dropEach(w, w.nodes().size(), (x, i) -> x.withNodes(without(x.nodes(), i)));
      for (Function<Pod, Pod> strip : STRIPS) {
        for (int i = 0; i < w.pods().size() && !late(); i++) {
          Pod before = w.pods().get(i);
          Pod after = strip.apply(before);
          if (after.equals(before)) {
            continue;
          }
          List<Pod> pods = new ArrayList<>(w.pods());
          pods.set(i, after);
          Workload c = w.withPods(pods);
          if (test(c)) {
            w = c;
            progress = true;
          }
        }
      }
    }
    return w;
  }

  private interface Drop {
    Workload apply(Workload w, int i);
  }

  private Workload dropEach(Workload w, int n, Drop drop) {
    for (int i = n - 1; i >= 0 && !late(); i--) {
      Workload c = drop.apply(w, i);
      if (test(c)) {
        w = c;
      }
    }
    return w;
  }

  private static <T> List<T> without(List<T> l, int i) {
    List<T> c = new ArrayList<>(l);
    c.remove(i);
    return c;
  }

  private boolean test(Workload w) {
    tries++;
    return fails.test(w);
  }

  private boolean late() {
    return Instant.now().isAfter(deadline);
  }

  private static final List<Function<Pod, Pod>> STRIPS =
      List.of(
          p ->
              p.getSpec().getAffinity() == null
                  ? p
                  : new PodBuilder(p).editSpec().withAffinity(null).endSpec().build(),
          p ->
              new PodBuilder(p)
                  .editSpec()
                  .withTopologySpreadConstraints(List.of())
                  .endSpec()
                  .build(),
          p -> new PodBuilder(p).editSpec().withNodeSelector(null).endSpec().build(),
          p ->
              p.getSpec().getAffinity() == null
                      || p.getSpec().getAffinity().getNodeAffinity() == null
                  ? p
                  : new PodBuilder(p)
                      .editSpec()
                      .editAffinity()
                      .editNodeAffinity()
                      .withPreferredDuringSchedulingIgnoredDuringExecution(List.of())
                      .endNodeAffinity()
                      .endAffinity()
                      .endSpec()
                      .build(),
          p ->
              new PodBuilder(p)
                  .editSpec()
                  .editFirstContainer()
                  .withPorts(List.of())
                  .endContainer()
                  .endSpec()
                  .build());
}
