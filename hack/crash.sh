#!/usr/bin/env bash
# Crash injection at every point (issue 14, docs/reliability.md): CrashIT runs a `karpenter controller`
# process on the file-backed simulated cloud, halts it at each point (KARPENTER_CRASH_AT, exit 137),
# restarts it and checks the invariants. CI runs a bounded set (CrashIT.CI_POINTS); this runs them all,
# ROUNDS times (default 1).
#   hack/crash.sh                          every point once
#   POINTS=drain,registration hack/crash.sh
#   POINTS='launch-before-create#2' hack/crash.sh   the second time the point is reached
# Extra arguments go to Maven. Results: the "CRASH <point>: ..." lines of the output, logs under
# target/crash/<point>/ (crashing.log, restarted.log, instances.json).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
"$here/provision.sh" k8s
cd "$here/.."
points=${POINTS:-all}
spec=$points
for _ in $(seq 2 "${ROUNDS:-1}"); do spec="$spec,$points"; done
# CrashIT.ALL_POINTS, spelled out so ROUNDS can repeat them.
all_points=launch-before-create,launch-after-create,registration,drain,disruption-after-replacement
[ "$points" = all ] && [ "${ROUNDS:-1}" != 1 ] && spec=$(printf "$all_points%.0s," $(seq 1 "$ROUNDS") | sed 's/,$//')
exec ./mvnw -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=CrashIT \
  -Dkarpenter.crash.points="$spec" "$@"
