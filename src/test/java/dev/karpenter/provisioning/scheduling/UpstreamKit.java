package dev.karpenter.provisioning.scheduling;

import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import dev.karpenter.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.List;
import java.util.Map;

/**
 * The {@link Fixtures} of this package, public for the checklist of upstream behaviours in {@code
 * upstream/} (a facade so that Fixtures itself stays package-private and unchanged).
 */
public final class UpstreamKit {
  private UpstreamKit() {}

  public static final List<String> ZONES = Fixtures.ZONES;

  public static List<InstanceType> cpuTypes() {
    return Fixtures.CPU;
  }

  public static List<InstanceType> gpuTypes() {
    return Fixtures.GPU;
  }

  public static List<InstanceType> neuronTypes() {
    return Fixtures.NEURON;
  }

  public static List<InstanceType> all() {
    return Fixtures.all();
  }

  public static InstanceType type(
      String name, int cpu, int memGi, int maxPods, double onDemand, double spot, String... extra) {
    return Fixtures.type(name, cpu, memGi, maxPods, onDemand, spot, extra);
  }

  public static Taint taint(String key, String value, String effect) {
    return Fixtures.taint(key, value, effect);
  }

  public static Toleration tolerate(String key, String effect) {
    return Fixtures.tolerate(key, effect);
  }

  public static Requirement req(String key, String op, String... values) {
    return Fixtures.req(key, op, values);
  }

  public static SchedulingNodePool pool(String name, int weight, Requirement... reqs) {
    return Fixtures.pool(name, weight, reqs);
  }

  public static SchedulingNodePool pool(
      String name, int weight, List<InstanceType> types, Requirement... reqs) {
    return SchedulingNodePool.of(name, weight, Requirements.of(reqs), types);
  }

  public static SchedulingResult solve(List<Pod> pods, SchedulingNodePool... pools) {
    return Fixtures.solve(pods, pools);
  }

  public static SchedulingResult solve(SchedulingInput input) {
    return new Scheduler().solve(input);
  }

  public static SchedulingInput input(List<Pod> pods, SchedulingNodePool... pools) {
    return Fixtures.input(pods, pools);
  }

  public static DaemonSet daemonSet(String name, String cpu, String mem, Toleration... t) {
    return Fixtures.daemonSet(name, cpu, mem, t);
  }

  public static ExistingNode node(
      String name, Map<String, String> labels, String cpu, String mem, List<Pod> pods) {
    return new ExistingNode(
        name,
        labels,
        List.of(),
        Resources.parse(Map.of("cpu", cpu, "memory", mem, "pods", "110")),
        pods,
        false);
  }

  public static PodSpec pod(String name) {
    return new PodSpec(Fixtures.pod(name));
  }

  /** Fluent pod builder (delegates to {@link Fixtures.P}). */
  public static final class PodSpec {
    private final Fixtures.P p;

    PodSpec(Fixtures.P p) {
      this.p = p;
    }

    public PodSpec ns(String v) {
      p.ns(v);
      return this;
    }

    public PodSpec cpu(String v) {
      p.cpu(v);
      return this;
    }

    public PodSpec mem(String v) {
      p.mem(v);
      return this;
    }

    public PodSpec res(String n, String v) {
      p.res(n, v);
      return this;
    }

    public PodSpec label(String k, String v) {
      p.label(k, v);
      return this;
    }

    public PodSpec selector(String k, String v) {
      p.selector(k, v);
      return this;
    }

    public PodSpec tolerate(String key) {
      p.tolerate(key);
      return this;
    }

    public PodSpec tolerateAll() {
      p.tolerateAll();
      return this;
    }

    public PodSpec hostPort(int port) {
      p.hostPort(port);
      return this;
    }

    public PodSpec require(String key, String op, String... values) {
      p.require(key, op, values);
      return this;
    }

    public PodSpec requireOp(String key, String op, String... values) {
      p.requireOp(key, op, values);
      return this;
    }

    public PodSpec requireTerms(List<Requirement> term) {
      p.requireTerms(term);
      return this;
    }

    public PodSpec prefer(int weight, String key, String op, String... values) {
      p.prefer(weight, key, op, values);
      return this;
    }

    public PodSpec spread(String key, int maxSkew, String when, String lk, String lv) {
      p.spread(key, maxSkew, when, lk, lv);
      return this;
    }

    public PodSpec spread(String key, int maxSkew, String when, String lk, String lv, Integer min) {
      p.spread(key, maxSkew, when, lk, lv, min);
      return this;
    }

    public PodSpec affinity(String key, String lk, String lv) {
      p.affinity(key, lk, lv);
      return this;
    }

    public PodSpec antiAffinity(String key, String lk, String lv) {
      p.antiAffinity(key, lk, lv);
      return this;
    }

    public PodSpec preferAntiAffinity(int w, String key, String lk, String lv) {
      p.preferAntiAffinity(w, key, lk, lv);
      return this;
    }

    public PodSpec preferAffinity(int w, String key, String lk, String lv) {
      p.preferAffinity(w, key, lk, lv);
      return this;
    }

    public PodSpec nodeName(String n) {
      p.nodeName(n);
      return this;
    }

    public Pod build() {
      return p.build();
    }

    public List<Pod> times(int n) {
      return p.times(n);
    }
  }
}
