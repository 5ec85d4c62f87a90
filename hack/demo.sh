#!/usr/bin/env bash
# The project's main job (README): provisions the local control plane (cached after the first run),
# builds target/karpenter.jar and runs `karpenter demo`, which starts the control plane, installs the
# CRDs, applies the GPU guide's NodePools/EC2NodeClasses and sample workloads, runs the operator on
# the AWS provider against a private moto (hack/moto.sh; `--cloud simulated` for the simulated cloud),
# prints the timeline and what EC2 holds, and cleans up. Extra arguments go to demo, e.g. -o json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

ensure_java_home

"$here/provision.sh" k8s moto >&2
cd "$here/.."
if [ ! -f target/karpenter.jar ] || [ -n "$(find src pom.xml -newer target/karpenter.jar -print -quit)" ]; then
  log "building target/karpenter.jar"
  ./mvnw -B -q -DskipTests package >&2
fi
exec bin/karpenter demo "$@"
