#!/usr/bin/env bash
# Side by side with upstream Karpenter's scheduling benchmark (issue #14, item 6), reproducibly.
#
# Fetches sigs.k8s.io/karpenter through the Go module proxy, compiles its scheduling benchmark
# (pkg/controllers/provisioning/scheduling/scheduling_benchmark_test.go, build tag test_performance)
# once into a throw-away directory under the cache (upstream code is never copied into this repo),
# then runs it and ours (bin/karpenter bench scheduling) ALTERNATELY, one benchmark per process
# (upstream's benchmarks share one random generator, so a result depends on what ran before it in
# the same process), and measures pods/s, nodes and peak RSS (/usr/bin/time -v) of each. Also a
# cold first run of ours (fresh JVM, no warm-up) and, at 20,000 pods, our footprint under a few
# JVM flag sets. Writes a generated section into docs/benchmarks.md; raw results go to
# $cache/results-<timestamp>.tsv.
#
#   hack/bench-upstream.sh                 # full: 3 rounds of 1k/5k/20k + preference pods, then
#                                          # 1 round (--footprint-rounds) of JVM flag sets at 20k
#   hack/bench-upstream.sh --quick         # 1 round of 1k/5k, no preference pods, no footprint
#   hack/bench-upstream.sh --rounds 2 --sizes "1000 20000" --no-footprint --no-write
#   hack/bench-upstream.sh --report $cache/results-....tsv   # only rebuild the section from a run
#
# Needs: go (any recent; the toolchain go1.26.9 that v1.15.0 requires is fetched via GOTOOLCHAIN),
# target/karpenter.jar (./mvnw -B -q -DskipTests package), python3, GNU time (apt-get install time).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/hack/lib.sh"

version=v1.15.0
toolchain=go1.26.9
rounds=3
sizes="1000 5000 20000"
prefs=1
footprint=1
footprint_rounds=1
write=1
report=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1; sizes="1000 5000"; prefs=0; footprint=0 ;;
    --rounds) rounds=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --no-prefs) prefs=0 ;;
    --no-footprint) footprint=0 ;;
    --footprint-rounds) footprint_rounds=$2; shift ;;
    --no-write) write=0 ;;
    --version) version=$2; shift ;;
    --report) report=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

cache="${KARPENTER_CACHE:-$HOME/.cache/karpenter-java}/bench-upstream/$version"
mkdir -p "$cache"
timebin=/usr/bin/time
[ -x "$timebin" ] || { echo "error: GNU time not found; apt-get install time" >&2; exit 1; }
[ -f "$root/target/karpenter.jar" ] || { echo "error: build target/karpenter.jar first: ./mvnw -B -q -DskipTests package" >&2; exit 1; }
command -v go >/dev/null || { echo "error: go not found on PATH" >&2; exit 1; }

# --- upstream: fetch and compile once -------------------------------------------------------
testbin="$cache/scheduling.test"
pkgdir="$cache/src/pkg/controllers/provisioning/scheduling"
if [ ! -x "$testbin" ]; then
  echo ">> fetching sigs.k8s.io/karpenter@$version via the Go module proxy ($toolchain)" >&2
  moddir=$(cd "$cache" && GOTOOLCHAIN=$toolchain GOFLAGS=-mod=mod \
    go mod download -json "sigs.k8s.io/karpenter@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$cache/src"
  cp -r "$moddir" "$cache/src"
  chmod -R u+w "$cache/src"
  echo ">> compiling the scheduling benchmark (go test -c -tags test_performance)" >&2
  (cd "$cache/src" && GOTOOLCHAIN=$toolchain go test -c -tags test_performance \
    -o "$testbin" ./pkg/controllers/provisioning/scheduling/)
fi

java_bin=$(find_java)
java_opts=()
[ "$(java_major "$java_bin")" -ge 24 ] && java_opts+=(--sun-misc-unsafe-memory-access=allow)
java_version=$("$java_bin" -version 2>&1 | head -1)
go_version=$(cd "$cache/src" && GOTOOLCHAIN=$toolchain go version)

results="$cache/results-$(date -u +%Y%m%dT%H%M%SZ).tsv"
[ -n "$report" ] ||
  printf 'impl\tcase\tround\tflags\tpods\tnodes\tpods_per_s\tsolve_s\twall_s\trss_kb\tload1\n' >"$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

load1() { cut -d' ' -f1 /proc/loadavg; }
rss_kb() { sed -n 's/.*Maximum resident set size (kbytes): *//p' "$1"; }
wall_s() {
  sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$1" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'
}

# upstream <case> <round>: one benchmark in its own process.
upstream() {
  local case=$1 round=$2 bench pods
  case "$case" in
    prefs) bench=BenchmarkRespectPreferences; pods=4000 ;;
    *) bench=BenchmarkScheduling$case; pods=$case ;;
  esac
  local l; l=$(load1)
  echo ">> round $round upstream $bench (load $l)" >&2
  (cd "$pkgdir" && "$timebin" -v -o "$tmp/time" "$testbin" -test.run='^$' \
    -test.bench="^$bench\$" -test.benchtime=1x -test.count=1 -test.timeout=0) >"$tmp/out" 2>&1 || {
    cat "$tmp/out" >&2; echo "error: upstream $bench failed" >&2; exit 1; }
  # e.g. "BenchmarkScheduling1000-2  1  4612345678 ns/op  200.0 nodes  1000 pods  216.8 pods/sec"
  python3 - "$tmp/out" "$case" "$round" "$(rss_kb "$tmp/time")" "$(wall_s "$tmp/time")" "$l" >>"$results" <<'EOF'
