#!/usr/bin/env bash
# The scheduling oracle over many seeds: our plans materialized as Nodes on a local control plane and
# checked by the real kube-scheduler (src/test/java/dev/karpenter/oracle).
#   hack/oracle.sh [SEEDS] [FIRST_SEED]     default 1000 seeds from seed 1
# Env: ORACLE_SHRINK (failing seeds to shrink, default 5), ORACLE_IMPROVEMS (cost-improver budget, default 200),
#      KARPENTER_TEST_KUBECONFIG (a cluster to use; otherwise one is found or started, see LocalCluster).
# Prints one line per seed and the pass rate; shrunk scenarios go to target/oracle/seed-N.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
seeds=${1:-1000}
first=${2:-1}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
rm -f target/oracle/summary.txt  # a stale summary must not pass for this run's
./mvnw -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=OracleIT \
  -Dspotless.check.skip=true -Doracle.seeds="$seeds" -Doracle.firstSeed="$first" \
  -Doracle.shrink="${ORACLE_SHRINK:-5}" -Doracle.improveMs="${ORACLE_IMPROVEMS:-200}" \
  | grep -E '^(seed |oracle:|#|---- shrunk|NodePool|Node )' || true
cat target/oracle/summary.txt
