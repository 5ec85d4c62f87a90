#!/usr/bin/env bash
# Controller footprint (issue #14 item 5): `karpenter controller` (the packaged jar, simulated cloud) on a private
# local control plane holding NODES Nodes and PODS pods bound to them (created directly, 10 per node, so the
# cluster fills in minutes), for each JVM flag set given: RSS and heap idle (after 60 s), then during a burst of
# BURST pending pods that the controller provisions NodeClaims for. Prints one row per flag set.
#   hack/footprint.sh ["<jvm flags>" ...]        (default: one run with the chart's flags)
# Env: FOOTPRINT_NODES (1000), FOOTPRINT_PODS (10000), FOOTPRINT_BURST (500), FOOTPRINT_OUT (logs, default temp dir),
#      FOOTPRINT_JAR (default target/karpenter.jar), FOOTPRINT_KUBECONFIG (a cluster this script filled before: skip
#      starting and filling one).
# Columns: RSS MiB (VmRSS), live heap MiB (jcmd GC.class_histogram, i.e. after a full GC), heap used MiB (jcmd
# GC.heap_info, sampled every 2 s: the peak), VmHWM (the process's peak RSS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
root=$(cd "$here/.." && pwd)
jar=${FOOTPRINT_JAR:-$root/target/karpenter.jar}
[ -f "$jar" ] || die "$jar not found; build it with ./mvnw -B -q -DskipTests package"
java_bin=$(find_java)
jcmd_bin=$(dirname "$java_bin")/jcmd
kubectl=$(ensure_kubectl)
nodes=${FOOTPRINT_NODES:-1000}
pods=${FOOTPRINT_PODS:-10000}
burst=${FOOTPRINT_BURST:-500}
out=${FOOTPRINT_OUT:-$(mktemp -d /tmp/karpenter-footprint-XXXXXX)}
mkdir -p "$out"
[ $# -gt 0 ] || set -- "-XX:+UseSerialGC -Xmx192m"
controller_pid=
k() { "$kubectl" --kubeconfig "$KUBECONFIG" "$@"; }
if [ -n "${FOOTPRINT_KUBECONFIG:-}" ]; then
  export KUBECONFIG=$FOOTPRINT_KUBECONFIG
  trap '[ -n "$controller_pid" ] && kill "$controller_pid" 2>/dev/null || true' EXIT
  log "reusing the filled cluster of $KUBECONFIG"
else
export KARPENTER_CLUSTER_DIR=$(mktemp -d /tmp/karpenter-footprint-cluster-XXXXXX)
cleanup() {
  [ -n "$controller_pid" ] && kill "$controller_pid" 2>/dev/null && wait "$controller_pid" 2>/dev/null || true
  "$here/local-cluster.sh" down >/dev/null 2>&1 || true
  rm -rf "$KARPENTER_CLUSTER_DIR"
}
trap cleanup EXIT
log "starting a local control plane ($KARPENTER_CLUSTER_DIR)"
eval "$("$here/local-cluster.sh" up | tail -1)"
k apply -f "$root/crds/" >/dev/null
k wait --for condition=established --timeout=60s crd --all >/dev/null
k apply -f "$root/docs/examples/companion/ec2nodeclasses.yaml" >/dev/null
k apply -f - >/dev/null <<EOF
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: footprint
spec:
  template:
    spec:
      requirements:
        - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge, m5.2xlarge]}
        - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
EOF
k create namespace fill >/dev/null
k create namespace burst >/dev/null
until k -n fill get serviceaccount default >/dev/null 2>&1 && k -n burst get serviceaccount default >/dev/null 2>&1; do sleep 0.5; done
log "creating $nodes Nodes and $pods pods bound to them"
python3 - "$out" "$nodes" "$pods" <<'EOF'
import json, sys
out, nodes, pods = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
chunks = 8
node_docs = [[] for _ in range(chunks)]
for i in range(nodes):
    name = f"ip-10-0-{i // 250}-{i % 250}.ec2.internal"
    node_docs[i % chunks].append({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "m5.2xlarge", "topology.kubernetes.io/zone": zones[i % 3],
            "topology.kubernetes.io/region": "us-east-1", "eks.amazonaws.com/nodegroup": "fill"}},
        "spec": {"providerID": f"aws:///{zones[i % 3]}/i-{i:017x}"},
        "status": {"capacity": {"cpu": "8", "memory": "32329416Ki", "pods": "58", "ephemeral-storage": "20959212Ki"},
                   "allocatable": {"cpu": "7910m", "memory": "31312584Ki", "pods": "58", "ephemeral-storage": "19316009748"},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
                   "nodeInfo": {"kubeletVersion": "v1.33.13", "containerRuntimeVersion": "containerd://1.7.27",
                                "osImage": "Amazon Linux 2023", "kernelVersion": "6.1.0", "architecture": "amd64",
                                "operatingSystem": "linux", "machineID": "", "systemUUID": "", "bootID": "",
                                "kubeProxyVersion": ""}}})
