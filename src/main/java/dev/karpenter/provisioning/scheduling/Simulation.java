package dev.karpenter.provisioning.scheduling;

import dev.karpenter.api.v1.Labels;
import dev.karpenter.cloudprovider.ExoticFilter;
import dev.karpenter.cloudprovider.InstanceType;
import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.scheduling.Pods;
import dev.karpenter.scheduling.Quantities;
import dev.karpenter.scheduling.Requirement;
import dev.karpenter.scheduling.Requirements;
import dev.karpenter.scheduling.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** One scheduling run over a snapshot: mutable working state, discarded afterwards. */
final class Simulation {
  static final int MAX_INSTANCE_TYPES = 60;

  final SchedulingInput input;
  final Scheduler.Options options;
  final ResourceIndex index = new ResourceIndex();
  final Topology topology = new Topology();
  final List<PoolInfo> pools = new ArrayList<>();
  final List<NodeState> nodes = new ArrayList<>();
  final List<Claim> claims = new ArrayList<>();
  final List<PodState> pending = new ArrayList<>();
  final Map<String, String> unschedulable = new LinkedHashMap<>();
  // Unbound WaitForFirstConsumer claims: the zone of the first pod placed that mounts each.
  private final Map<String, String> claimZones = new HashMap<>();
  private final Map<InstanceType, TypeInfo> typeInfos = new IdentityHashMap<>();
  private int claimSeq;
  int nodesIdx;

  Simulation(SchedulingInput input, Scheduler.Options options) {
    this.input = input;
    this.options = options;
  }

  // ---------------------------------------------------------------- model

  /** An instance type with its usable offerings. */
  static final class TypeInfo {
    final InstanceType type;
    final String name;
    final Map<String, String> labels;
    final List<Offering> offerings;
    final double minPrice;

    TypeInfo(InstanceType type, Set<String> unavailable) {
      this.type = type;
      this.name = type.name();
      Map<String, String> l = new HashMap<>(type.labels());
      l.putIfAbsent(Labels.INSTANCE_TYPE, type.name());
      this.labels = l;
      List<Offering> offs = new ArrayList<>();
      double min = Double.MAX_VALUE;
      for (Offering o : type.offerings()) {
        if (o.available()
            && !unavailable.contains(o.capacityType() + ":" + type.name() + ":" + o.zone())) {
          offs.add(o);
          min = Math.min(min, o.price());
        }
      }
      this.offerings = offs;
      this.minPrice = min;
    }

    /** Cheapest usable offering allowed by the zone and capacity-type requirements, or null. */
    Offering cheapest(Requirement zone, Requirement capacityType) {
      Offering best = null;
      for (Offering o : offerings) {
        if ((zone == null || zone.matches(o.zone()))
            && (capacityType == null || capacityType.matches(o.capacityType()))
            && (best == null || o.price() < best.price())) {
          best = o;
        }
      }
      return best;
    }
  }

  /** A NodePool with its instance types ordered by price and DaemonSet overhead applied. */
  final class PoolInfo {
    final SchedulingNodePool pool;
    final Requirements requirements;
    final TypeInfo[] types;
    final long[][] alloc;
    final long[][] capacity;
    final long[] limit;
    final long[] used;
    final long usedNodesAtStart;
    final boolean limited;
    final List<String> daemonPorts = new ArrayList<>();

    PoolInfo(SchedulingNodePool pool, List<DaemonSet> daemonSets) {
      this.pool = pool;
      this.requirements = pool.effectiveRequirements();
      List<TypeInfo> ts = new ArrayList<>();
      for (InstanceType it : pool.instanceTypes()) {
        TypeInfo t =
            typeInfos.computeIfAbsent(it, k -> new TypeInfo(k, input.unavailableOfferings()));
        if (!t.offerings.isEmpty() && compatible(t, requirements)) {
          ts.add(t);
        }
      }
      ts.sort(Comparator.comparingDouble((TypeInfo t) -> t.minPrice).thenComparing(t -> t.name));
      types = ts.toArray(new TypeInfo[0]);
      alloc = new long[types.length][];
      capacity = new long[types.length][];
      List<DaemonState> ds = daemonsFor(daemonSets);
      for (DaemonState d : ds) {
        daemonPorts.addAll(d.hostPorts);
      }
      int nodesI = index.indexOf("nodes");
      for (int i = 0; i < types.length; i++) {
        long[] a = index.vector(types[i].type.allocatable());
        for (DaemonState d : ds) {
          if (d.requirements.matchesLabelsPartially(types[i].labels)) {
            for (int k = 0; k < a.length; k++) {
              a[k] -= d.requests[k];
            }
          }
        }
        alloc[i] = a;
        capacity[i] = index.vector(types[i].type.capacity());
        capacity[i][nodesI] = 1000;
      }
      limit = new long[index.size()];
      used = index.vector(pool.usage());
      // Every node and in-flight NodeClaim of the pool counts against limits.nodes, whether or not
      // the caller's usage includes the count.
      long count = 0;
      for (ExistingNode n : concat(input.nodes(), input.inFlight())) {
        if (pool.name().equals(n.labels().get(Labels.NODEPOOL))) {
          count += 1000;
        }
      }
      used[nodesI] = Math.max(used[nodesI], count);
      usedNodesAtStart = used[nodesI];
      java.util.Arrays.fill(limit, -1);
      boolean any = false;
      for (Map.Entry<String, Long> e : pool.limits().milli().entrySet()) {
        int i = index.indexOf(e.getKey());
        if (i >= 0) {
          limit[i] = e.getValue();
          any = true;
        }
      }
      if (pool.limits().milli().isEmpty()) {
        any = false;
      }
      // Resources drops zeros: a zero limit arrives as one milli-unit
      // (ApiConversions.schedulingLimits).
      limited = any;
    }

