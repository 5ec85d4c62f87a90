#!/usr/bin/env bash
# The project's test command (README, .ci/run): provisions every real part the tests use (cached after
# the first run, see docs/development.md), then runs the whole build with unit and integration tests.
# Extra arguments go to Maven, e.g. hack/test.sh -Dit.test=MotoIT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] || die "set JAVA_HOME to a JDK 21 or newer"
export PATH=$JAVA_HOME/bin:$PATH

"$here/provision.sh"
cd "$here/.."
exec ./mvnw -B verify "$@"
