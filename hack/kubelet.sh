#!/usr/bin/env bash
# The real node of `hack/local-cluster.sh up --with-kubelet` (called by it; not meant to be run alone):
# Debian's containerd + runc (cgroupfs driver, overlayfs, CNI bridge kj0 10.244.0.0/24) and a kubelet
# built from the Go module proxy (hack/provision-kubelet.sh), registered as Node karpenter-local-kubelet.
#   hack/kubelet.sh up STATE_DIR KUBECTL | down STATE_DIR | status STATE_DIR | running STATE_DIR
# Without kube-proxy, pods reach the API server through one NAT rule that does what kube-proxy does for the
# `kubernetes` Service: 10.0.0.1:443 -> the API server on loopback. Everything lives in STATE_DIR/{containerd,
# kubelet,cni}; `down` removes the pods' sandboxes, mounts, network namespaces, bridge, NAT rule and cgroups.
# Needs root (containerd, network namespaces). Env: KARPENTER_KUBELET_NODE (node name).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

cmd=${1:?usage: $0 up|down|status|running STATE_DIR}
state=$(cd "${2:?state dir}" && pwd)
node=${KARPENTER_KUBELET_NODE:-karpenter-local-kubelet}
bridge=kj0 subnet=10.244.0.0/24 gateway=10.244.0.1
ctrd=$state/containerd
sock=$ctrd/containerd.sock
pki=$state/pki
pause_image=karpenter-java.local/pause:3.10

pid_of() { cat "$state/pids/$1.pid" 2>/dev/null || true; }
alive() { pid_matches "$(pid_of "$1")" "$state/"; }
port_of() { cat "$state/ports/$1" 2>/dev/null || true; }
ctr_() { ctr -a "$sock" -n k8s.io "$@"; }
nat_rule() { echo "PREROUTING -i $bridge -d 10.0.0.1/32 -p tcp --dport 443 -j DNAT --to-destination 127.0.0.1:$1"; }

start() {
  local c=$1; shift
  setsid "$@" </dev/null >"$state/logs/$c.log" 2>&1 9>&- &
  echo $! > "$state/pids/$c.pid"
}

wait_for() {
  local c=$1 what=$2; shift 2
  for _ in $(seq 1 900); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$c" || die "$c exited during startup; last log lines:
$(tail -n 15 "$state/logs/$c.log")"
    sleep 0.2
  done
  die "$c: $what not reached within 180 s; see $state/logs/$c.log"
}

