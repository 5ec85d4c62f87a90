#!/usr/bin/env bash
# The NodePool-limit proof of issue 9: LimitsIT with both cores kept busy by its CPU burner
# (stress-ng, installed here if missing), the 200-pod cpu burst RUNS times in a row (default 20) and
# the 1,000-pod GPU burst once. Extra arguments go to Maven.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
"$here/provision.sh" k8s stress
cd "$here/.."
exec ./mvnw -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=LimitsIT \
  -Dkarpenter.burst.runs="${RUNS:-20}" "$@"