pod_docs = [[] for _ in range(chunks)]
apps = ["api", "web", "worker", "cache", "batch"]
for j in range(pods):
    i = j % nodes
    app = apps[j % len(apps)]
    pod_docs[j % chunks].append({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"{app}-{j}", "namespace": "fill",
                     "labels": {"app": app, "pod-template-hash": "5d8f7c9b6", "team": "t" + str(j % 7)}},
        "spec": {"nodeName": f"ip-10-0-{i // 250}-{i % 250}.ec2.internal", "terminationGracePeriodSeconds": 30,
                 "containers": [{"name": "app", "image": f"registry.example.com/{app}:1.2.3",
                                 "ports": [{"containerPort": 8080}],
                                 "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "APP", "value": app}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}})
for c in range(chunks):
    json.dump({"apiVersion": "v1", "kind": "List", "items": node_docs[c]}, open(f"{out}/nodes-{c}.json", "w"))
    json.dump({"apiVersion": "v1", "kind": "List", "items": pod_docs[c]}, open(f"{out}/pods-{c}.json", "w"))
EOF
t0=$(date +%s)
for f in "$out"/nodes-*.json; do k create -f "$f" >/dev/null & done; wait
for f in "$out"/pods-*.json; do k create -f "$f" >/dev/null & done; wait
log "filled in $(( $(date +%s) - t0 )) s: $(k get nodes --no-headers | wc -l) nodes, $(k -n fill get pods --no-headers | wc -l) pods"
fi
rss() { awk '/^VmRSS:/{print int($2/1024)}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM:/{print int($2/1024)}' "/proc/$1/status"; }
live() { "$jcmd_bin" "$1" GC.class_histogram | awk '$1=="Total"{print int($3/1048576)}'; }
used() { "$jcmd_bin" "$1" GC.heap_info | awk '/ total .*, used /{for(i=1;i<=NF;i++) if($i=="used"){v=$(i+1); sub(/K,?$/,"",v); s+=v}} END{print int(s/1024)}'; }
printf '%s\n' "| JVM flags | idle RSS MiB | idle live heap MiB | burst: peak RSS (VmHWM) MiB | burst: peak heap used MiB | after burst: live heap MiB | NodeClaims | burst s |" \
  "|---|---:|---:|---:|---:|---:|---:|---:|" >"$out/table.md"
run=0
for flags in "$@"; do
  run=$((run + 1))
  port=$(free_port)
  log "run $run: controller with '$flags'"
  # shellcheck disable=SC2086
  "$java_bin" --sun-misc-unsafe-memory-access=allow $flags -jar "$jar" controller --kubeconfig "$KUBECONFIG" \
    --metrics-port "$port" --health-probe-port -1 --boot-delay 1s >"$out/controller-$run.log" 2>&1 &
  controller_pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "$controller_pid" 2>/dev/null || die "the controller exited; see $out/controller-$run.log"
    sleep 1
  done
  sleep 60
  idle_rss=$(rss "$controller_pid"); idle_live=$(live "$controller_pid")
  log "idle: RSS $idle_rss MiB, live heap $idle_live MiB"
  k -n burst apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: burst}
spec:
  replicas: $burst
  selector: {matchLabels: {app: burst}}
  template:
    metadata: {labels: {app: burst}}
    spec:
      nodeSelector: {karpenter.sh/nodepool: footprint}
      terminationGracePeriodSeconds: 0
      containers:
        - {name: app, image: registry.k8s.io/pause:3.10, resources: {requests: {cpu: 500m, memory: 256Mi}}}
EOF
  b0=$(date +%s); peak_used=0
  while [ $(( $(date +%s) - b0 )) -lt 900 ]; do
    u=$(used "$controller_pid"); [ "$u" -gt "$peak_used" ] && peak_used=$u
    unbound=$(k -n burst get pods --field-selector=spec.nodeName= --no-headers 2>/dev/null | wc -l)
    total=$(k -n burst get pods --no-headers 2>/dev/null | wc -l)
    [ "$total" -ge "$burst" ] && [ "$unbound" -eq 0 ] && break
    sleep 2
  done
  burst_s=$(( $(date +%s) - b0 ))
  peak_rss=$(hwm "$controller_pid"); after_live=$(live "$controller_pid")
  claims=$(k get nodeclaims --no-headers | wc -l)
  log "burst: ${burst_s} s, peak RSS $peak_rss MiB, peak heap used $peak_used MiB, live after $after_live MiB, $claims NodeClaims"
  echo "| \`$flags\` | $idle_rss | $idle_live | $peak_rss | $peak_used | $after_live | $claims | $burst_s |" >>"$out/table.md"
  k -n burst delete deployment burst --wait=false >/dev/null
  until [ "$(k -n burst get pods --no-headers 2>/dev/null | wc -l)" -eq 0 ]; do sleep 2; done
  k delete nodeclaims --all --wait=false >/dev/null 2>&1 || true
  until [ "$(k get nodeclaims --no-headers 2>/dev/null | wc -l)" -eq 0 ]; do sleep 2; done
  kill "$controller_pid"; wait "$controller_pid" 2>/dev/null || true; controller_pid=
  until [ "$(k get nodes --no-headers | wc -l)" -le "$nodes" ]; do sleep 2; done
done
echo "Machine: $(nproc) cores, $(awk '/MemTotal/{print int($2/1048576)}' /proc/meminfo) GiB, load average $(cut -d' ' -f1-3 /proc/loadavg); $nodes nodes, $pods pods bound, burst of $burst pending pods"
cat "$out/table.md"