import re, sys
out, case, rnd, rss, wall, load = sys.argv[1:]
line = next(l for l in open(out) if re.match(r"^Benchmark\S+\s+\d+\s", l))
m = dict((u, float(v)) for v, u in re.findall(r"([\d.]+) (\S+)", line))
print("upstream", case, rnd, "-", int(m["pods"]), int(m["nodes"]), m["pods/sec"],
      m["ns/op"] / 1e9, wall, rss, load, sep="\t")
EOF
}

# ours <case> <round> <label> <warmup> [jvm flags...]: one `bench scheduling` in a fresh JVM.
ours() {
  local case=$1 round=$2 label=$3 warmup=$4; shift 4
  local args
  case "$case" in
    prefs) args=(--mix preferences-upstream --pods 4000) ;;
    *) args=(--pods "$case") ;;
  esac
  local l; l=$(load1)
  echo ">> round $round ours $case [$label, warmup $warmup] (load $l)" >&2
  "$timebin" -v -o "$tmp/time" "$java_bin" "${java_opts[@]}" "$@" -jar "$root/target/karpenter.jar" \
    bench scheduling "${args[@]}" --warmup "$warmup" -o json >"$tmp/out" 2>&1 || {
    cat "$tmp/out" >&2; echo "error: bench scheduling $case failed" >&2; exit 1; }
  python3 - "$tmp/out" "$case" "$round" "$label" "$(rss_kb "$tmp/time")" "$(wall_s "$tmp/time")" "$l" >>"$results" <<'EOF'
import json, sys
out, case, rnd, label, rss, wall, load = sys.argv[1:]
r = json.loads([l for l in open(out) if l.startswith("{")][-1])
print("ours", case, rnd, label, r["pods"], r["nodes"], r["podsPerSecond"], r["seconds"], wall, rss,
      load, sep="\t")
EOF
}

footprint_runs() {
  aot="$cache/karpenter-bench.aot"
  rm -f "$aot"
  # JDK 25 one-step AOT cache training run (JEP 514); its own result is not recorded.
  "$java_bin" "${java_opts[@]}" -XX:AOTCacheOutput="$aot" -jar "$root/target/karpenter.jar" \
    bench scheduling --pods 1000 --warmup 1 -o json >/dev/null 2>&1 || rm -f "$aot"
  for round in $(seq 1 "$footprint_rounds"); do
    ours 20000 "$round" "default" 3
    ours 20000 "$round" "-Xmx512m" 3 -Xmx512m
    ours 20000 "$round" "-XX:+UseSerialGC" 3 -XX:+UseSerialGC
    ours 20000 "$round" "-XX:+UseSerialGC -Xmx512m" 3 -XX:+UseSerialGC -Xmx512m
    ours 20000 "$round" "-XX:+UseParallelGC -Xmx512m" 3 -XX:+UseParallelGC -Xmx512m
    ours 20000 "$round" "-Xmx512m -XX:+UseStringDeduplication" 3 -Xmx512m -XX:+UseStringDeduplication
    ours 20000 "$round" "-Xmx512m -XX:TieredStopAtLevel=1" 3 -Xmx512m -XX:TieredStopAtLevel=1
    ours 20000 "$round" "-Xmx512m -Xss256k -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=128m" 3 \
      -Xmx512m -Xss256k -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=128m
    ours 20000 "$round" "cold, default" 0
    ours 20000 "$round" "cold, -XX:+UseSerialGC -Xmx512m" 0 -XX:+UseSerialGC -Xmx512m
    if [ -f "$aot" ]; then
      ours 20000 "$round" "cold, AOT cache" 0 -XX:AOTCache="$aot"
      ours 1000 "$round" "cold, default" 0
      ours 1000 "$round" "cold, AOT cache" 0 -XX:AOTCache="$aot"
    fi
  done
}