    private List<DaemonState> daemonsFor(List<DaemonSet> daemonSets) {
      List<DaemonState> out = new ArrayList<>();
      for (DaemonSet d : daemonSets) {
        if (d.getSpec() == null || d.getSpec().getTemplate() == null) {
          continue;
        }
        PodSpec spec = d.getSpec().getTemplate().getSpec();
        if (Pods.untolerated(spec.getTolerations(), pool.taints(), false) != null) {
          continue;
        }
        DaemonState s = new DaemonState(spec, index);
        if (s.requirements.compatibleWith(requirements)) {
          out.add(s);
        }
      }
      return out;
    }

    boolean fitsLimit(int t, long[] reservedOthers) {
      if (!limited) {
        return true;
      }
      for (int k = 0; k < limit.length; k++) {
        if (limit[k] >= 0 && used[k] - reservedOthers[k] + capacity[t][k] > limit[k]) {
          return false;
        }
      }
      return true;
    }

    long[] reservationOf(int t) {
      long[] r = new long[limit.length];
      for (int k = 0; k < r.length; k++) {
        if (limit[k] >= 0) {
          r[k] = capacity[t][k];
        }
      }
      return r;
    }

    String limitReason(int t, long[] reservedOthers) {
      for (int k = 0; k < limit.length; k++) {
        if (limit[k] >= 0 && used[k] - reservedOthers[k] + capacity[t][k] > limit[k]) {
          String n = index.name(k);
          return "limit " + n + "=" + Quantities.format(n, limit[k]) + " would be exceeded";
        }
      }
      return "limit would be exceeded";
    }
  }

  /** A DaemonSet's per-node requests, host ports and node requirements. */
  static final class DaemonState {
    final long[] requests;
    final List<String> hostPorts;
    final TypeMatcher requirements;

    DaemonState(PodSpec spec, ResourceIndex index) {
      requests = index.vector(Pods.requests(spec));
      hostPorts = Pods.hostPorts(spec);
      Requirements selector =
          spec.getNodeSelector() == null
              ? Requirements.NONE
              : Requirements.fromLabels(spec.getNodeSelector());
      List<Requirements> alternatives = new ArrayList<>();
      if (spec.getAffinity() != null
          && spec.getAffinity().getNodeAffinity() != null
          && spec.getAffinity()
                  .getNodeAffinity()
                  .getRequiredDuringSchedulingIgnoredDuringExecution()
              != null) {
        for (var t :
            Pods.nullSafe(
                spec.getAffinity()
                    .getNodeAffinity()
                    .getRequiredDuringSchedulingIgnoredDuringExecution()
                    .getNodeSelectorTerms())) {
          alternatives.add(selector.and(Pods.term(t)));
        }
      }
      if (alternatives.isEmpty()) {
        alternatives.add(selector);
      }
      requirements = new TypeMatcher(alternatives);
    }
  }

  /**
   * A DaemonSet's OR-ed node-selector terms (each with its nodeSelector), checked against the
   * instance-type labels only: the DaemonSet runs where any term matches.
   */
  record TypeMatcher(List<Requirements> alternatives) {
    boolean matchesLabelsPartially(Map<String, String> labels) {
      for (Requirements alt : alternatives) {
        if (matches(alt, labels)) {
          return true;
        }
      }
      return false;
    }

    private static boolean matches(Requirements req, Map<String, String> labels) {
      for (Requirement r : req.all()) {
        if (Labels.INSTANCE_TYPE_KEYS.contains(r.key()) && !r.matches(labels.get(r.key()))) {
          return false;
        }
      }
      return true;
    }

    boolean compatibleWith(Requirements pool) {
      for (Requirements alt : alternatives) {
        if (pool.incompatibility(alt) == null) {
          return true;
        }
      }
      return false;
    }
  }

  /** An existing node or in-flight NodeClaim. */
  static final class NodeState {
    final ExistingNode node;
    final String hostname;
    final long[] remaining;
    final List<String> ports = new ArrayList<>();
    final List<String> placed = new ArrayList<>();

    NodeState(ExistingNode node, long[] remaining) {
      this.node = node;
      this.hostname = node.labels().getOrDefault(Labels.HOSTNAME, node.name());
      this.remaining = remaining;
    }

    String domain(String key) {
      return key.equals(Labels.HOSTNAME) ? hostname : node.labels().get(key);
    }
  }

  /** A NodeClaim planned in this run. */
  final class Claim {
    final PoolInfo pool;
    final String hostname;
    Requirements requirements;
    int[] candidates;
    final long[] requests;
    long[] maxAlloc;
    long[] reservation;
    final List<PodState> pods = new ArrayList<>();
    final List<String> ports = new ArrayList<>();

    Claim(PoolInfo pool, Requirements requirements, int[] candidates, long[] requests) {
      this.pool = pool;
      this.hostname = "hostname-placeholder-" + (claimSeq++);
      this.requirements = requirements;
      this.requests = requests;
      ports.addAll(pool.daemonPorts);
      setCandidates(candidates);
    }

    void setCandidates(int[] c) {
      candidates = c;
      long[] max = new long[index.size()];
      java.util.Arrays.fill(max, Long.MIN_VALUE);
      for (int t : c) {
        long[] a = pool.alloc[t];
        for (int k = 0; k < max.length; k++) {
          if (a[k] > max[k]) {
            max[k] = a[k];
          }
        }
      }
      maxAlloc = max;
    }
  }

  // ---------------------------------------------------------------- setup

