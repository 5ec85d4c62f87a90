#!/usr/bin/env bash
# A local Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager, kube-scheduler.
# No kubelet by default: Node objects are plain API objects; the scheduler binds pods to them, pods never run.
#   hack/local-cluster.sh up      provision binaries if needed, start, wait until ready;
#                                 the last stdout line is `export KUBECONFIG=<absolute path>`
#   hack/local-cluster.sh up --with-kubelet
#                                 also a real node: Debian's containerd + runc and kubelet (hack/kubelet.sh),
#                                 registered as Node karpenter-local-kubelet (tainted CriticalAddonsOnly, so only
#                                 pods that tolerate it, like the chart's controller, run there)
#   hack/local-cluster.sh down    stop exactly the processes `up` started (PID files), wipe etcd data (and the
#                                 node's pods, mounts, network namespace, bridge and NAT rule)
#   hack/local-cluster.sh status  per-component state; exit 0 only when everything runs and the API is ready
# Env: KARPENTER_CLUSTER_DIR (state: pids, certs, kubeconfig, logs; default $KARPENTER_CACHE/cluster),
#      KARPENTER_NO_PROVISION=1 (fail instead of building/installing missing binaries),
#      KARPENTER_K8S_BIN_DIR, KARPENTER_ETCD, KARPENTER_KUBECTL (existing binaries, docs/development.md).
#      KARPENTER_KUBE_SCHEDULER_FLAGS (extra kube-scheduler flags, e.g. "--kube-api-qps 500 --kube-api-burst 1000").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

mkdir -p "${KARPENTER_CLUSTER_DIR:-$CACHE/cluster}"
state=$(cd "${KARPENTER_CLUSTER_DIR:-$CACHE/cluster}" && pwd)
pki=$state/pki
components=(etcd kube-apiserver kube-controller-manager kube-scheduler)
# The node's processes are part of the cluster when `up --with-kubelet` started them (or asks for them).
with_kubelet() { [ -f "$state/pids/kubelet.pid" ] || [ -f "$state/pids/containerd.pid" ] || [ "${WITH_KUBELET:-0}" = 1 ]; }

pid_of() { cat "$state/pids/$1.pid" 2>/dev/null || true; }
# Every command line we start contains the state directory, so a reused pid never matches.
alive() { pid_matches "$(pid_of "$1")" "$state/"; }
port_of() { cat "$state/ports/$1" 2>/dev/null || true; }

api_ready() {
  local port; port=$(port_of kube-apiserver)
  [ -n "$port" ] && curl -fs -o /dev/null --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$port/readyz"
}

running() {
  for c in "${components[@]}"; do alive "$c" || return 1; done
  if [ "${WITH_KUBELET:-0}" = 1 ]; then "$here/kubelet.sh" running "$state" || return 1; fi
  api_ready
}

