#!/usr/bin/env bash
# Soak (issue #14 item 4): `karpenter controller` (the packaged jar, simulated cloud) on a private local
# control plane for MINUTES (default 30) while three Deployments scale up and down every minute; every
# 20 s it samples the controller's RSS (VmRSS), its live heap (jcmd GC.class_histogram: the objects left after a full GC),
# threads, the pods not yet placed and the NodeClaims without a Node (the autoscaler's backlog), and counts
# ERROR log lines. At the end it prints the samples, a verdict per series (flat or growing: the median of the
# last third against the first third after the first two minutes) and exits 1 when something grew or an
# ERROR was logged. Not run in CI (it takes the whole time by design).
#   hack/soak.sh [minutes]
# Env: KARPENTER_JAVA_OPTS (controller JVM flags, default the chart's: -XX:+UseSerialGC -Xmx192m), SOAK_OUT (directory
# for samples.tsv and controller.log, default a temp dir), SOAK_MAX_REPLICAS (default 60 per Deployment).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
minutes=${1:-30}
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -ge 3 ] || die "usage: hack/soak.sh [minutes >= 3] (got '$minutes')"
root=$(cd "$here/.." && pwd)
jar=$root/target/karpenter.jar
[ -f "$jar" ] || die "$jar not found; build it with ./mvnw -B -q -DskipTests package"
java_bin=$(find_java)
jcmd_bin=$(dirname "$java_bin")/jcmd
[ -x "$jcmd_bin" ] || die "jcmd not found next to $java_bin (a JDK is needed for the heap samples)"
kubectl=$(ensure_kubectl)
out=${SOAK_OUT:-$(mktemp -d /tmp/karpenter-soak-XXXXXX)}
mkdir -p "$out"
max=${SOAK_MAX_REPLICAS:-60}
export KARPENTER_CLUSTER_DIR=$(mktemp -d /tmp/karpenter-soak-cluster-XXXXXX)
controller_pid=
cleanup() {
  [ -n "$controller_pid" ] && kill "$controller_pid" 2>/dev/null && wait "$controller_pid" 2>/dev/null || true
  "$here/local-cluster.sh" down >/dev/null 2>&1 || true
  rm -rf "$KARPENTER_CLUSTER_DIR"
}
trap cleanup EXIT
log "starting a local control plane ($KARPENTER_CLUSTER_DIR)"
eval "$("$here/local-cluster.sh" up | tail -1)"
k() { "$kubectl" --kubeconfig "$KUBECONFIG" "$@"; }
k apply -f "$root/crds/" >/dev/null
k wait --for condition=established --timeout=60s crd --all >/dev/null
k apply -f "$root/docs/examples/companion/ec2nodeclasses.yaml" >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: soak
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge, m5.2xlarge, c5.xlarge]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand, spot]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  limits:
    cpu: "400"
EOF
k create namespace soak >/dev/null
until k -n soak get serviceaccount default >/dev/null 2>&1; do sleep 0.5; done
for d in web:250m:256Mi worker:1:1Gi batch:500m:2Gi; do
  IFS=: read -r name cpu mem <<<"$d"
  k -n soak apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name}
spec:
  replicas: 0
  selector: {matchLabels: {app: $name}}
  template:
    metadata: {labels: {app: $name}}
    spec:
      nodeSelector: {karpenter.sh/nodepool: soak}
      terminationGracePeriodSeconds: 0
      containers:
        - name: app
          image: registry.k8s.io/pause:3.10
          resources: {requests: {cpu: "$cpu", memory: $mem}}
EOF
done
metrics_port=$(free_port)
# Default flags: the chart's default heap and collector for a 256 MiB container (helm/karpenter/values.yaml).
opts=${KARPENTER_JAVA_OPTS:-"-XX:+UseSerialGC -Xmx192m -XX:+ExitOnOutOfMemoryError"}
log "starting the controller (JVM flags: ${opts:-none}; log $out/controller.log)"
# shellcheck disable=SC2086
"$java_bin" --sun-misc-unsafe-memory-access=allow $opts -jar "$jar" controller --kubeconfig "$KUBECONFIG" \
  --metrics-port "$metrics_port" --health-probe-port -1 --boot-delay 2s >"$out/controller.log" 2>&1 &