  void init() {
    for (Pod p : input.pendingPods()) {
      index.register(Pods.requests(p.getSpec()));
    }
    for (ExistingNode n : concat(input.nodes(), input.inFlight())) {
      index.register(n.allocatable());
      for (Pod p : n.pods()) {
        index.register(Pods.requests(p.getSpec()));
      }
    }
    for (SchedulingNodePool np : input.nodePools()) {
      index.register(np.limits());
      index.register(np.usage());
      for (InstanceType it : np.instanceTypes()) {
        index.register(it.capacity());
        index.register(it.allocatable());
      }
    }
    index.register(Resources.of("nodes", 1));
    index.register(Resources.of("pods", 1));
    index.register(Resources.of("cpu", 1));
    index.register(Resources.of("memory", 1));

    List<SchedulingNodePool> sorted = new ArrayList<>(input.nodePools());
    sorted.sort(
        Comparator.comparingInt((SchedulingNodePool p) -> -p.weight())
            .thenComparing(SchedulingNodePool::name));
    for (SchedulingNodePool np : sorted) {
      pools.add(new PoolInfo(np, input.daemonSets()));
    }

    VolumeTopology volumes = new VolumeTopology(input.volumes());
    for (Pod p : input.pendingPods()) {
      PodState s = new PodState(p, index, options.ignorePreferences());
      VolumeTopology.Answer v = volumes.of(p);
      if (v.error() != null) {
        // Karpenter ignores such pods (with an event) until their volumes exist.
        unschedulable.put(s.key, v.error());
        continue;
      }
      s.volumeRequirements(v.requirements());
      s.unboundClaims = v.unboundClaims();
      pending.add(s);
      topology.constraints(s);
    }
    List<ExistingNode> ordered = new ArrayList<>(input.nodes());
    ordered.sort(Comparator.comparing(ExistingNode::name));
    List<ExistingNode> flights = new ArrayList<>(input.inFlight());
    flights.sort(Comparator.comparing(ExistingNode::name));
    ordered.addAll(flights);
    List<PodState> bound = new ArrayList<>();
    List<NodeState> boundOn = new ArrayList<>();
    for (ExistingNode n : ordered) {
      long[] remaining = index.vector(n.allocatable());
      NodeState ns = new NodeState(n, remaining);
      for (Pod q : n.pods()) {
        PodState qs = new PodState(q, index, true);
        for (int k = 0; k < remaining.length; k++) {
          remaining[k] -= qs.requests[k];
        }
        ns.ports.addAll(qs.hostPorts);
        topology.ownedAnti(qs);
        bound.add(qs);
        boundOn.add(ns);
      }
      nodes.add(ns);
      n.labels().forEach(topology::addDomain);
      topology.addDomain(Labels.HOSTNAME, ns.hostname);
    }
    for (PoolInfo pi : pools) {
      addPoolDomains(pi);
    }
    for (int i = 0; i < bound.size(); i++) {
      PodState q = bound.get(i);
      NodeState ns = boundOn.get(i);
      Map<String, String> domains = new HashMap<>();
      for (Topology.Group g : topology.groups()) {
        String d = ns.domain(g.key);
        if (d != null) {
          domains.put(g.key, d);
        }
      }
      topology.record(q.namespace, q.labels, topology.matchedBy(q), topology.ownedAnti(q), domains);
    }
  }

  private void addPoolDomains(PoolInfo pi) {
    Requirement zone = pi.requirements.get(Labels.ZONE);
    Requirement ct = pi.requirements.get(Labels.CAPACITY_TYPE);
    for (TypeInfo t : pi.types) {
      for (Offering o : t.offerings) {
        if ((zone == null || zone.matches(o.zone()))
            && (ct == null || ct.matches(o.capacityType()))) {
          topology.addDomain(Labels.ZONE, o.zone());
          topology.addDomain(Labels.CAPACITY_TYPE, o.capacityType());
        }
      }
    }
    for (Requirement r : pi.requirements.all()) {
      if (!r.complement()
          && !r.key().equals(Labels.ZONE)
          && !r.key().equals(Labels.CAPACITY_TYPE)) {
        for (String v : r.values()) {
          topology.addDomain(r.key(), v);
        }
      }
    }
    // A topology key that is an instance-type label (kubernetes.io/arch, instance-family, ...) has
    // the values of the pool's instance types as domains, as Karpenter's topology does.
    Set<String> keys = new TreeSet<>();
    for (Topology.Group g : topology.groups()) {
      if (typeLabelKey(g.key)) {
        keys.add(g.key);
      }
    }
    for (String key : keys) {
      for (TypeInfo t : pi.types) {
        String v = t.labels.get(key);
        if (v != null) {
          topology.addDomain(key, v);
        }
      }
    }
  }