stop_all() {
  local i c pid
  if with_kubelet; then "$here/kubelet.sh" down "$state" || log "warning: kubelet clean-up reported errors"; fi
  for (( i=${#components[@]}-1; i>=0; i-- )); do
    c=${components[$i]}; pid=$(pid_of "$c")
    if alive "$c"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$c" || break; sleep 0.1; done
      if alive "$c"; then kill -9 "$pid" 2>/dev/null || true; fi
      log "stopped $c (pid $pid)"
    fi
    rm -f "$state/pids/$c.pid"
  done
  rm -rf "$state/etcd-data" "$state/ports" "$state/kubeconfig"
}

ensure_binaries() {
  local bin_dir=${KARPENTER_K8S_BIN_DIR:-$(k8s_bin_dir)}
  local missing=()
  for b in kube-apiserver kube-controller-manager kube-scheduler; do [ -x "$bin_dir/$b" ] || missing+=("$b"); done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "${KARPENTER_NO_PROVISION:-}" != 1 ] || die "missing ${missing[*]} in $bin_dir: run hack/provision.sh k8s (or set KARPENTER_K8S_BIN_DIR to a directory holding them)"
    [ -z "${KARPENTER_K8S_BIN_DIR:-}" ] || die "KARPENTER_K8S_BIN_DIR=$KARPENTER_K8S_BIN_DIR lacks ${missing[*]}"
    "$here/provision-k8s.sh" >&2
  fi
  BIN=$bin_dir
  if [ "${KARPENTER_NO_PROVISION:-}" = 1 ] && [ -z "${KARPENTER_ETCD:-}" ] && ! command -v etcd >/dev/null; then
    die "etcd not found: run hack/provision.sh k8s (Debian etcd-server) or set KARPENTER_ETCD"
  fi
  ETCD=$(ensure_etcd)
  if [ "${KARPENTER_NO_PROVISION:-}" = 1 ] && [ -z "${KARPENTER_KUBECTL:-}" ] && [ ! -x "$CACHE/bin/kubectl" ]; then
    die "kubectl not found: run hack/provision.sh tools or set KARPENTER_KUBECTL"
  fi
  if [ -x "$CACHE/bin/kubectl" ] && [ -z "${KARPENTER_KUBECTL:-}" ]; then KUBECTL=$CACHE/bin/kubectl; else KUBECTL=$(ensure_kubectl); fi
}

ensure_pki() {
  [ -f "$pki/.complete" ] && return
  command -v openssl >/dev/null || die "openssl is needed to create the cluster certificates"
  rm -rf "$pki"; mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=karpenter-java-local-ca"
    sign() { # name subject extensions
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
      printf '%s\n' "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out "$1.crt" -extfile "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" "$(printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment')"
    sign admin "/O=system:masters/CN=karpenter-java-admin" "$(printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment')"
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
  ) >"$state/logs/openssl.log" 2>&1 || die "openssl failed; see $state/logs/openssl.log"
  touch "$pki/.complete"
}

write_kubeconfig() {
  local b64; b64() { base64 -w0 < "$1"; }
  cat > "$state/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: karpenter-local
  cluster:
    server: https://127.0.0.1:$(port_of kube-apiserver)
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: karpenter-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: karpenter-local
  context: {cluster: karpenter-local, user: karpenter-admin, namespace: default}
current-context: karpenter-local
EOF
  mv "$state/kubeconfig.tmp" "$state/kubeconfig"
}

# start <component> <command...>: detached (setsid), logs to $state/logs, lock fd closed.
start() {
  local c=$1; shift
  setsid "$@" </dev/null >"$state/logs/$c.log" 2>&1 9>&- &
  echo $! > "$state/pids/$c.pid"
}

wait_for() { # component description command...
  local c=$1 what=$2; shift 2
  for _ in $(seq 1 600); do
    "$@" && return 0
    alive "$c" || die "$c exited during startup; last log lines:
$(tail -n 15 "$state/logs/$c.log")"
    sleep 0.1
  done
  die "$c: $what not reached within 60 s; see $state/logs/$c.log"
}

healthz() { curl -fsk -o /dev/null "https://127.0.0.1:$(port_of "$1")/healthz"; }

# The API server on its port and etcd; `up` and `restart-apiserver` start it the same way.
start_apiserver() {
  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$(port_of etcd)" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$(port_of kube-apiserver)" \
    --cert-dir "$state/pki/apiserver-generated" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --authorization-mode Node,RBAC --allow-privileged=true --profiling=false \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" --kubelet-preferred-address-types InternalIP,Hostname \
    ${KARPENTER_APISERVER_EXTRA_FLAGS:-}
}

# restart-apiserver: stops kube-apiserver (SIGTERM, or SIGKILL with KARPENTER_APISERVER_KILL=1), keeps it
# down for KARPENTER_APISERVER_DOWNTIME seconds (default 0) and starts it again on the same port and etcd.
restart_apiserver() {
  running || die "no cluster running in $state"
  ensure_binaries
  local pid; pid=$(pid_of kube-apiserver)
  if [ "${KARPENTER_APISERVER_KILL:-0}" = 1 ]; then kill -9 "$pid"; else kill "$pid"; fi
  for _ in $(seq 1 300); do alive kube-apiserver || break; sleep 0.1; done
  alive kube-apiserver && kill -9 "$pid"
  log "stopped kube-apiserver (pid $pid)"
  sleep "${KARPENTER_APISERVER_DOWNTIME:-0}"
  start_apiserver
  wait_for kube-apiserver "/readyz" api_ready
  log "kube-apiserver restarted (pid $(pid_of kube-apiserver), port $(port_of kube-apiserver))"
}

up() {
  if running; then
    log "cluster already running ($state)"
    echo "export KUBECONFIG=$state/kubeconfig"; return
  fi
  if [ "${WITH_KUBELET:-0}" = 1 ] && WITH_KUBELET=0 running; then
    # A running control plane (maybe in use) gets the node added instead of a restart.
    ensure_binaries
    "$here/kubelet.sh" down "$state" >/dev/null 2>&1 || true
    "$here/kubelet.sh" up "$state" "$KUBECTL"
    echo "export KUBECONFIG=$state/kubeconfig"; return
  fi
  stop_all
  ensure_binaries
  mkdir -p "$state/pids" "$state/ports" "$state/logs"
  ensure_pki
  for p in etcd etcd-peer kube-apiserver kube-controller-manager kube-scheduler; do free_port > "$state/ports/$p"; done
  local t0; t0=$(date +%s)

  start etcd "$ETCD" --name local --data-dir "$state/etcd-data" --logger zap --log-level warn \
    --listen-client-urls "http://127.0.0.1:$(port_of etcd)" --advertise-client-urls "http://127.0.0.1:$(port_of etcd)" \
    --listen-peer-urls "http://127.0.0.1:$(port_of etcd-peer)" --initial-advertise-peer-urls "http://127.0.0.1:$(port_of etcd-peer)" \
    --initial-cluster "local=http://127.0.0.1:$(port_of etcd-peer)"
  wait_for etcd "health" curl -fs -o /dev/null "http://127.0.0.1:$(port_of etcd)/health"

  start_apiserver
  wait_for kube-apiserver "/readyz" api_ready
  write_kubeconfig

  local kc=$state/kubeconfig
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$(port_of kube-controller-manager)" --cert-dir "$state/pki/kcm-generated" \
    --controllers '*' --leader-elect=false --use-service-account-credentials=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --node-monitor-grace-period "${KARPENTER_NODE_MONITOR_GRACE_PERIOD:-1h}"
  # (The long grace period: nodes here have no kubelet posting heartbeats, so the default 40 s would mark them
  # unreachable and taint them NoSchedule mid-test. Tests that want that behaviour set a short period.)
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$(port_of kube-scheduler)" --cert-dir "$state/pki/scheduler-generated" \
    --leader-elect=false ${KARPENTER_KUBE_SCHEDULER_FLAGS:-}
  wait_for kube-controller-manager "/healthz" healthz kube-controller-manager
  wait_for kube-scheduler "/healthz" healthz kube-scheduler
  # Pods are only admitted once the service-account controller has created the namespace's default account.
  wait_for kube-controller-manager "default service account" \
    "$KUBECTL" --kubeconfig "$kc" get serviceaccount default -n default -o name >/dev/null 2>&1
  if [ "${WITH_KUBELET:-0}" = 1 ]; then "$here/kubelet.sh" up "$state" "$KUBECTL"; fi
  log "cluster up in $(( $(date +%s) - t0 )) s: $("$KUBECTL" --kubeconfig "$kc" version 2>/dev/null | grep -i server || true) ($state)"
  echo "export KUBECONFIG=$kc"
}

status() {
  local ok=0
  for c in "${components[@]}"; do
    if alive "$c"; then echo "$c: running (pid $(pid_of "$c"), port $(port_of "$c"))"; else echo "$c: stopped"; ok=1; fi
  done
  if with_kubelet; then "$here/kubelet.sh" status "$state" || ok=1; fi
  if api_ready; then echo "api: ready (export KUBECONFIG=$state/kubeconfig)"; else echo "api: not ready"; ok=1; fi
  return $ok
}

exec 9>"$state/.lock"
case ${1:-} in
  up)
    case ${2:-} in --with-kubelet) WITH_KUBELET=1 ;; "") ;; *) echo "usage: $0 up [--with-kubelet]" >&2; exit 2 ;; esac
    flock 9; up ;;
  down) flock 9; stop_all ;;
  restart-apiserver) flock 9; restart_apiserver ;;
  status) status ;;
  *) echo "usage: $0 up [--with-kubelet]|down|status|restart-apiserver" >&2; exit 2 ;;
esac