controller_pid=$!
until curl -sf "http://127.0.0.1:$metrics_port/readyz" >/dev/null 2>&1; do
  kill -0 "$controller_pid" 2>/dev/null || die "the controller exited; see $out/controller.log"
  sleep 1
done
sample() { # elapsed_s -> one TSV line
  local rss threads heap pending nodeclaims nodes unregistered errors
  rss=$(awk '/^VmRSS:/{print int($2/1024)}' "/proc/$controller_pid/status")
  threads=$(awk '/^Threads:/{print $2}' "/proc/$controller_pid/status")
  # GC.class_histogram runs a full GC first: its total is the live heap.
  heap=$("$jcmd_bin" "$controller_pid" GC.class_histogram | awk '$1=="Total"{print int($3/1048576)}')
  pending=$(k -n soak get pods --field-selector=spec.nodeName= --no-headers 2>/dev/null | wc -l)
  nodeclaims=$(k get nodeclaims --no-headers 2>/dev/null | wc -l)
  nodes=$(k get nodes --no-headers 2>/dev/null | wc -l)
  errors=$(grep -c ' ERROR ' "$out/controller.log" || true)
  echo -e "$1\t$rss\t$heap\t$threads\t$pending\t$nodeclaims\t$nodes\t$errors"
}
echo -e "seconds\trss_mib\theap_live_mib\tthreads\tunplaced_pods\tnodeclaims\tnodes\terror_lines" >"$out/samples.tsv"
log "soaking for $minutes minutes: every minute each Deployment scales to a random 0..$max replicas; samples every 20 s"
start=$(date +%s)
RANDOM=42
minute=0
while [ $(( $(date +%s) - start )) -lt $(( minutes * 60 )) ]; do
  if [ $(( $(date +%s) - start )) -ge $(( minute * 60 )) ]; then
    sizes=()
    for name in web worker batch; do
      # Alternate: odd minutes scale up (half to all of max), even minutes down (0 to a quarter).
      if [ $((minute % 2)) -eq 0 ]; then r=$(( max / 2 + RANDOM % (max / 2 + 1) )); else r=$(( RANDOM % (max / 4 + 1) )); fi
      k -n soak scale deployment "$name" --replicas "$r" >/dev/null
      sizes+=("$name=$r")
    done
    log "minute $minute: ${sizes[*]}"
    minute=$((minute + 1))
  fi
  kill -0 "$controller_pid" 2>/dev/null || die "the controller exited; see $out/controller.log"
  line=$(sample $(( $(date +%s) - start )))
  echo "$line" >>"$out/samples.tsv"
  sleep 20
done
log "done; samples in $out/samples.tsv"
python3 - "$out/samples.tsv" "$minutes" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("\t".join(rows[0].keys()) if rows else "no samples")
for r in rows:
    print("\t".join(r.values()))
rows = [r for r in rows if int(r["seconds"]) >= 120] or rows
third = max(1, len(rows) // 3)
verdicts, bad = [], False
# Growth allowance: 10 % plus a small absolute margin (a GC sample's noise, a few more threads).
for col, slack in (("rss_mib", 16), ("heap_live_mib", 8), ("threads", 4)):
    first = statistics.median(int(r[col]) for r in rows[:third])
    last = statistics.median(int(r[col]) for r in rows[-third:])
    grew = last > first * 1.10 + slack
    bad |= grew
    verdicts.append(f"{col}: {first:.0f} -> {last:.0f} ({'GROWING' if grew else 'flat'})")
backlog = [int(r["unplaced_pods"]) for r in rows]
first = statistics.median(backlog[:third]); last = statistics.median(backlog[-third:])
grew = last > first + 10
bad |= grew
verdicts.append(f"unplaced_pods (median per sample): {first:.0f} -> {last:.0f} ({'GROWING' if grew else 'flat'})")
errors = int(rows[-1]["error_lines"]) if rows else 0
bad |= errors > 0
verdicts.append(f"ERROR log lines: {errors}")
print(f"verdict after {sys.argv[2]} minutes: " + "; ".join(verdicts) + (" => NOT FLAT" if bad else " => FLAT"))
sys.exit(1 if bad else 0)
EOF