  private static boolean typeLabelKey(String key) {
    return Labels.INSTANCE_TYPE_KEYS.contains(key)
        && !key.equals(Labels.ZONE)
        && !key.equals(Labels.CAPACITY_TYPE)
        && !key.equals(Labels.HOSTNAME);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  // ---------------------------------------------------------------- solve

  void run() {
    init();
    Comparator<PodState> order =
        Comparator.comparingLong((PodState p) -> -p.cpu)
            .thenComparingLong(p -> -p.memory)
            .thenComparing(p -> p.created)
            .thenComparing(p -> p.key);
    List<PodState> sorted = new ArrayList<>(pending);
    sorted.sort(order);
    Deque<PodState> queue = new ArrayDeque<>(sorted);
    List<PodState> stuck = new ArrayList<>();
    Map<PodState, String> reasons = new IdentityHashMap<>();
    int successes = 0;
    int successesAtRetry = -1;
    while (true) {
      while (!queue.isEmpty()) {
        PodState p = queue.poll();
        String why = schedule(p);
        if (why == null) {
          successes++;
          reasons.remove(p);
          continue;
        }
        reasons.put(p, why);
        if (p.relax() != null) {
          queue.addLast(p);
        } else {
          stuck.add(p);
        }
      }
      if (stuck.isEmpty() || successes == successesAtRetry) {
        break;
      }
      // Pods whose affinity targets were placed later in the pass may fit now.
      successesAtRetry = successes;
      stuck.forEach(PodState::restartTerms);
      stuck.sort(order);
      queue.addAll(stuck);
      stuck.clear();
    }
    for (PodState p : stuck) {
      unschedulable.put(p.key, reasons.get(p));
    }
  }

  /** Places the pod; returns null on success or why it fits nowhere. */
  String schedule(PodState p) {
    if (!p.unboundClaims.isEmpty()) {
      String zone = null;
      for (String k : p.unboundClaims) {
        String z = claimZones.get(k);
        if (z != null && zone != null && !z.equals(zone)) {
          return "its unbound PersistentVolumeClaims go to different zones ("
              + zone
              + ", "
              + z
              + ")";
        }
        zone = z == null ? zone : z;
      }
      p.pinZone(zone);
    }
    for (NodeState n : nodes) {
      if (tryExisting(p, n)) {
        return null;
      }
    }
    for (Claim c : claims) {
      if (tryClaim(p, c)) {
        return null;
      }
    }
    if (pools.isEmpty()) {
      return "no NodePool";
    }
    List<String> why = new ArrayList<>();
    for (PoolInfo pi : pools) {
      String r = tryNewClaim(p, pi);
      if (r == null) {
        return null;
      }
      why.add(pi.pool.name() + ": " + r);
    }
    return String.join("; ", why);
  }

  private boolean tryExisting(PodState p, NodeState n) {
    for (int k = 0; k < p.requests.length; k++) {
      if (p.requests[k] > n.remaining[k]) {
        return false;
      }
    }
    if (Pods.untolerated(p.tolerations, n.node.taints(), !p.toleratePreferNoSchedule) != null) {
      return false;
    }
    if (!p.requirements().matchesLabels(n.node.labels())) {
      return false;
    }
    if (conflicts(p.hostPorts, n.ports)) {
      return false;
    }
    Map<String, String> domains = new HashMap<>();
    for (String key : topology.keys(p)) {
      String d = n.domain(key);
      if (d == null) {
        if (topology.constrains(p, key)) {
          return false;
        }
        continue;
      }
      if (topology
          .allowed(p, key, List.of(d), key.equals(Labels.HOSTNAME), new StringBuilder())
          .isEmpty()) {
        return false;
      }
      domains.put(key, d);
    }
    for (int k = 0; k < p.requests.length; k++) {
      n.remaining[k] -= p.requests[k];
    }
    n.ports.addAll(p.hostPorts);
    n.placed.add(p.key);
    pinClaims(p, n.node.labels().get(Labels.ZONE));
    topology.record(p.namespace, p.labels, topology.matchedBy(p), topology.ownedAnti(p), domains);
    return true;
  }

  private void pinClaims(PodState p, String zone) {
    if (zone != null) {
      for (String k : p.unboundClaims) {
        claimZones.putIfAbsent(k, zone);
      }
    }
  }

  private static boolean conflicts(List<String> mine, List<String> theirs) {
    if (mine.isEmpty() || theirs.isEmpty()) {
      return false;
    }
    for (String a : mine) {
      for (String b : theirs) {
        if (Pods.portsConflict(a, b)) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean tryClaim(PodState p, Claim c) {
    for (int k = 0; k < p.requests.length; k++) {
      if (c.requests[k] + p.requests[k] > c.maxAlloc[k]) {
        return false;
      }
    }
    if (conflicts(p.hostPorts, c.ports)) {
      return false;
    }
    if (topology.hostnameBlocked(p, c.hostname) || !hostnameAllows(p, c.hostname)) {
      return false;
    }
    if (Pods.untolerated(p.tolerations, c.pool.pool.taints(), !p.toleratePreferNoSchedule)
        != null) {
      return false;
    }
    Requirements req = c.requirements;
    Requirements podReq = p.requirements();
    if (!podReq.isEmpty()) {
      if (req.incompatibility(podReq) != null) {
        return false;
      }
      req = req.and(podReq);
    }
    // Options are re-filtered whenever the pod narrows the requirements: every option the claim
    // keeps must satisfy every pod on it.
    Placement pl =
        place(
            p,
            c.pool,
            req,
            !req.equals(c.requirements),
            c.candidates,
            c.requests,
            c.hostname,
            c.reservation);
    if (pl.reason != null) {
      return false;
    }
    commit(c, p, pl);
    return true;
  }

  /**
   * A pod's requirement on kubernetes.io/hostname holds for a planned claim only if it matches the
   * claim's own placeholder name: a node that does not exist yet is never one named in a selector.
   */
  private static boolean hostnameAllows(PodState p, String hostname) {
    Requirement h = p.requirements().get(Labels.HOSTNAME);
    return h == null || h.matches(hostname);
  }

  /** A feasible way to put a pod on a claim. */
  record Placement(
      Requirements requirements,
      int[] candidates,
      long[] reservation,
      Map<String, String> domains,
      String reason) {
    static Placement fail(String reason) {
      return new Placement(null, null, null, null, reason);
    }
  }

  private String tryNewClaim(PodState p, PoolInfo pi) {
    if (options.maxNewNodes() >= 0 && claims.size() >= options.maxNewNodes()) {
      return "no new node allowed";
    }
    Taint t = Pods.untolerated(p.tolerations, pi.pool.taints(), !p.toleratePreferNoSchedule);
    if (t != null) {
      return "taint " + Pods.describe(t) + " not tolerated";
    }
    String bad = pi.requirements.incompatibility(p.requirements());
    if (bad != null) {
      return "incompatible requirements, " + bad;
    }
    String hostname = "hostname-placeholder-" + claimSeq;
    if (!hostnameAllows(p, hostname)) {
      return "a new node cannot meet " + p.requirements().get(Labels.HOSTNAME);
    }
    if (conflicts(p.hostPorts, pi.daemonPorts)) {
      return "host port taken by a DaemonSet pod that would run on the node";
    }
    Requirements req = pi.requirements.and(p.requirements());
    int[] all = new int[pi.types.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    Placement pl = place(p, pi, req, true, all, new long[index.size()], hostname, null);
    if (pl.reason != null) {
      return pl.reason;
    }
    Claim c = new Claim(pi, pl.requirements, pl.candidates, new long[index.size()]);
    c.reservation = new long[index.size()];
    claims.add(c);
    commit(c, p, pl);
    return null;
  }

  /**
   * Narrows requirements by topology, filters instance types by requirements, resources, limits and
   * minValues.
   */
  private Placement place(
      PodState p,
      PoolInfo pi,
      Requirements req,
      boolean narrowed,
      int[] candidates,
      long[] claimRequests,
      String hostname,
      long[] oldReservation) {
    boolean fresh = oldReservation == null;
    int[] cands = candidates;
    Requirements before = req;
    Map<String, String> domains = Map.of();
    if (!topology.keys(p).isEmpty()) {
      domains = new HashMap<>();
      for (String key : topology.keys(p)) {
        List<String> options;
        if (key.equals(Labels.HOSTNAME)) {
          options = List.of(hostname);
        } else {
          options = domainOptions(pi, req, cands, key);
        }
        if (options.isEmpty()) {
          if (topology.constrains(p, key)) {
            return Placement.fail("no domain for " + key + " under requirements " + req);
          }
          continue;
        }
        StringBuilder why = new StringBuilder();
        List<String> allowed = topology.allowed(p, key, options, key.equals(Labels.HOSTNAME), why);
        if (allowed.isEmpty()) {
          return Placement.fail(why + " cannot be satisfied");
        }
        String chosen = allowed.get(0);
        domains.put(key, chosen);
        if (!key.equals(Labels.HOSTNAME) && options.size() > 1) {
          req = req.with(Requirement.in(key, chosen));
        }
      }
    }
    long[] total = ResourceIndex.plus(claimRequests, p.requests);
    boolean reqChanged = req != before || fresh || narrowed;
    int[] out = new int[cands.length];
    int n = 0;
    int compatibleCount = 0;
    int fitting = 0;
    int firstLimited = -1;
    long[] reservedOthers = null;
    if (pi.limited) {
      reservedOthers = fresh ? new long[index.size()] : oldReservation;
    }
    double ceiling = options.maxNewNodePrice();
    Requirement zone = req.get(Labels.ZONE);
    Requirement ct = req.get(Labels.CAPACITY_TYPE);
    for (int t : cands) {
      if (reqChanged && !compatible(pi.types[t], req)) {
        continue;
      }
      compatibleCount++;
      if (!fitsAll(pi.alloc[t], total)) {
        continue;
      }
      fitting++;
      if (pi.limited && !pi.fitsLimit(t, reservedOthers)) {
        if (firstLimited < 0) {
          firstLimited = t;
        }
        continue;
      }
      if (ceiling < Double.MAX_VALUE) {
        Offering o = pi.types[t].cheapest(zone, ct);
        if (o == null || o.price() >= ceiling) {
          continue;
        }
      }
      out[n++] = t;
    }
    if (n == 0) {
      if (compatibleCount == 0) {
        return Placement.fail("no instance type matches requirements " + req);
      }
      if (fitting == 0) {
        return Placement.fail(
            "no instance type has "
                + index.describeAtLeast(total)
                + " (after DaemonSet overhead) under requirements "
                + req);
      }
      if (firstLimited >= 0) {
        return Placement.fail(pi.limitReason(firstLimited, reservedOthers));
      }
      return Placement.fail("no instance type cheaper than the node it would replace");
    }
    int[] kept = java.util.Arrays.copyOf(out, n);
    Requirement zoneReq = req.get(Labels.ZONE);
    if (!p.unboundClaims.isEmpty() && (zoneReq == null || zoneReq.singleValue() == null)) {
      // The claim's volume is provisioned where this node launches: fix the zone now, so pods
      // that share the claim can follow it.
      req = req.with(Requirement.in(Labels.ZONE, launchChoice(pi, req, kept).offering().zone()));
      int m = 0;
      for (int t : kept) {
        if (compatible(pi.types[t], req)) {
          kept[m++] = t;
        }
      }
      kept = java.util.Arrays.copyOf(kept, m);
    }
    String mv = minValuesViolation(pi, req, kept);
    if (mv != null) {
      return Placement.fail(mv);
    }
    long[] reservation = null;
    if (pi.limited) {
      // The option that would launch is what counts against the limit while planning; every
      // option fits on its own, and trimToLimits() later keeps the claims' largest options
      // together under the limit.
      reservation = pi.reservationOf(launchChoice(pi, req, kept).type);
    }
    return new Placement(req, kept, reservation, domains, null);
  }

  /**
   * Whether a NodePool ahead of {@code pi} in weight order could host {@code p} on a NodeClaim of
   * its own (taints, requirements, resources, limits): then a new claim of {@code pi} holding only
   * such pods would break weight order.
   */
  boolean hostableBefore(PodState p, PoolInfo pi) {
    for (PoolInfo q : pools) {
      if (q == pi) {
        return false;
      }
      if (q.pool.weight() == pi.pool.weight()) {
        continue;
      }
      if (Pods.untolerated(p.tolerations, q.pool.taints(), !p.toleratePreferNoSchedule) != null
          || q.requirements.incompatibility(p.requirements()) != null) {
        continue;
      }
      Requirements req = q.requirements.and(p.requirements());
      long[] none = new long[index.size()];
      for (int t = 0; t < q.types.length; t++) {
        if (fitsAll(q.alloc[t], p.requests)
            && compatible(q.types[t], req)
            && (!q.limited || q.fitsLimit(t, none))) {
          return true;
        }
      }
    }
    return false;
  }

  static boolean fitsAll(long[] alloc, long[] total) {
    for (int k = 0; k < alloc.length; k++) {
      if (total[k] > alloc[k]) {
        return false;
      }
    }
    return true;
  }

  private List<String> domainOptions(PoolInfo pi, Requirements req, int[] cands, String key) {
    Requirement r = req.get(key);
    if (r != null && r.singleValue() != null) {
      // Whether an offering exists there is checked when instance types are filtered.
      return List.of(r.singleValue());
    }
    Set<String> universe;
    if (key.equals(Labels.ZONE) || key.equals(Labels.CAPACITY_TYPE)) {
      universe = offered(pi, req, cands, key);
    } else if (typeLabelKey(key)) {
      universe = new TreeSet<>();
      for (int t : cands) {
        TypeInfo ti = pi.types[t];
        String v = ti.labels.get(key);
        if (v != null && compatible(ti, req)) {
          universe.add(v);
        }
      }
    } else {
      universe = topology.universe.getOrDefault(key, Set.of());
    }
    List<String> out = new ArrayList<>();
    for (String d : universe) {
      if (r == null || r.matches(d)) {
        out.add(d);
      }
    }
    return out;
  }

  private Set<String> offered(PoolInfo pi, Requirements req, int[] cands, String key) {
    Requirement zone = req.get(Labels.ZONE);
    Requirement ct = req.get(Labels.CAPACITY_TYPE);
    Set<String> out = new TreeSet<>();
    for (int t : cands) {
      TypeInfo ti = pi.types[t];
      if (!compatibleLabels(ti, req)) {
        continue;
      }
      for (Offering o : ti.offerings) {
        if ((zone == null || zone.matches(o.zone()))
            && (ct == null || ct.matches(o.capacityType()))) {
          out.add(key.equals(Labels.ZONE) ? o.zone() : o.capacityType());
        }
      }
    }
    return out;
  }

  private void commit(Claim c, PodState p, Placement pl) {
    c.requirements = pl.requirements;
    if (pl.candidates != c.candidates) {
      c.setCandidates(pl.candidates);
    }
    ResourceIndex.addInPlace(c.requests, p.requests);
    if (c.pool.limited) {
      long[] old = c.reservation;
      for (int k = 0; k < old.length; k++) {
        c.pool.used[k] += pl.reservation[k] - old[k];
      }
      c.reservation = pl.reservation;
    }
    c.pods.add(p);
    c.ports.addAll(p.hostPorts);
    Requirement zone = c.requirements.get(Labels.ZONE);
    pinClaims(p, zone == null ? null : zone.singleValue());
    topology.record(
        p.namespace, p.labels, topology.matchedBy(p), topology.ownedAnti(p), pl.domains);
  }

  static boolean compatibleLabels(TypeInfo t, Requirements req) {
    for (Requirement r : req.all()) {
      String k = r.key();
      if (Labels.INSTANCE_TYPE_KEYS.contains(k) && !r.matches(t.labels.get(k))) {
        return false;
      }
    }
    return true;
  }

  static boolean compatible(TypeInfo t, Requirements req) {
    return compatibleLabels(t, req)
        && t.cheapest(req.get(Labels.ZONE), req.get(Labels.CAPACITY_TYPE)) != null;
  }

  private String minValuesViolation(PoolInfo pi, Requirements req, int[] cands) {
    for (Requirement r : req.all()) {
      if (r.minValues() <= 0) {
        continue;
      }
      Set<String> distinct = new TreeSet<>();
      int limit = Math.min(cands.length, MAX_INSTANCE_TYPES);
      for (int i = 0; i < limit; i++) {
        String v = pi.types[cands[i]].labels.get(r.key());
        if (v != null && r.matches(v)) {
          distinct.add(v);
        }
      }
      if (distinct.size() < r.minValues()) {
        return "minValues "
            + r.minValues()
            + " for "
            + r.key()
            + " not met (only "
            + distinct.size()
            + " among fitting instance types)";
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- result

  /**
   * Keeps each limited pool's claims together under its limits even if every claim launched its
   * largest option: claims are visited in order, and each keeps the options that fit beside the
   * options already kept before it and the launch choice of those after it. A claim whose launch
   * choice no longer fits is dropped and its pods reported.
   */
  void trimToLimits() {
    for (PoolInfo pi : pools) {
      if (!pi.limited) {
        continue;
      }
      List<Claim> mine = new ArrayList<>();
      for (Claim c : claims) {
        if (c.pool == pi) {
          mine.add(c);
        }
      }
      if (mine.isEmpty()) {
        continue;
      }
      int n = index.size();
      long[][] launch = new long[mine.size()][];
      long[] base = index.vector(pi.pool.usage());
      base[index.indexOf("nodes")] = pi.usedNodesAtStart;
      long[] after = new long[n];
      for (int i = 0; i < mine.size(); i++) {
        launch[i] =
            pi.capacity[launchChoice(pi, mine.get(i).requirements, mine.get(i).candidates).type];
        ResourceIndex.addInPlace(after, launch[i]);
      }
      long[] kept = base.clone();
      for (int i = 0; i < mine.size(); i++) {
        Claim c = mine.get(i);
        for (int k = 0; k < n; k++) {
          after[k] -= launch[i][k];
        }
        int[] fit = new int[c.candidates.length];
        int m = 0;
        long[] max = new long[n];
        for (int t : c.candidates) {
          boolean ok = true;
          for (int k = 0; k < n && ok; k++) {
            ok = pi.limit[k] < 0 || kept[k] + after[k] + pi.capacity[t][k] <= pi.limit[k];
          }
          if (ok) {
            fit[m++] = t;
            for (int k = 0; k < n; k++) {
              max[k] = Math.max(max[k], pi.capacity[t][k]);
            }
          }
        }
        if (m == 0) {
          claims.remove(c);
          for (PodState p : c.pods) {
            unschedulable.put(
                p.key, pi.pool.name() + ": " + pi.limitReason(c.candidates[0], new long[n]));
          }
          continue;
        }
        if (m < c.candidates.length) {
          c.setCandidates(java.util.Arrays.copyOf(fit, m));
        }
        ResourceIndex.addInPlace(kept, max);
      }
    }
  }

  SchedulingResult result() {
    trimToLimits();
    List<NodeClaimPlan> plans = new ArrayList<>();
    for (Claim c : claims) {
      NodeClaimPlan p = plan(c);
      if (options.explain()) {
        p = withExplanation(p, explain(c, p));
      }
      plans.add(p);
    }
    Map<String, List<String>> existing = new TreeMap<>();
    for (NodeState n : nodes) {
      if (!n.placed.isEmpty()) {
        existing.put(n.node.name(), List.copyOf(n.placed));
      }
    }
    return new SchedulingResult(plans, existing, unschedulable);
  }

  /**
   * Karpenter's exotic filter at launch: GPU, accelerator and metal types only when nothing generic
   * fits (skipped when minValues is in play).
   */
  private int[] launchable(Claim c) {
    return launchable(c.pool, c.requirements, c.candidates);
  }

  static int[] launchable(PoolInfo pi, Requirements req, int[] candidates) {
    for (Requirement r : req.all()) {
      if (r.minValues() > 0) {
        return candidates;
      }
    }
    int[] generic = new int[candidates.length];
    int n = 0;
    for (int t : candidates) {
      if (!ExoticFilter.isExotic(pi.types[t].type)) {
        generic[n++] = t;
      }
    }
    return n == 0 ? candidates : java.util.Arrays.copyOf(generic, n);
  }

  /** The instance type and offering that would launch. */
  record Launch(int type, Offering offering) {}

  /**
   * What EC2 would launch among {@code opts}: reserved, then spot, then on-demand; the cheapest
   * offering of the first capacity type any option offers.
   */
  static Launch launchChoice(PoolInfo pi, Requirements req, int[] candidates) {
    int[] opts = launchable(pi, req, candidates);
    Requirement zone = req.get(Labels.ZONE);
    Requirement ct = req.get(Labels.CAPACITY_TYPE);
    for (String capacityType : List.of(Labels.RESERVED, Labels.SPOT, Labels.ON_DEMAND)) {
      if (ct != null && !ct.matches(capacityType)) {
        continue;
      }
      Requirement only = Requirement.in(Labels.CAPACITY_TYPE, capacityType);
      Offering launch = null;
      int launchType = -1;
      for (int t : opts) {
        Offering o = pi.types[t].cheapest(zone, only);
        if (o != null && (launch == null || o.price() < launch.price())) {
          launch = o;
          launchType = t;
        }
      }
      if (launch != null) {
        return new Launch(launchType, launch);
      }
    }
    return new Launch(opts[0], pi.types[opts[0]].cheapest(zone, ct));
  }

  private static NodeClaimPlan withExplanation(NodeClaimPlan p, NodeClaimPlan.Explanation e) {
    return new NodeClaimPlan(
        p.nodePool(),
        p.instanceType(),
        p.capacityType(),
        p.zone(),
        p.pricePerHour(),
        p.instanceTypeOptions(),
        p.labels(),
        p.taints(),
        p.requirements(),
        p.requests(),
        p.pods(),
        e);
  }

  private static final int EXPLAINED_TYPES = 10;

  /** Why the claim launches what it does, and what ruled out each cheaper type of its pool. */
  NodeClaimPlan.Explanation explain(Claim c, NodeClaimPlan plan) {
    PoolInfo pi = c.pool;
    Map<InstanceType, Integer> indexOf = new IdentityHashMap<>();
    for (int i = 0; i < pi.types.length; i++) {
      indexOf.put(pi.types[i].type, i);
    }
    Set<Integer> candidates = new java.util.HashSet<>();
    for (int t : c.candidates) {
      candidates.add(t);
    }
    Set<Integer> launchable = new java.util.HashSet<>();
    for (int t : launchable(c)) {
      launchable.add(t);
    }
    List<NodeClaimPlan.RuledOut> cheaper = new ArrayList<>();
    Map<String, Integer> byCause = new TreeMap<>();
    // A type's price is its cheapest offering the NodePool allows (available or not).
    Requirement poolZone = pi.requirements.get(Labels.ZONE);
    Requirement poolCt = pi.requirements.get(Labels.CAPACITY_TYPE);
    for (InstanceType it : pi.pool.instanceTypes()) {
      double min = Double.MAX_VALUE;
      for (Offering o : it.offerings()) {
        if ((poolZone == null || poolZone.matches(o.zone()))
            && (poolCt == null || poolCt.matches(o.capacityType()))) {
          min = Math.min(min, o.price());
        }
      }
      if (min >= plan.pricePerHour() || it.name().equals(plan.instanceType())) {
        continue;
      }
      String[] why = whyNot(c, plan, it, indexOf.get(it), candidates, launchable);
      cheaper.add(new NodeClaimPlan.RuledOut(it.name(), min, why[0], why[1]));
      byCause.merge(why[0], 1, Integer::sum);
    }
    // Types the NodePool itself excludes are only counted unless nothing else was cheaper.
    cheaper.sort(
        Comparator.comparing((NodeClaimPlan.RuledOut o) -> o.cause().equals("nodepool"))
            .thenComparingDouble(NodeClaimPlan.RuledOut::pricePerHour)
            .thenComparing(NodeClaimPlan.RuledOut::instanceType));
    long others = cheaper.stream().filter(o -> !o.cause().equals("nodepool")).count();
    int shown = others > 0 ? (int) Math.min(others, EXPLAINED_TYPES) : Math.min(3, cheaper.size());
    String chosen =
        String.format(
            java.util.Locale.ROOT,
            "%s %s in %s at $%.4f/h: the cheapest compatible offering among %d option(s)%s",
            plan.instanceType(),
            plan.capacityType(),
            plan.zone(),
            plan.pricePerHour(),
            plan.instanceTypeOptions().size(),
            plan.capacityType().equals(Labels.ON_DEMAND)
                ? ""
                : " (" + plan.capacityType() + " is preferred)");
    return new NodeClaimPlan.Explanation(chosen, cheaper.subList(0, shown), byCause);
  }

  private String[] whyNot(
      Claim c,
      NodeClaimPlan plan,
      InstanceType it,
      Integer i,
      Set<Integer> candidates,
      Set<Integer> launchable) {
    PoolInfo pi = c.pool;
    TypeInfo ti = typeInfos.get(it);
    Map<String, String> labels = ti == null ? it.labels() : ti.labels;
    for (Requirement r : pi.requirements.all()) {
      if (Labels.INSTANCE_TYPE_KEYS.contains(r.key()) && !r.matches(labels.get(r.key()))) {
        return new String[] {"nodepool", "NodePool requirement " + r};
      }
    }
    for (Requirement r : c.requirements.all()) {
      if (Labels.INSTANCE_TYPE_KEYS.contains(r.key()) && !r.matches(labels.get(r.key()))) {
        return new String[] {"requirement", "requirement " + r + " of the pods"};
      }
    }
    Requirement zone = c.requirements.get(Labels.ZONE);
    Requirement ct = c.requirements.get(Labels.CAPACITY_TYPE);
    List<String> unavailable = new ArrayList<>();
    boolean offered = false;
    for (Offering o : it.offerings()) {
      if ((zone == null || zone.matches(o.zone()))
          && (ct == null || ct.matches(o.capacityType()))) {
        offered = true;
        if (!o.available()
            || input
                .unavailableOfferings()
                .contains(o.capacityType() + ":" + it.name() + ":" + o.zone())) {
          unavailable.add(o.capacityType() + "/" + o.zone());
        }
      }
    }
    if (!offered) {
      return new String[] {
        "offering", "no offering under " + (zone == null ? "" : zone + " ") + (ct == null ? "" : ct)
      };
    }
    Offering allowed = ti == null ? null : ti.cheapest(zone, ct);
    if (allowed == null) {
      return new String[] {
        "offering",
        "offering unavailable ("
            + String.join(", ", unavailable.subList(0, Math.min(3, unavailable.size())))
            + (unavailable.size() > 3 ? ", ..." : "")
            + ")"
      };
    }
    if (allowed.price() >= plan.pricePerHour()) {
      return new String[] {
        "offering",
        "cheaper only outside the claim's zone or capacity type ("
            + (zone == null ? "" : zone + " ")
            + (ct == null ? "" : ct.toString())
            + ")"
      };
    }
    if (i == null) {
      return new String[] {"requirement", "not usable in the NodePool"};
    }
    if (!fitsAll(pi.alloc[i], c.requests)) {
      long[] short_ = new long[c.requests.length];
      for (int k = 0; k < short_.length; k++) {
        short_[k] = c.requests[k] > pi.alloc[i][k] ? c.requests[k] : 0;
      }
      return new String[] {
        "resources",
        "pods did not fit: they need " + index.describeAtLeast(short_) + " after DaemonSet overhead"
      };
    }
    if (!candidates.contains(i)) {
      if (pi.limited) {
        for (int k = 0; k < pi.limit.length; k++) {
          if (pi.limit[k] >= 0
              && pi.capacity[i][k]
                  > pi.capacity[launchChoice(pi, c.requirements, c.candidates).type()][k]) {
            String n = index.name(k);
            return new String[] {
              "limit",
              "limit " + n + "=" + Quantities.format(n, pi.limit[k]) + " leaves no room for it"
            };
          }
        }
      }
      return new String[] {"options", "not among the claim's options (minValues or re-packing)"};
    }
    if (!launchable.contains(i)) {
      return new String[] {
        "exotic", "exotic type (GPU, accelerator or metal) skipped while a generic type fits"
      };
    }
    if (!allowed.capacityType().equals(plan.capacityType())) {
      return new String[] {
        "capacity-type",
        "its cheaper offering is "
            + allowed.capacityType()
            + "; "
            + plan.capacityType()
            + " is preferred"
      };
    }
    return new String[] {"options", "not among the 60 cheapest options"};
  }

  /** Orders a claim's options by price under its requirements and picks the launch offering. */
  NodeClaimPlan plan(Claim c) {
    PoolInfo pi = c.pool;
    Requirement zone = c.requirements.get(Labels.ZONE);
    Requirement ct = c.requirements.get(Labels.CAPACITY_TYPE);
    List<int[]> priced = new ArrayList<>();
    Map<Integer, Offering> cheapest = new HashMap<>();
    for (int t : launchable(c)) {
      Offering o = pi.types[t].cheapest(zone, ct);
      if (o != null) {
        cheapest.put(t, o);
        priced.add(new int[] {t});
      }
    }
    priced.sort(
        Comparator.comparingDouble((int[] a) -> cheapest.get(a[0]).price())
            .thenComparing(a -> pi.types[a[0]].name));
    List<String> names = new ArrayList<>();
    List<Integer> opts = new ArrayList<>();
    for (int i = 0; i < Math.min(MAX_INSTANCE_TYPES, priced.size()); i++) {
      opts.add(priced.get(i)[0]);
      names.add(pi.types[priced.get(i)[0]].name);
    }
    Offering launch = null;
    int launchType = -1;
    for (String capacityType : List.of(Labels.RESERVED, Labels.SPOT, Labels.ON_DEMAND)) {
      if (ct != null && !ct.matches(capacityType)) {
        continue;
      }
      Requirement only = Requirement.in(Labels.CAPACITY_TYPE, capacityType);
      for (int t : opts) {
        Offering o = pi.types[t].cheapest(zone, only);
        if (o != null && (launch == null || o.price() < launch.price())) {
          launch = o;
          launchType = t;
        }
      }
      if (launch != null) {
        break;
      }
    }
    Map<String, String> labels = new TreeMap<>(pi.pool.labels());
    labels.put(Labels.NODEPOOL, pi.pool.name());
    for (Requirement r : c.requirements.all()) {
      if (r.singleValue() != null) {
        labels.put(r.key(), r.singleValue());
      }
    }
    labels.put(Labels.ZONE, launch.zone());
    labels.put(Labels.CAPACITY_TYPE, launch.capacityType());
    labels.put(Labels.INSTANCE_TYPE, pi.types[launchType].name);
    long[] req = c.requests.clone();
    long[] alloc = index.vector(pi.types[launchType].type.allocatable());
    long[] eff = pi.alloc[launchType];
    for (int k = 0; k < req.length; k++) {
      req[k] += alloc[k] - eff[k];
    }
    List<String> podKeys = new ArrayList<>();
    for (PodState p : c.pods) {
      podKeys.add(p.key);
    }
    List<Taint> taints = new ArrayList<>(pi.pool.taints());
    taints.addAll(pi.pool.startupTaints());
    return new NodeClaimPlan(
        pi.pool.name(),
        pi.types[launchType].name,
        launch.capacityType(),
        launch.zone(),
        launch.price(),
        names,
        labels,
        taints,
        c.requirements,
        index.resources(req),
        podKeys);
  }
}