preflight() {
  [ "$(id -u)" = 0 ] || die "--with-kubelet needs root (containerd, network namespaces, cgroups)"
  local bin_dir=${KARPENTER_K8S_BIN_DIR:-$(k8s_bin_dir)} missing=()
  KUBELET=${KARPENTER_KUBELET:-$bin_dir/kubelet}
  [ -x "$KUBELET" ] || missing+=("kubelet ($KUBELET)")
  for b in containerd ctr runc ip iptables; do command -v $b >/dev/null || missing+=("$b"); done
  CNI_BIN=/usr/lib/cni; [ -x $CNI_BIN/bridge ] || CNI_BIN=/opt/cni/bin
  [ -x $CNI_BIN/bridge ] && [ -x $CNI_BIN/host-local ] && [ -x $CNI_BIN/loopback ] || missing+=("CNI plugins (Debian containernetworking-plugins)")
  command -v go >/dev/null || [ -f "$state/pause/pause" ] || [ -x "$CACHE/pause/pause" ] || missing+=("go (builds the pause binary)")
  [ ${#missing[@]} = 0 ] || die "missing for --with-kubelet: ${missing[*]}; run hack/provision.sh kubelet"
  local owner; owner=$(cat "/run/karpenter-java-$bridge.owner" 2>/dev/null || true)
  if ip link show "$bridge" >/dev/null 2>&1 && [ "$owner" != "$state" ] && { [ -z "$owner" ] || [ ! -d "$owner" ]; }; then
    # Left by a run that was killed and whose directory is gone: nothing can stop it any more.
    log "removing the stale bridge $bridge of ${owner:-an unknown cluster} and its NAT rules"
    iptables -t nat -S PREROUTING 2>/dev/null | grep -- "-i $bridge " | sed 's/^-A /-D /' \
      | while read -r rule; do iptables -t nat $rule 2>/dev/null || true; done
    ip link del "$bridge" 2>/dev/null || true
    rm -f "/run/karpenter-java-$bridge.owner"
  fi
  if ip link show "$bridge" >/dev/null 2>&1 && [ "$(cat "/run/karpenter-java-$bridge.owner" 2>/dev/null)" != "$state" ]; then
    die "bridge $bridge exists and belongs to another --with-kubelet cluster ($(cat "/run/karpenter-java-$bridge.owner" 2>/dev/null || echo unknown)); stop it with KARPENTER_CLUSTER_DIR=<its dir> hack/local-cluster.sh down"
  fi
}

# The pod sandbox image: a static Go pause (hack/pause), as a one-layer OCI archive.
pause_archive() {
  local out=$CACHE/pause/pause.oci.tar
  if [ ! -f "$out" ]; then
    mkdir -p "$CACHE/pause/rootfs"
    (cd "$here/pause" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -trimpath -ldflags '-s -w' -o "$CACHE/pause/rootfs/pause" .) >&2
    python3 "$here/oci-image.py" --rootfs "$CACHE/pause/rootfs" --name "$pause_image" --out "$out.tmp" \
      --entrypoint '["/pause"]' --user 65535:65535 >/dev/null
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

kubelet_cert() {
  [ -f "$pki/kubelet.crt" ] && return
  (
    cd "$pki"
    openssl req -newkey rsa:2048 -nodes -keyout kubelet.key -out kubelet.csr -subj "/O=system:nodes/CN=system:node:$node"
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > kubelet.ext
    openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out kubelet.crt -extfile kubelet.ext
  ) >"$state/logs/openssl-kubelet.log" 2>&1 || die "openssl failed; see $state/logs/openssl-kubelet.log"
}

up() {
  local kubectl=${1:?kubectl}
  preflight
  mkdir -p "$ctrd" "$state/kubelet" "$state/cni/net.d" "$state/cni/ipam" "$state/pids" "$state/ports" "$state/logs"
  for p in kubelet kubelet-healthz; do free_port > "$state/ports/$p"; done
  local api_port; api_port=$(port_of kube-apiserver)

  # Network: the bridge with the pods' gateway (also the node's InternalIP), and the `kubernetes` Service NAT.
  echo "$state" > "/run/karpenter-java-$bridge.owner"
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  ip addr replace "$gateway/24" dev "$bridge"
  ip link set "$bridge" up
  sysctl -qw "net.ipv4.conf.$bridge.route_localnet=1"
  # shellcheck disable=SC2046
  iptables -t nat -C $(nat_rule "$api_port") 2>/dev/null || iptables -t nat -A $(nat_rule "$api_port")
  echo "$api_port" > "$state/ports/kubelet-nat"
  cat > "$state/cni/net.d/10-kj.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "karpenter-local", "plugins": [
  {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$state/cni/ipam", "ranges": [[{"subnet": "$subnet", "gateway": "$gateway"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "loopback"}]}
JSON

  cat > "$ctrd/config.toml" <<TOML
version = 2
root = "$ctrd/root"
state = "$ctrd/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$ctrd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$here/runc-clamp-oom.sh"
        Root = "$ctrd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$state/cni/net.d"
TOML
  start containerd containerd --config "$ctrd/config.toml"
  wait_for containerd "its socket" ctr -a "$sock" version
  ctr_ images import "$(pause_archive)" >/dev/null
  # Images built by hack/image.sh are loaded into this containerd as well, when present.
  [ -f "$here/../target/image/controller.oci.tar" ] && ctr_ images import "$here/../target/image/controller.oci.tar" >/dev/null

  kubelet_cert
  cat > "$state/kubelet/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$pki/ca.crt"}
users:
- name: kubelet
  user: {client-certificate: "$pki/kubelet.crt", client-key: "$pki/kubelet.key"}
contexts:
- name: local
  context: {cluster: local, user: kubelet}
current-context: local
YAML
  cat > "$state/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
address: $gateway
port: $(port_of kubelet)
healthzBindAddress: 127.0.0.1
healthzPort: $(port_of kubelet-healthz)
readOnlyPort: 0
makeIPTablesUtilChains: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
resolvConf: /etc/resolv.conf
podCIDR: $subnet
maxPods: 30
# A shared build machine: never evict for disk or image space, never collect images mid-test.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
registerWithTaints:
  - {key: CriticalAddonsOnly, value: "true", effect: NoSchedule}
YAML
  start kubelet "$KUBELET" --config "$state/kubelet/config.yaml" --kubeconfig "$state/kubelet/kubeconfig" \
    --root-dir "$state/kubelet/root" --cert-dir "$state/kubelet/pki" --hostname-override "$node" \
    --node-ip "$gateway" --node-labels "topology.kubernetes.io/zone=local-a,kubernetes.io/os=linux" --v=1
  wait_for kubelet "/healthz" curl -fs "http://127.0.0.1:$(port_of kubelet-healthz)/healthz"
  wait_for kubelet "Node $node Ready" sh -c "'$kubectl' --kubeconfig '$state/kubeconfig' get node '$node' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
  log "node $node Ready (kubelet $("$KUBELET" --version | awk '{print $2}'), $(containerd --version | awk '{print $3}'), pods on $subnet)"
}

down() {
  local kubectl=$CACHE/bin/kubectl
  # Let the kubelet tear the pods down through the CRI (sandboxes, network namespaces, IPs): cordon, delete.
  if alive kubelet && [ -x "$kubectl" ] && [ -f "$state/kubeconfig" ]; then
    local kc=(--kubeconfig "$state/kubeconfig" --request-timeout=5s)
    "$kubectl" "${kc[@]}" cordon "$node" >/dev/null 2>&1 || true
    "$kubectl" "${kc[@]}" delete pods -A --field-selector "spec.nodeName=$node" --force --grace-period=0 --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do
      [ -z "$(ctr_ tasks ls -q 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  stop kubelet
  if alive containerd; then
    local t
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
    sleep 0.5
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1 || true; done
    for t in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$t" >/dev/null 2>&1 || true; done
  fi
  stop containerd
  # Shims whose containerd is gone, then what the CRI would have removed.
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $sock" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
  local ns
  for m in $(awk -v s="$state/" 'index($2, s) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}'); do
    # Only namespaces no process uses any more (the sandboxes of this node are gone by now).
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && ip netns del "$ns" 2>/dev/null || true
  done
  if [ -f "$state/ports/kubelet-nat" ]; then
    # shellcheck disable=SC2046
    iptables -t nat -D $(nat_rule "$(cat "$state/ports/kubelet-nat")") 2>/dev/null || true
    rm -f "$state/ports/kubelet-nat"
  fi
  if [ "$(cat "/run/karpenter-java-$bridge.owner" 2>/dev/null)" = "$state" ]; then
    ip link del "$bridge" 2>/dev/null || true
    rm -f "/run/karpenter-java-$bridge.owner"
  fi
  # The kubelet's pod cgroups (cgroupfs driver), leaves first; only when no kubelet is left on the machine.
  if ! pgrep -x kubelet >/dev/null; then
    find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} \; 2>/dev/null || true
  fi
  rm -rf "$ctrd" "$state/kubelet" "$state/cni"
}

stop() {
  local c=$1 pid; pid=$(pid_of "$c")
  if alive "$c"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$c" || break; sleep 0.1; done
    if alive "$c"; then kill -9 "$pid" 2>/dev/null || true; fi
    log "stopped $c (pid $pid)"
  fi
  rm -f "$state/pids/$c.pid"
}

status() {
  local ok=0 c
  for c in containerd kubelet; do
    if alive "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: stopped"; ok=1; fi
  done
  return $ok
}

case $cmd in
  up) up "${3:?kubectl}" ;;
  down) down ;;
  status) status ;;
  running) alive containerd && alive kubelet ;;
  *) die "usage: $0 up|down|status|running STATE_DIR" ;;
esac
