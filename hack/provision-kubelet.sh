#!/usr/bin/env bash
# Builds kubelet from the Go module proxy (the same wrapper module as hack/provision-k8s.sh) and installs
# Debian's containerd, runc and CNI plugins, so that `hack/local-cluster.sh up --with-kubelet` can run a real
# node. Idempotent, cached, serialised with flock.
# Env: K8S_VERSION, KARPENTER_CACHE, KARPENTER_KUBELET (use an existing kubelet binary instead of building).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

K8S_VERSION=${K8S_VERSION:-$DEFAULT_K8S_VERSION}
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
bin_dir=$(k8s_bin_dir)
mkdir -p "$CACHE" "$bin_dir"
exec 9>"$CACHE/.provision-kubelet.lock"
flock 9

if [ -n "${KARPENTER_KUBELET:-}" ]; then
  [ -x "$KARPENTER_KUBELET" ] || die "KARPENTER_KUBELET=$KARPENTER_KUBELET is not executable"
  cp -f "$KARPENTER_KUBELET" "$bin_dir/kubelet"
fi

if [ ! -x "$bin_dir/kubelet" ]; then
  "$here/provision-k8s.sh" >&2   # creates the wrapper module (and the control plane, usually cached)
  command -v go >/dev/null || die "Go is needed to build kubelet (or set KARPENTER_KUBELET)"
  wrapper="$CACHE/k8s-wrapper-$K8S_VERSION"
  [ -f "$wrapper/go.mod" ] || die "wrapper module $wrapper missing; remove $bin_dir and rerun hack/provision-k8s.sh"
  cd "$wrapper"
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  info=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION")
  commit=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Origin",{}).get("Hash","0000000000000000000000000000000000000000"))')
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  start=$(date +%s)
  mkdir -p out
  log "building kubelet v$K8S_VERSION (cold: several minutes)"
  CGO_ENABLED=0 go build -trimpath -tags=selinux,notest -ldflags "$ld" -o out/kubelet k8s.io/kubernetes/cmd/kubelet
  out/kubelet --version | grep -qx "Kubernetes v$K8S_VERSION" || die "kubelet reports $(out/kubelet --version)"
  mv -f out/kubelet "$bin_dir/kubelet"
  echo "$(( $(date +%s) - start ))" > "$bin_dir/.kubelet-build-seconds"
  log "kubelet built in $(cat "$bin_dir/.kubelet-build-seconds") s into $bin_dir"
fi

# Container runtime for the node: Debian's containerd + runc, CNI bridge/host-local/loopback plugins.
pkgs=()
command -v containerd >/dev/null || pkgs+=(containerd)
command -v runc >/dev/null || pkgs+=(runc)
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || pkgs+=(containernetworking-plugins)
command -v iptables >/dev/null || pkgs+=(iptables)
command -v conntrack >/dev/null || pkgs+=(conntrack)
if [ ${#pkgs[@]} -gt 0 ]; then log "installing ${pkgs[*]} (Debian)"; apt_install "${pkgs[@]}"; fi
log "kubelet ready: $bin_dir/kubelet ($("$bin_dir/kubelet" --version)), $(containerd --version | awk '{print $1, $3}'), $(runc --version | head -1)"