if [ -z "$report" ]; then
  cases=$sizes
  [ "$prefs" = 1 ] && cases="$cases prefs"
  for round in $(seq 1 "$rounds"); do
    for c in $cases; do
      # Alternate who goes first, so a load spike does not always hit the same side.
      if [ $((round % 2)) = 1 ]; then
        upstream "$c" "$round"; ours "$c" "$round" warm 3
      else
        ours "$c" "$round" warm 3; upstream "$c" "$round"
      fi
      ours "$c" "$round" cold 0
    done
    # After the first full round, so an aborted run still has every case once (see --report).
    if [ "$round" = 1 ] && [ "$footprint" = 1 ]; then footprint_runs; fi
  done
else
  results=$report
fi

echo ">> raw results: $results" >&2
section=$(python3 - "$results" "$java_version" "$go_version" "$version" <<'EOF'
import csv, statistics, sys, datetime, platform, os
path, java_version, go_version, version = sys.argv[1:]
rows = list(csv.DictReader(open(path), delimiter="\t"))
rounds = len({r["round"] for r in rows if r["impl"] == "upstream"})
for r in rows:
    for k in ("pods", "nodes", "rss_kb"):
        r[k] = int(r[k])
    for k in ("pods_per_s", "solve_s", "wall_s", "load1"):
        r[k] = float(r[k])
med = statistics.median
def sel(impl, case, flags):
    return [r for r in rows if r["impl"] == impl and r["case"] == case and r["flags"] == flags]
def rng(v, fmt="{:,.0f}"):
    return fmt.format(med(v)) + (f" ({fmt.format(min(v))}–{fmt.format(max(v))})" if len(v) > 1 else "")
def mb(kb):
    return kb * 1024 / 1e6
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
loads = [r["load1"] for r in rows]
out = []
p = out.append
loaded = med(loads) > 4
p(f"Generated by `hack/bench-upstream.sh` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC "
  f"({rounds} round(s)). Machine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, "
  + ("shared with other builds and tests while this ran" if loaded else "otherwise quiet")
  + f": 1-minute load average {min(loads):.1f}–{max(loads):.1f} at the start of the runs (median "
  f"{med(loads):.1f}, the benchmarks' own load included). "
  + ("Absolute numbers are therefore noisy; the ratios" if loaded else "The ratios")
  + ", measured side by side in alternating order, are the figure to read.")
p("")
p(f"Upstream: `sigs.k8s.io/karpenter` {version}, `go test -c -tags test_performance` ({go_version}), each "
  f"benchmark alone in its own process: `scheduling.test -test.run='^$' -test.bench='^BenchmarkScheduling<N>$' "
  f"-test.benchtime=1x -test.timeout=0` (GOMAXPROCS = {os.cpu_count()}; upstream's Solve uses 5 goroutines). "
  f"Ours: `java -jar target/karpenter.jar bench scheduling --pods N --warmup 3 -o json` in a fresh JVM "
  f"({java_version}, default flags: G1, max heap 1/4 of RAM); *cold* is `--warmup 0`, the first Solve of a fresh JVM, "
  f"what a restarted controller sees. Preference pods: upstream `BenchmarkRespectPreferences` (4,000 pods) "
  f"against our `--mix preferences-upstream --pods 4000` (the same pod shape). pods/s is each side's own "
  f"report (upstream: pods / Solve time, setup excluded; ours: pods / `Scheduler.solve` time); peak RSS is "
  f"`/usr/bin/time -v`'s maximum resident set size of the whole process. Median over rounds, range in "
  f"parentheses; the ratio column is the median of the per-round ratios (ours / upstream).")
p("")
p("| case | upstream pods/s | ours pods/s (warm) | ratio | ours cold pods/s | cold ratio | nodes upstream / ours | upstream peak RSS MB | ours peak RSS MB (warm) | ours cold: RSS MB, process wall s |")
p("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
cases = []
for r in rows:
    if r["flags"] in ("-", "warm", "cold") and r["case"] not in cases:
        cases.append(r["case"])
cases.sort(key=lambda c: 10**9 if c == "prefs" else int(c))
NA = "not finished"
def ratio(xs, byround):
    v = [x["pods_per_s"] / byround[x["round"]]["pods_per_s"] for x in xs if x["round"] in byround]
    return f"{med(v):.0f}×" if v else "–"
def pps(xs):
    return rng([x["pods_per_s"] for x in xs]) if xs else NA
def rss(xs):
    return rng([mb(x["rss_kb"]) for x in xs]) if xs else NA
for c in cases:
    u, w, cold = sel("upstream", c, "-"), sel("ours", c, "warm"), sel("ours", c, "cold")
    byround = {r["round"]: r for r in u}
    name = "4,000 preference pods (Respect)" if c == "prefs" else f"{int(c):,} pods"
    nu = "/".join(sorted({str(x["nodes"]) for x in u})) or "–"
    no = "/".join(sorted({str(x["nodes"]) for x in w + cold})) or "–"
    coldcell = (f"{med([mb(x['rss_kb']) for x in cold]):,.0f}, {med([x['wall_s'] for x in cold]):.1f}"
                if cold else NA)
    p(f"| {name} | {pps(u)} | {pps(w)} | {ratio(w, byround)} | {pps(cold)} | {ratio(cold, byround)} | "
      f"{nu} / {no} | {rss(u)} | {rss(w)} | {coldcell} |")
fp = [r for r in rows if r["impl"] == "ours" and r["flags"] not in ("warm", "cold")]
if fp:
    up20 = sel("upstream", "20000", "-")
    p("")
    p("Footprint of `bench scheduling` under JVM flags (ours only"
      + (f"; upstream's Go benchmark at 20,000 pods: peak RSS {med([mb(x['rss_kb']) for x in up20]):,.0f} MB, "
         f"{med([x['pods_per_s'] for x in up20]):,.0f} pods/s, from the table above" if up20 else "")
      + "). Warm rows: 3 warm-up Solves, then the measured one; cold rows: the first Solve of a fresh JVM. "
        "Process wall time includes JVM start, building the 20,000 pods and all Solves. AOT cache: JDK 25 "
        "`-XX:AOTCache` from a one-step training run (`-XX:AOTCacheOutput`, `bench scheduling --pods 1000`).")
    p("")
    p("| pods | JVM flags | pods/s | peak RSS MB | process wall s |")
    p("|---:|---|---:|---:|---:|")
    labels = []
    for r in fp:
        if (r["case"], r["flags"]) not in labels:
            labels.append((r["case"], r["flags"]))
    for c, f in labels:
        v = [r for r in fp if r["case"] == c and r["flags"] == f]
        p(f"| {int(c):,} | `{f}` | {rng([x['pods_per_s'] for x in v])} | {rng([mb(x['rss_kb']) for x in v])} | "
          f"{rng([x['wall_s'] for x in v], '{:.1f}')} |")
print("\n".join(out))
EOF
)
echo "$section"
if [ "$write" = 1 ]; then
  printf '%s\n' "$section" >"$tmp/section"
  python3 - "$root/docs/benchmarks.md" "$tmp/section" <<'EOF'
import sys
doc, section = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
begin = "<!-- BEGIN generated by hack/bench-upstream.sh; do not edit by hand -->"
end = "<!-- END generated by hack/bench-upstream.sh -->"
text = open(doc).read()
block = begin + "\n" + section + "\n" + end
if begin in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    text = text.rstrip("\n") + "\n\n## Side by side with upstream (generated)\n\n" + block + "\n"
open(doc, "w").write(text)
EOF
  echo ">> wrote docs/benchmarks.md" >&2
fi
